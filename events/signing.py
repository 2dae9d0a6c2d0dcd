"""Standard Webhooks signing (https://www.standardwebhooks.com/), with the `standardwebhooks` package.

Headers: webhook-id (the event's id, the same on every retry), webhook-timestamp (Unix seconds of the
attempt) and webhook-signature ("v1,<base64 HMAC-SHA256 of id.timestamp.body>", space-separated, one
per secret that signs: the current one and, for 24 hours after a rotation, the previous one).
"""

from __future__ import annotations

import base64
import datetime
import math
import secrets

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix, not a secret
# How long the secret before a rotation still signs, so receivers can switch without losing a delivery.
ROTATION_OVERLAP = datetime.timedelta(hours=24)


def new_secret() -> str:
    """A new signing secret: whsec_ + base64 of 32 random bytes (what standardwebhooks receivers expect)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signing_secrets(endpoint, *, now: datetime.datetime) -> list[str]:
    """The secrets that sign a delivery to `endpoint` at `now`: the current one, then the previous while it lasts."""
    found = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and now < expires:
        found.append(endpoint.previous_secret)
    return found


def signed_headers(message_id: str, body: bytes, *, secrets_: list[str], now: datetime.datetime) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt."""
    signatures = " ".join(Webhook(secret).sign(message_id, now, body) for secret in secrets_)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(math.floor(now.timestamp())),
        "webhook-signature": signatures,
    }
