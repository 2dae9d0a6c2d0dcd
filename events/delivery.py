"""Delivering webhooks: the HTTP client, the retry schedule, and the worker that sends what is due.

Each delivery is made at least once: on PostgreSQL the worker locks a batch of due deliveries
(FOR UPDATE SKIP LOCKED, so several workers never send the same one at once), sends them, and
records every attempt before the locks are released; a worker killed mid-batch leaves them
pending, and they are sent again after it restarts. Time comes from an injected clock, so tests
move it forward instead of waiting for a retry.
"""

from __future__ import annotations

import datetime
import json
import logging
import random
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util import Timeout

from hedge.core.db import db_datetime, row_locking_transaction, skip_locked_clause, sql_datetime

from . import discord, sql
from .addresses import check_peer
from .errors import EventsError
from .models import Delivery, DeliveryAttempt, DeliveryStatus, EventType, Format
from .services import create_test_delivery, deactivate_endpoint
from .signing import signed_headers, signing_secrets

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT = 3.0
# The whole request: connecting and every wait for the answer share it (urllib3's total timeout).
REQUEST_TIMEOUT = 10.0
TIMEOUT = Timeout(connect=CONNECT_TIMEOUT, read=REQUEST_TIMEOUT, total=REQUEST_TIMEOUT)
ANSWER_KEPT = 1024  # bytes of an answer's body recorded with its attempt
USER_AGENT = "hedge-webhooks/1"

# The wait after each failed attempt: about three days in all (70.6 hours), then the delivery is dead.
RETRY_SCHEDULE = tuple(
    datetime.timedelta(seconds=s)
    for s in (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600, 14 * 3600, 14 * 3600, 14 * 3600)
)
MAX_ATTEMPTS = len(RETRY_SCHEDULE) + 1
JITTER = 0.2  # each wait is stretched or shrunk by up to 20%, so failed deliveries do not retry in lockstep
BATCH_SIZE = 20
# HTTP requests a worker has in flight at once (threads; the connection pool keeps as many alive per host).
CONCURRENCY = 8


def retry_delay(failed_attempts: int, *, rng: random.Random) -> datetime.timedelta | None:
    """How long to wait after the `failed_attempts`-th failure (with jitter); None when the delivery is dead."""
    if failed_attempts >= MAX_ATTEMPTS:
        return None
    base = RETRY_SCHEDULE[failed_attempts - 1]
    return base * rng.uniform(1 - JITTER, 1 + JITTER)


# --- HTTP ---------------------------------------------------------------------------------------


class _GuardedHTTPConnection(HTTPConnection):
    def _new_conn(self):
        sock = super()._new_conn()
        try:
            check_peer(sock)  # the address actually connected to, after DNS
        except EventsError:
            sock.close()
            raise
        return sock


class _GuardedHTTPSConnection(HTTPSConnection, _GuardedHTTPConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}


@dataclass(frozen=True)
class Answer:
    status_code: int | None
    body: str
    error: str
    latency_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class WebhookClient:
    """POSTs to webhook URLs: connect within 3 s, the whole request within 10 s, no redirects, no proxy from the env.

    Connections are kept alive between deliveries to the same host; each new one is checked
    against the address rules (events.addresses) once connected.
    """

    def __init__(self):
        self.session = requests.Session()
        self.session.trust_env = False  # no proxy or .netrc from the environment
        adapter = _GuardedAdapter(max_retries=0, pool_maxsize=CONCURRENCY)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Answer:
        started = time.perf_counter()
        status, text, error = None, "", ""
        try:
            with self.session.post(
                url,
                data=body,
                headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
                timeout=TIMEOUT,
                allow_redirects=False,
                stream=True,
            ) as response:
                status = response.status_code
                text = _first_bytes(response)
        except EventsError as exc:
            error = str(exc)
        except requests.Timeout as exc:
            error = f"timeout: {_reason(exc)}"
        except requests.RequestException as exc:
            error = f"{type(exc).__name__}: {_reason(exc)}"
        latency = round((time.perf_counter() - started) * 1000)
        return Answer(status, text, _without_path(error, url), latency)

    def close(self) -> None:
        self.session.close()


def _first_bytes(response) -> str:
    kept = b""
    for chunk in response.iter_content(ANSWER_KEPT):
        kept += chunk
        if len(kept) >= ANSWER_KEPT:
            break
    return kept[:ANSWER_KEPT].decode("utf-8", errors="replace")


def _without_path(error: str, url: str) -> str:
    """The error without the URL's path and query: a Discord webhook URL carries its token there."""
    parts = urlsplit(url)
    for secretish in (parts.path + ("?" + parts.query if parts.query else ""), parts.path):
        if len(secretish) > 1:
            error = error.replace(secretish, "/…")
    return error


def _reason(exc: Exception) -> str:
    # requests nests urllib3's reason; the innermost message names the cause (refused, timed out, ...).
    inner = exc.args[0] if exc.args else exc
    text = str(getattr(inner, "reason", inner))
    # urllib3 names its connection first ("<...HTTPConnection object at 0x..>: " or "...Connection(host=, port=): ").
    return re.sub(r"^(<[^<>]+ object at 0x[0-9a-f]+>|\w+\(host=[^()]*\)): ", "", text)[:500]


def request_body(delivery: Delivery) -> bytes:
    """What is POSTed: the event's envelope as written, or its Discord message."""
    event = delivery.event
    if delivery.endpoint.format == Format.DISCORD:
        data = json.loads(event.body)["data"]
        return json.dumps(discord.message(event.type, data), ensure_ascii=False).encode()
    return event.body.encode()


def attempt(delivery: Delivery, *, client: WebhookClient, now: datetime.datetime) -> Answer:
    """One HTTP request of `delivery`, signed with the endpoint's current secrets at `now`."""
    body = request_body(delivery)
    headers = signed_headers(
        delivery.event.message_id, body, secrets_=signing_secrets(delivery.endpoint, now=now), now=now
    )
    return client.post(delivery.endpoint.url, body, headers)


# --- the worker ---------------------------------------------------------------------------------


@dataclass
class BatchResult:
    attempted: int = 0
    delivered: int = 0
    failed: int = 0
    dead: int = 0

    def __iadd__(self, other: BatchResult) -> BatchResult:
        self.attempted += other.attempted
        self.delivered += other.delivered
        self.failed += other.failed
        self.dead += other.dead
        return self


class Worker:
    """Sends due deliveries and records their attempts. `clock` gives "now" (tests move it forward)."""

    def __init__(
        self,
        *,
        clock: Callable[[], datetime.datetime] = timezone.now,
        client: WebhookClient | None = None,
        batch_size: int = BATCH_SIZE,
        concurrency: int = CONCURRENCY,
        rng: random.Random | None = None,
    ):
        self.clock = clock
        self.client = client or WebhookClient()
        self.batch_size = batch_size
        self.pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="webhook")
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not a secret

    def deliver_due(self) -> BatchResult:
        """Send every delivery due now, batch after batch, until none is left (what --once does)."""
        total = BatchResult()
        while True:
            batch = self.deliver_batch()
            total += batch
            if batch.attempted < self.batch_size:
                return total

    def deliver_batch(self) -> BatchResult:
        """Lock up to batch_size due deliveries that no other worker holds, send them, record the attempts."""
        with row_locking_transaction():
            now = self.clock()
            with connection.cursor() as cursor:
                cursor.execute(
                    sql.CLAIM_DUE.format(locking=skip_locked_clause("d")),
                    {"now": sql_datetime(now), "limit": self.batch_size},
                )
                ids = [row[0] for row in cursor.fetchall()]
            if not ids:
                return BatchResult()
            claimed = Delivery.objects.filter(pk__in=ids).select_related("event", "endpoint")
            deliveries = list(claimed.order_by("next_attempt_at", "id"))
            # The HTTP requests of a batch run side by side (they touch no database); the results are recorded together.
            sent = list(self.pool.map(self._send, deliveries))
            return self.record(sent)

    def _send(self, delivery: Delivery) -> tuple[Delivery, datetime.datetime, Answer]:
        moment = self.clock()
        return delivery, moment, attempt(delivery, client=self.client, now=moment)

    def record(self, sent) -> BatchResult:
        """Write the attempts of `sent` [(delivery, moment, answer)] and each delivery's new state, in a transaction."""
        result = BatchResult(attempted=len(sent))
        attempts, gone = [], []
        # Inside the batch's transaction on PostgreSQL (no savepoint needed); a transaction of its own otherwise.
        with transaction.atomic(savepoint=False):
            for delivery, moment, answer in sent:
                attempts.append(
                    DeliveryAttempt(
                        delivery=delivery,
                        attempted_at=moment,
                        status_code=answer.status_code,
                        latency_ms=answer.latency_ms,
                        response_body=answer.body,
                        error=answer.error,
                        succeeded=answer.succeeded,
                    )
                )
                delivery.attempts += 1
                delivery.last_attempt_at, delivery.last_status_code = moment, answer.status_code
                delivery.last_error = answer.error or ("" if answer.succeeded else f"HTTP {answer.status_code}")
                if answer.succeeded:
                    delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, moment
                    delivery.next_attempt_at = None
                    result.delivered += 1
                    continue
                result.failed += 1
                delay = retry_delay(delivery.attempts, rng=self.rng)
                if answer.status_code == 410:
                    gone.append(delivery)
                    delay = None
                if delivery.event.type == EventType.TEST:
                    delay = None  # a test is shown to staff at once, never retried
                if delay is None:
                    delivery.status, delivery.next_attempt_at = DeliveryStatus.DEAD, None
                    result.dead += 1
                else:
                    delivery.next_attempt_at = moment + delay
            DeliveryAttempt.objects.bulk_create(attempts)
            with connection.cursor() as cursor:
                cursor.executemany(sql.RECORD_ATTEMPT, [_recorded(d) for d, _, _ in sent])
            for delivery in gone:
                moment = f"{delivery.last_attempt_at:%Y-%m-%d %H:%M} UTC"
                reason = f"{moment}: the URL answered 410 Gone (delivery {delivery.pk})"
                deactivate_endpoint(delivery.endpoint_id, reason=reason)
        for delivery, _, answer in sent:
            if not answer.succeeded:
                # Never the secret or the body: the endpoint, the delivery and what went wrong.
                error = delivery.last_error[:200]
                logger.info("webhook delivery %s to endpoint %s failed: %s", delivery.pk, delivery.endpoint_id, error)
        return result

    def next_due(self) -> datetime.datetime | None:
        with connection.cursor() as cursor:
            cursor.execute(sql.NEXT_DUE)
            return db_datetime(cursor.fetchone()[0])

    def close(self) -> None:
        self.pool.shutdown()
        self.client.close()


def _recorded(delivery: Delivery) -> dict:
    return {
        "id": delivery.pk,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "next_attempt_at": sql_datetime(delivery.next_attempt_at) if delivery.next_attempt_at else None,
        "last_attempt_at": sql_datetime(delivery.last_attempt_at),
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "delivered_at": sql_datetime(delivery.delivered_at) if delivery.delivered_at else None,
    }


def send_test_event(endpoint, *, requested_by=None, worker: Worker | None = None) -> Delivery:
    """Write a webhook.test event for `endpoint`, deliver it now and record the attempt; returns the delivery.

    The delivery is written due a minute from now, so a running worker does not send it too; a test
    that fails is dead at once (never retried).
    """
    own = worker is None
    worker = worker or Worker(concurrency=1)
    try:
        now = worker.clock()
        delivery = create_test_delivery(endpoint, requested_by=requested_by, now=now, due=now + TEST_GRACE)
        delivery = Delivery.objects.select_related("event", "endpoint").get(pk=delivery.pk)
        worker.record([worker._send(delivery)])
    finally:
        if own:
            worker.close()
    delivery.refresh_from_db()
    return delivery


# How long a test delivery waits for its immediate attempt before a worker may send it instead.
TEST_GRACE = datetime.timedelta(minutes=1)


class Listener:
    """Waits for a commit that wrote deliveries: LISTEN/NOTIFY on PostgreSQL, a plain wait (polling) on SQLite."""

    def __init__(self, channel: str):
        self.channel = channel
        self.listening = False

    def listen(self) -> None:
        """Start listening (PostgreSQL): before looking for due deliveries, so no commit in between goes unheard."""
        if connection.vendor == "postgresql" and not self.listening:
            with connection.cursor() as cursor:
                cursor.execute(f'LISTEN "{self.channel}"')
            self.listening = True

    def wait(self, seconds: float) -> bool:
        """Wait up to `seconds`; True when woken by a notification."""
        if connection.vendor != "postgresql":
            time.sleep(seconds)
            return False
        self.listen()
        raw = connection.connection
        woken = False
        for _ in raw.notifies(timeout=seconds, stop_after=1):
            woken = True
        if woken:
            for _ in raw.notifies(timeout=0):  # several commits may have notified: one wake-up is enough
                pass
        return woken

    def reset(self) -> None:
        self.listening = False


def run_worker(worker: Worker, *, poll_seconds: float, should_stop: Callable[[], bool], on_batch=None) -> None:
    """Deliver until `should_stop()`: what is due, then wait for a NOTIFY, the next due retry or `poll_seconds`."""
    from .services import CHANNEL

    listener = Listener(CHANNEL)
    while not should_stop():
        try:
            listener.listen()
            result = worker.deliver_due()
            if on_batch and result.attempted:
                on_batch(result)
            wait = poll_seconds
            if (due := worker.next_due()) is not None:
                wait = min(poll_seconds, max(0.0, (due - worker.clock()).total_seconds()))
            deadline = time.monotonic() + wait
            # In slices of a second at most, so a stop request is honoured within a second.
            while not should_stop() and (remaining := deadline - time.monotonic()) > 0:
                if listener.wait(min(remaining, 1.0)):
                    break
        except DatabaseError:
            logger.exception("webhook worker: database error; reconnecting")
            connection.close()
            listener.reset()
            time.sleep(min(poll_seconds, 5.0))
