"""The worker against a real HTTP receiver: signatures, retries with the clock moved forward, 410, unsafe addresses."""

import datetime
import itertools
import json
import socket

import pytest
from django.core.management import call_command
from django.db import connection
from standardwebhooks.webhooks import WebhookVerificationError
from urllib3.util import Timeout

from events import delivery as delivery_module
from events.delivery import MAX_ATTEMPTS, RETRY_SCHEDULE, Worker, retry_delay
from events.models import Delivery, DeliveryStatus, EventType
from events.services import record_event, rotate_secret
from tests.events.conftest import Received, signed_by, verified
from tests.factories import WebhookEndpointFactory

pytestmark = pytest.mark.django_db


def delivery_of(event) -> Delivery:
    return Delivery.objects.get(event=event)


def test_a_delivery_is_verified_by_a_standard_webhooks_receiver_and_a_tampered_body_is_not(receiver, endpoint):
    event = record_event(EventType.ETL_COMPLETED, {"rowsChanged": 3})

    result = Worker().deliver_due()

    assert (result.attempted, result.delivered) == (1, 1)
    [received] = receiver.received
    assert verified(received, endpoint.secret) == json.loads(event.body)
    assert received.headers["webhook-id"] == event.message_id
    assert received.headers["content-type"] == "application/json"
    with pytest.raises(WebhookVerificationError):
        verified(Received(received.path, received.headers, received.body.replace(b"3", b"4")), endpoint.secret)
    delivery = delivery_of(event)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.DELIVERED, 1, 200)
    [attempt] = delivery.attempt_log.all()
    assert (attempt.status_code, attempt.response_body, attempt.succeeded, attempt.error) == (200, "ok", True, "")


def test_after_a_rotation_both_secrets_sign_for_24_hours_then_only_the_new_one(receiver, endpoint, clock):
    old = endpoint.secret
    new = rotate_secret(endpoint, now=clock.now)
    record_event(EventType.ETL_COMPLETED, {"rowsChanged": 1}, now=clock.now)
    Worker(clock=clock).deliver_due()

    clock.advance_to(clock.now + datetime.timedelta(hours=24, seconds=1))
    record_event(EventType.ETL_COMPLETED, {"rowsChanged": 2}, now=clock.now)
    Worker(clock=clock).deliver_due()

    first, second = receiver.received
    assert len(first.headers["webhook-signature"].split(" ")) == 2
    assert verified(first, old) and verified(first, new)
    assert signed_by(second, new) and not signed_by(second, old)
    assert len(second.headers["webhook-signature"].split(" ")) == 1


def test_a_receiver_down_for_the_first_attempts_gets_the_event_later_with_the_clock_moved_not_slept(
    receiver, endpoint, clock
):
    receiver.answer(503, 503)
    event = record_event(EventType.RUN_FAILED, {"key": "lb"}, now=clock.now)
    worker = Worker(clock=clock)

    worker.deliver_due()
    first_retry = delivery_of(event).next_attempt_at
    assert worker.deliver_due().attempted == 0  # not due yet
    clock.advance_to(first_retry)
    worker.deliver_due()
    clock.advance_to(delivery_of(event).next_attempt_at)
    worker.deliver_due()

    delivery = delivery_of(event)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 3)
    assert [a.status_code for a in delivery.attempt_log.order_by("attempted_at")] == [503, 503, 200]
    assert {r.headers["webhook-id"] for r in receiver.received} == {event.message_id}
    assert all(signed_by(r, endpoint.secret) for r in receiver.received)
    # 5 s then 5 min, each within the 20% jitter
    attempts = list(delivery.attempt_log.order_by("attempted_at"))
    waits = [b.attempted_at - a.attempted_at for a, b in itertools.pairwise(attempts)]
    assert datetime.timedelta(seconds=4) <= waits[0] <= datetime.timedelta(seconds=6)
    assert datetime.timedelta(minutes=4) <= waits[1] <= datetime.timedelta(minutes=6)


def test_a_delivery_that_always_fails_is_retried_for_about_three_days_then_dead(receiver, endpoint, clock):
    receiver.default = 500
    event = record_event(EventType.RUN_FAILED, {"key": "lb"}, now=clock.now)
    worker = Worker(clock=clock)
    started = clock.now

    while (delivery := delivery_of(event)).status == DeliveryStatus.PENDING:
        clock.advance_to(delivery.next_attempt_at)
        worker.deliver_due()

    assert (delivery.status, delivery.attempts, len(receiver.received)) == (DeliveryStatus.DEAD, MAX_ATTEMPTS, 11)
    assert datetime.timedelta(days=2.3) < delivery.last_attempt_at - started < datetime.timedelta(days=3.6)
    assert delivery.last_error == "HTTP 500"


def test_the_retry_schedule_waits_longer_each_time_with_jitter():
    import random

    rng = random.Random(7)
    waits = [retry_delay(n, rng=rng) for n in range(1, MAX_ATTEMPTS)]
    for wait, base in zip(waits, RETRY_SCHEDULE, strict=True):
        assert base * 0.8 <= wait <= base * 1.2
    assert retry_delay(MAX_ATTEMPTS, rng=rng) is None
    assert 2.5 < sum(RETRY_SCHEDULE, datetime.timedelta()) / datetime.timedelta(days=1) < 3.5


def test_a_refused_connection_is_recorded_and_retried(db, clock):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # A Discord-like URL: its token (the path) must never reach an error, a log or the admin.
    WebhookEndpointFactory(url=f"http://127.0.0.1:{port}/api/webhooks/123/s3cr3t-token")
    event = record_event(EventType.RUN_FAILED, {"key": "lb"}, now=clock.now)

    Worker(clock=clock).deliver_due()

    delivery = delivery_of(event)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.PENDING, 1, None)
    assert delivery.last_error == (
        "ConnectionError: Failed to establish a new connection: [Errno 111] Connection refused"
    )
    assert "s3cr3t" not in delivery.attempt_log.get().error
    assert delivery.next_attempt_at > clock.now
    [attempt] = delivery.attempt_log.all()
    assert attempt.succeeded is False and "ConnectionError" in attempt.error


def test_410_gone_deactivates_the_endpoint_at_once_and_says_why(receiver, endpoint, clock):
    receiver.answer(410)
    first = record_event(EventType.RUN_FAILED, {"key": "a"}, now=clock.now)
    second = record_event(EventType.RUN_FAILED, {"key": "b"}, now=clock.now)

    Worker(clock=clock, batch_size=1).deliver_due()

    endpoint.refresh_from_db()
    assert endpoint.is_active is False
    assert "410 Gone" in endpoint.deactivated_reason
    assert delivery_of(first).status == DeliveryStatus.DEAD
    assert delivery_of(second).status == DeliveryStatus.PENDING  # waits, unsent, until staff reactivate it
    assert len(receiver.received) == 1
    assert "410 Gone" in endpoint.history.first().history_change_reason


def test_a_redirect_is_not_followed_and_counts_as_a_failure(receiver, endpoint, clock):
    receiver.answer(302)
    event = record_event(EventType.RUN_FAILED, {"key": "lb"}, now=clock.now)

    Worker(clock=clock).deliver_due()

    delivery = delivery_of(event)
    assert (delivery.status, delivery.last_status_code, len(receiver.received)) == (DeliveryStatus.PENDING, 302, 1)


def test_an_address_that_became_private_is_refused_at_delivery(receiver, endpoint, clock, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False  # the URL was saved while allowed; DNS now says 127.0.0.1
    event = record_event(EventType.RUN_FAILED, {"key": "lb"}, now=clock.now)

    Worker(clock=clock).deliver_due()

    delivery = delivery_of(event)
    assert receiver.received == []
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_error == "refused: the URL's host now resolves to 127.0.0.1 is a loopback address"


def test_only_the_first_kilobyte_of_an_answer_is_kept(receiver, endpoint):
    receiver.answer_body = b"x" * 5000
    event = record_event(EventType.RUN_FAILED, {"key": "lb"})

    Worker().deliver_due()

    assert delivery_of(event).attempt_log.get().response_body == "x" * 1024


def test_the_command_once_delivers_what_is_due_and_exits(receiver, endpoint, capsys):
    record_event(EventType.RUN_FAILED, {"key": "a"})
    record_event(EventType.RUN_FAILED, {"key": "b"})

    call_command("deliver_webhooks", "--once")

    assert "attempted=2 delivered=2 failed=0 dead=0" in capsys.readouterr().out
    assert sorted(b["data"]["key"] for b in receiver.bodies()) == ["a", "b"]


def test_the_worker_pins_its_queries_per_batch(receiver, endpoint, django_assert_num_queries):
    for n in range(5):
        record_event(EventType.RUN_FAILED, {"key": f"lb{n}"})

    # the due deliveries; them with their events and endpoints; the attempts; the deliveries' new state. On
    # PostgreSQL all inside the batch's transaction, which holds the row locks (a savepoint and its release here,
    # inside the test's transaction); SQLite holds no transaction while it waits on the network.
    with django_assert_num_queries(6 if connection.vendor == "postgresql" else 4):
        result = Worker().deliver_batch()

    assert result.delivered == 5


def test_a_receiver_that_does_not_answer_in_time_is_a_timeout_retried_later(receiver, endpoint, clock, monkeypatch):
    # The whole-request limit, shortened from 10 s so the test does not wait that long.
    monkeypatch.setattr(delivery_module, "TIMEOUT", Timeout(connect=3, read=0.3, total=0.3))
    receiver.hold()
    event = record_event(EventType.RUN_FAILED, {"key": "lb"}, now=clock.now)

    Worker(clock=clock).deliver_due()
    receiver.release()

    delivery = delivery_of(event)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.PENDING, 1, None)
    assert delivery.last_error.startswith("timeout: ")
    assert "Read timed out" in delivery.last_error
