"""The events benchmark: what the outbox costs a publication, how fast one worker delivers, commit-to-delivery latency.

Run by `python manage.py bench_events` under bench.settings, on a scratch database (never the
configured one). Three measurements:

1. Publishing a final run of every cluster (the DAILY full board of bench.seeding) with the events
   app's receivers connected and one active endpoint, against the same publication with the
   receivers disconnected; alternated, medians, ratio on/off (the outbox writes one event row and
   one delivery, whatever the number of entries).
2. One worker (in this process) delivering N queued events to a receiver in a separate process that
   answers 204 at once: events per second.
3. A `deliver_webhooks` process waiting on LISTEN/NOTIFY (poll 60 s) and events committed one at a
   time: the time from each commit to its arrival at the receiver, p50 and p99.
"""

from __future__ import annotations

import datetime
import os
import statistics
import subprocess
import sys
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.conf import settings
from django.db import connection, transaction
from django.test.utils import override_settings

from events.delivery import Worker
from events.models import Delivery, EventType
from events.receivers import on_final_run_published
from events.services import create_endpoint, record_event
from leaderboards import signals as leaderboard_signals
from leaderboards.services import generate_final_run

from . import seeding

# A receiver that answers every POST with 204 at once (keep-alive), in a process of its own so it
# does not share this process's interpreter lock with the worker it measures.
_RECEIVER_SCRIPT = textwrap.dedent(
    """
    import sys
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_port, flush=True)
    server.serve_forever()
    """
)

DEVELOPMENT = {"WEBHOOK_ALLOW_PRIVATE_NETWORKS": True, "WEBHOOK_ALLOW_HTTP": True}


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


# Every cluster gains something on the last day of history (the seed's schedule changes a few per
# day), so yesterday's final run of the DAILY full board ranks every cluster: one history row each,
# a microsecond before midnight, above its current value.
EVERYONE_GAINS_YESTERDAY = """
INSERT INTO challenge_progress_history (cluster_id, challenge_id, value, recorded_at)
SELECT p.cluster_id, p.challenge_id, p.value + 1 + abs(hashtext(p.cluster_id)) %% 1000, %(at)s
FROM challenge_progress p
JOIN challenges c ON c.id = p.challenge_id
WHERE c.metric_key = %(metric_key)s
"""


def measure_publishing(*, clusters: int, repeat: int, log) -> dict:
    """Final runs of every cluster, events on and off, alternated; medians and the ratio on/off."""
    seeded = seeding.seed(clusters=clusters, challenges=2, history_days=3)
    with connection.cursor() as cursor:
        at = seeded.midnight - datetime.timedelta(microseconds=1)
        cursor.execute(EVERYONE_GAINS_YESTERDAY, {"at": at, "metric_key": seeding.metric_key(1)})
    seeding.analyze()
    period = {
        "period_start": seeded.midnight - datetime.timedelta(days=1),
        "period_end": seeded.midnight,
    }
    with override_settings(**DEVELOPMENT):
        # An endpoint of every type, so each publication fans out a delivery (and NOTIFYs); never delivered here.
        endpoint = create_endpoint(name="bench", url="http://127.0.0.1:9/hooks", event_types=[], format="standard")
    times: dict[str, list[float]] = {"on": [], "off": []}
    # The outbox's own time inside each publication (its receiver), which the machine's noise cannot hide.
    outbox: list[float] = []

    def timed_receiver(sender, **kwargs):
        started = time.perf_counter()
        on_final_run_published(sender, **kwargs)
        outbox.append(time.perf_counter() - started)

    rows = 0
    for n in range(repeat * 2):
        side = ("on", "off")[n % 2] if repeat % 2 else ("on", "off", "off", "on")[n % 4]
        leaderboard_signals.final_run_published.disconnect(dispatch_uid="events.final_run_published")
        if side == "on":
            leaderboard_signals.final_run_published.connect(timed_receiver, dispatch_uid="events.final_run_published")
        try:
            started = time.perf_counter()
            run = generate_final_run(seeding.DAILY_FULL_KEY, **period, note=f"bench {n}" if n else "")
            times[side].append(time.perf_counter() - started)
        finally:
            leaderboard_signals.final_run_published.disconnect(dispatch_uid="events.final_run_published")
            leaderboard_signals.final_run_published.connect(
                on_final_run_published, dispatch_uid="events.final_run_published"
            )
        rows = run.row_count
        log(f"publishing {rows:,} entries, events {side}: {times[side][-1]:.2f} s")
        with connection.cursor() as cursor:  # keep the table the same size for every run
            cursor.execute("DELETE FROM leaderboard_entries WHERE run_id <> %s", [run.pk])
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE leaderboard_entries")
    events = Delivery.objects.filter(event__type=EventType.FINAL_PUBLISHED).count()
    endpoint.is_active = False
    endpoint.save()
    on, off = statistics.median(times["on"]), statistics.median(times["off"])
    return {
        "entries": rows,
        "events_on_seconds": on,
        "events_off_seconds": off,
        "ratio": on / off,
        "outbox_ms_median": statistics.median(outbox) * 1000,
        "outbox_ms_max": max(outbox) * 1000,
        "runs_each": repeat,
        "deliveries_written": events,
    }


def _start_receiver() -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", _RECEIVER_SCRIPT], stdout=subprocess.PIPE, text=True
    )
    port = int(process.stdout.readline())
    return process, f"http://127.0.0.1:{port}/hooks"


def measure_throughput(*, events: int, log) -> dict:
    """One worker delivering `events` queued events to a receiver that answers at once: events per second."""
    receiver, url = _start_receiver()
    try:
        with override_settings(**DEVELOPMENT):
            endpoint = create_endpoint(name="throughput", url=url, event_types=[], format="standard")
            with transaction.atomic():
                for n in range(events):
                    record_event(EventType.ETL_COMPLETED, {"rowsChanged": n})
            worker = Worker(batch_size=50)
            started = time.perf_counter()
            result = worker.deliver_due()
            seconds = time.perf_counter() - started
            worker.close()
        endpoint.is_active = False
        endpoint.save()
    finally:
        receiver.kill()
        receiver.wait()
    log(f"one worker: {result.delivered:,} events in {seconds:.2f} s")
    return {"events": result.delivered, "seconds": seconds, "events_per_second": result.delivered / seconds}


class _ArrivalReceiver:
    """An in-process receiver noting when each webhook-id arrives (the bench commits one event at a time)."""

    def __init__(self):
        self.arrived: dict[str, float] = {}
        self.condition = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                now = time.time()
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()
                with receiver.condition:
                    receiver.arrived[self.headers["webhook-id"]] = now
                    receiver.condition.notify_all()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, message_id: str, timeout: float) -> float | None:
        with self.condition:
            self.condition.wait_for(lambda: message_id in self.arrived, timeout)
            return self.arrived.get(message_id)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def measure_latency(*, scratch_url: str, samples: int, log) -> dict:
    """Commit-to-delivery with a `deliver_webhooks` process woken by NOTIFY (poll 60 s): p50, p99, max, in ms."""
    receiver = _ArrivalReceiver()
    env = {
        **os.environ,
        "DATABASE_URL": scratch_url,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",
        "WEBHOOK_ALLOW_HTTP": "true",
    }
    with override_settings(**DEVELOPMENT):
        create_endpoint(name="latency", url=receiver.url, event_types=["etl.failed"], format="standard")
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "deliver_webhooks", "--poll-seconds", "60", "--verbosity", "0"],
        cwd=settings.BASE_DIR,
        env=env,
    )
    latencies, lost = [], 0
    try:
        # The first event waits for the worker to start; it is not counted.
        for n in range(samples + 1):
            with transaction.atomic():
                event = record_event(EventType.ETL_FAILED, {"challengeCode": f"c{n}", "error": "bench"})
            committed = time.time()
            arrived = receiver.wait_for(event.message_id, timeout=120 if n == 0 else 30)
            if arrived is None:
                lost += 1
            elif n:
                latencies.append((arrived - committed) * 1000)
    finally:
        worker.terminate()
        worker.wait(30)
        receiver.close()
    result = {
        "samples": len(latencies),
        "not_arrived_in_30s": lost,
        "p50_ms": _percentile(latencies, 0.50),
        "p99_ms": _percentile(latencies, 0.99),
        "max_ms": max(latencies),
    }
    log(f"commit to delivery: p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms")
    return result
