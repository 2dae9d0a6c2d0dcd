"""Real worker processes and threads: killed mid-delivery, two at once, woken by NOTIFY."""

import os
import signal
import subprocess
import sys
import threading

import pytest
from django.conf import settings
from django.db import connection, transaction

from events.delivery import Worker, run_worker
from events.models import Delivery, DeliveryStatus, EventType
from events.services import record_event
from tests.events.conftest import BOUND, verified
from tests.factories import WebhookEndpointFactory

postgresql_only = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").split(":")[0] not in {"postgres", "postgresql", "pgsql"},
    reason="row locks with SKIP LOCKED and LISTEN/NOTIFY are PostgreSQL's",
)


def database_url() -> str:
    """The test database as a DATABASE_URL, for a worker started as a process of its own."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def worker_process(*arguments) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "tests.settings"}
    return subprocess.Popen(  # noqa: S603 - our own interpreter and command
        [sys.executable, "manage.py", "deliver_webhooks", *arguments],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_delivery_loses_nothing_the_delivery_is_made_after_restart(receiver):
    endpoint = WebhookEndpointFactory(url=receiver.url)
    event = record_event(EventType.RUN_FAILED, {"key": "lb"})
    receiver.hold()  # the receiver keeps the request open: the worker is mid-delivery

    worker = worker_process("--poll-seconds", "0.2")
    try:
        assert receiver.arrived.wait(BOUND), worker.stderr.read() if worker.poll() is not None else "no request"
        worker.send_signal(signal.SIGKILL)
        worker.wait(BOUND)
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.stdout.close()
        worker.stderr.close()
    receiver.release()
    # Wait (on a lock, not a clock) until the killed worker's transaction is gone with its row lock.
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(event=event)
    assert (delivery.status, delivery.attempts, delivery.attempt_log.count()) == (DeliveryStatus.PENDING, 0, 0)

    restarted = subprocess.run(
        [sys.executable, "manage.py", "deliver_webhooks", "--once"],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "tests.settings"},
        capture_output=True,
        text=True,
        timeout=BOUND * 2,
        check=True,
    )

    assert "attempted=1 delivered=1" in restarted.stdout
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 1)
    # At least once: the request the killed worker made, then the one after restart, same id, both signed.
    assert [r.headers["webhook-id"] for r in receiver.received] == [event.message_id] * 2
    assert all(verified(r, endpoint.secret) for r in receiver.received)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_workers_never_send_the_same_delivery_at_once_and_send_each_once(receiver):
    WebhookEndpointFactory(url=receiver.url)
    events = [record_event(EventType.RUN_FAILED, {"key": f"lb{n}"}) for n in range(12)]
    # The first two requests wait for each other: both workers are mid-delivery at the same moment.
    receiver.rendezvous = threading.Barrier(2, timeout=BOUND)
    results = []

    def work():
        try:
            # One request at a time per worker: the two in flight together are one from each.
            results.append(Worker(batch_size=2, concurrency=1).deliver_due())
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(BOUND * 2)

    assert not receiver.rendezvous.broken
    assert receiver.overlaps, "the two workers were never in flight together"
    assert receiver.duplicates == []
    assert sorted(r.headers["webhook-id"] for r in receiver.received) == sorted(e.message_id for e in events)
    assert sum(r.delivered for r in results) == 12
    assert all(r.delivered for r in results)  # each worker took its share
    assert Delivery.objects.filter(status=DeliveryStatus.DELIVERED, attempts=1).count() == 12


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_waiting_worker_is_woken_by_the_commit_long_before_its_poll(receiver):
    WebhookEndpointFactory(url=receiver.url)
    receiver.hold()
    listening, stop, calls = threading.Event(), threading.Event(), []

    def should_stop():
        calls.append(1)
        if len(calls) >= 3:  # the worker has run its first wait, which LISTENs
            listening.set()
        return stop.is_set()

    def work():
        try:
            run_worker(Worker(), poll_seconds=3600, should_stop=should_stop)
        finally:
            connection.close()

    thread = threading.Thread(target=work)
    thread.start()
    try:
        assert listening.wait(BOUND)
        with transaction.atomic():
            event = record_event(EventType.RUN_FAILED, {"key": "lb"})

        # Polling would take an hour: only the NOTIFY sent with the commit can wake it this soon.
        assert receiver.arrived.wait(BOUND)
        assert receiver.received[0].headers["webhook-id"] == event.message_id
    finally:
        stop.set()
        receiver.release()
        thread.join(BOUND)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_commit_right_after_the_worker_first_looked_still_wakes_it(receiver):
    """The worker LISTENs before it looks for due deliveries: a commit in between is heard, not left to the poll."""
    WebhookEndpointFactory(url=receiver.url)
    committed, stop = [], threading.Event()

    class CommitAfterFirstLook(Worker):
        def next_due(self):
            due = super().next_due()
            if not committed:  # the first look found nothing due; an event commits before the worker waits
                committed.append(record_event(EventType.RUN_FAILED, {"key": "lb"}))
            return due

    def work():
        try:
            run_worker(CommitAfterFirstLook(), poll_seconds=3600, should_stop=stop.is_set)
        finally:
            connection.close()

    receiver.hold()
    thread = threading.Thread(target=work)
    thread.start()
    try:
        assert receiver.arrived.wait(BOUND)  # an hour's poll would never get here in time
        assert receiver.received[0].headers["webhook-id"] == committed[0].message_id
    finally:
        stop.set()
        receiver.release()
        thread.join(BOUND)
