"""Writes of the events app: recording an event (the outbox), endpoints and their secrets, Send again, retention."""

from __future__ import annotations

import datetime
import json
import secrets
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from hedge.core.db import notify_listeners, sql_datetime

from . import payloads, sql
from .models import Delivery, DeliveryStatus, Event, EventType, WebhookEndpoint
from .signing import ROTATION_OVERLAP, new_secret

# The channel the worker LISTENs on (PostgreSQL); a commit that wrote deliveries NOTIFYs it.
CHANNEL = "hedge_webhooks"


def record_event(event_type: str, data: dict, *, now: datetime.datetime | None = None) -> Event:
    """Write one event and its deliveries (one per active endpoint that wants the type) in the caller's transaction.

    Called by the receivers of the product's hooks, inside the transaction of the change: the event
    commits with the change, or rolls back with it. On PostgreSQL the commit wakes the workers.
    Two statements (three with the NOTIFY), whatever the change's size.
    """
    now = now or timezone.now()
    # No savepoint: the caller's transaction is the unit (a failure here fails the change).
    with transaction.atomic(savepoint=False):
        event = _write_event(event_type, data, now=now)
        params = {
            "event": event.pk,
            "now": sql_datetime(now),
            "type_pattern": "%," + event_type.replace("_", "\\_") + ",%",
        }
        with connection.cursor() as cursor:
            cursor.execute(sql.FAN_OUT, params)
            fanned_out = cursor.rowcount
        if fanned_out:
            notify_listeners(CHANNEL)
    return event


def _write_event(event_type: str, data: dict, *, now: datetime.datetime) -> Event:
    message_id = "msg_" + secrets.token_hex(12)
    envelope = {"id": message_id, "type": event_type, "timestamp": payloads.iso(now), "data": data}
    body = json.dumps(envelope, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))
    return Event.objects.create(message_id=message_id, type=event_type, occurred_at=now, body=body)


def create_endpoint(*, name: str, url: str, event_types: list[str], format: str, is_active: bool = True):
    """A new endpoint with a new secret (returned once, on the row: show it, then never again)."""
    return WebhookEndpoint.objects.create(
        name=name,
        url=url,
        event_types=join_event_types(event_types),
        format=format,
        is_active=is_active,
        secret=new_secret(),
    )


def join_event_types(event_types) -> str:
    """The stored form of an endpoint's event types: known types, sorted, comma-separated; empty for all."""
    chosen = set(event_types)
    unknown = chosen - set(EventType.values)
    if unknown:
        raise ValueError(f"unknown event type(s): {', '.join(sorted(unknown))}")
    return ",".join(sorted(chosen))


@transaction.atomic
def rotate_secret(endpoint: WebhookEndpoint, *, now: datetime.datetime | None = None) -> str:
    """Give `endpoint` a new secret (returned); the old one keeps signing, a second signature, for 24 hours."""
    now = now or timezone.now()
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.previous_secret, endpoint.previous_secret_expires_at = endpoint.secret, now + ROTATION_OVERLAP
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"])
    return endpoint.secret


def send_again(deliveries, *, now: datetime.datetime | None = None) -> int:
    """Make these deliveries (dead or delivered ones included) pending and due now; returns how many.

    Their attempt count starts again, so a dead delivery gets the whole retry schedule once more.
    """
    now = now or timezone.now()
    with transaction.atomic():
        count = Delivery.objects.filter(pk__in=[d.pk for d in deliveries]).update(
            status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now, delivered_at=None
        )
        if count:
            notify_listeners(CHANNEL)
    return count


def create_test_delivery(endpoint: WebhookEndpoint, *, requested_by, now: datetime.datetime, due) -> Delivery:
    """A webhook.test event with one delivery, to `endpoint` only (never fanned out), due at `due`."""
    with transaction.atomic():
        event = _write_event(EventType.TEST, payloads.test_event(endpoint, requested_by=requested_by), now=now)
        return Delivery.objects.create(event=event, endpoint=endpoint, next_attempt_at=due, created_at=now)


def deactivate_endpoint(endpoint_id: int, *, reason: str) -> None:
    """Deactivate an endpoint on hedge's own decision (a 410 Gone answer), saying why; audited like a staff change."""
    endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
    if endpoint.is_active:
        endpoint.is_active, endpoint.deactivated_reason = False, reason
        endpoint._change_reason = reason
        endpoint.save(update_fields=["is_active", "deactivated_reason", "updated_at"])


@dataclass(frozen=True)
class PruneResult:
    attempts: int
    deliveries: int
    events: int


@transaction.atomic
def prune_webhook_events(*, keep_days: int, now: datetime.datetime | None = None) -> PruneResult:
    """Delete delivered and dead deliveries older than `keep_days` (with their attempts), then events left without any.

    Pending deliveries and their events are kept whatever their age.
    """
    if keep_days < 0:
        raise ValueError("keep_days must be 0 or more")
    now = now or timezone.now()
    params = {"cutoff": sql_datetime(now - datetime.timedelta(days=keep_days))}
    with connection.cursor() as cursor:
        cursor.execute(sql.PRUNE_ATTEMPTS, params)
        attempts = cursor.rowcount
        cursor.execute(sql.PRUNE_DELIVERIES, params)
        deliveries = cursor.rowcount
        cursor.execute(sql.PRUNE_EVENTS, params)
        return PruneResult(attempts, deliveries, cursor.rowcount)
