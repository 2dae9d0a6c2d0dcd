"""prune_webhook_events: finished deliveries older than the kept days go, with their attempts and orphaned events."""

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from events.delivery import Worker
from events.models import Delivery, DeliveryAttempt, DeliveryStatus, Event, EventType
from events.services import record_event
from tests.factories import WebhookEndpointFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def test_old_delivered_and_dead_deliveries_go_pending_and_recent_ones_stay(receiver, endpoint, capsys):
    now = timezone.now()
    old_delivered = record_event(EventType.RUN_FAILED, {"key": "a"}, now=now - 40 * DAY)
    old_dead = record_event(EventType.RUN_FAILED, {"key": "b"}, now=now - 40 * DAY)
    old_pending = record_event(EventType.RUN_FAILED, {"key": "c"}, now=now - 40 * DAY)
    recent = record_event(EventType.RUN_FAILED, {"key": "d"}, now=now - DAY)
    Worker().deliver_due()
    Delivery.objects.filter(event=old_dead).update(status=DeliveryStatus.DEAD, delivered_at=None)
    Delivery.objects.filter(event=old_pending).update(
        status=DeliveryStatus.PENDING, delivered_at=None, next_attempt_at=now
    )

    call_command("prune_webhook_events", "--keep-days", "30")

    assert "deleted 2 deliveries, 2 attempts, 2 events" in capsys.readouterr().out
    assert set(Event.objects.values_list("pk", flat=True)) == {old_pending.pk, recent.pk}
    assert not DeliveryAttempt.objects.filter(delivery__event__in=[old_delivered, old_dead]).exists()
    assert DeliveryAttempt.objects.count() == 2


def test_an_event_still_delivering_to_one_endpoint_is_kept(receiver, endpoint):
    other = WebhookEndpointFactory(url=receiver.url)  # its delivery stays pending: no worker runs here
    old = timezone.now() - 40 * DAY
    event = record_event(EventType.RUN_FAILED, {"key": "a"}, now=old)
    Delivery.objects.filter(endpoint=endpoint).update(
        status=DeliveryStatus.DELIVERED, delivered_at=old, next_attempt_at=None
    )

    call_command("prune_webhook_events", "--keep-days", "7", verbosity=0)

    assert Event.objects.filter(pk=event.pk).exists()
    assert list(Delivery.objects.values_list("endpoint", flat=True)) == [other.pk]


def test_negative_days_are_refused():
    with pytest.raises(CommandError, match="--keep-days must be 0 or more"):
        call_command("prune_webhook_events", "--keep-days", "-1")
