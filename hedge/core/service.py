"""Service-key authentication: what the game's backend (not players) sends to hedge's service APIs.

Named, revocable API keys made in the admin (djangorestframework-api-key: only a hash of each key is
stored), sent as `Authorization: Api-Key <key>` over HTTPS. Each app's service views are ServiceViews.
"""

from __future__ import annotations

import re

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission
from rest_framework.views import APIView
from rest_framework_api_key.models import APIKey
from rest_framework_api_key.permissions import KeyParser

# The library's keys: an 8-character prefix (looked up) and a 32-character secret (hashed), both alphanumeric.
_KEY_SHAPE = re.compile(r"[A-Za-z0-9]{8}\.[A-Za-z0-9]{32}")


class ServiceKeyAuthentication(BaseAuthentication):
    """`Authorization: Api-Key <key>`: a key made in the admin that is neither revoked nor expired.

    A request without the header is anonymous (and refused by HasServiceKey with a 401); a wrong,
    revoked or expired key is a 401 at once. `request.auth` is the APIKey row.
    """

    key_parser = KeyParser()

    def authenticate(self, request):
        key = self.key_parser.get(request)
        if not key:
            return None
        if not _KEY_SHAPE.fullmatch(key):
            raise AuthenticationFailed("Malformed API key.")
        try:
            api_key = APIKey.objects.get_from_key(key)
        except APIKey.DoesNotExist:
            raise AuthenticationFailed("Unknown or revoked API key.") from None
        if api_key.has_expired:
            raise AuthenticationFailed("This API key has expired.")
        return (None, api_key)

    def authenticate_header(self, request) -> str:
        return KeyParser.keyword


class ServiceKeyScheme(OpenApiAuthenticationExtension):
    """How the API schema describes ServiceKeyAuthentication."""

    target_class = ServiceKeyAuthentication
    name = "serviceApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <key>`, a key made in the admin (API keys).",
        }


class HasServiceKey(BasePermission):
    """A request authenticated by ServiceKeyAuthentication (anonymous ones get DRF's 401)."""

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, APIKey)


class ServiceView(APIView):
    authentication_classes = [ServiceKeyAuthentication]
    permission_classes = [HasServiceKey]
    # The public API's per-address limit is for anonymous clients: the game's backend is a few
    # addresses making every player's calls, and its key is what lets it in (revoke it to stop it).
    throttle_classes = []
