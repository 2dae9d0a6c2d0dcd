import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from bench import events as bench_events
from bench.scratch import scratch_database


class Command(BaseCommand):
    help = (
        "Benchmark the events app on a scratch database (hedge_bench_*, always dropped; PostgreSQL): publishing a "
        "final run of --clusters entries with events on against events off (median of --repeat each, alternated), "
        "one worker delivering --events queued events to a local receiver that answers at once (events/s), and "
        "the time from commit to delivery with a deliver_webhooks process woken by LISTEN/NOTIFY (p50, p99 of "
        "--latency-samples). Nothing is asserted: it prints the numbers (and writes them to --json)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--clusters", type=int, default=1_000_000, help="entries of the final run (default 1M)")
        parser.add_argument("--repeat", type=int, default=3, help="publications per side (default 3)")
        parser.add_argument(
            "--events", dest="event_count", type=int, default=5000, help="events for the throughput (default 5000)"
        )
        parser.add_argument("--latency-samples", type=int, default=200, help="commits timed to delivery (default 200)")
        parser.add_argument("--json", dest="json_file", help="also write the results to this file")

    def handle(self, *args, clusters, repeat, event_count, latency_samples, json_file, verbosity, **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench_events needs PostgreSQL (DATABASE_URL=postgres://...): it measures NOTIFY")
        if min(clusters, repeat, event_count, latency_samples) < 1:
            raise CommandError("--clusters, --repeat, --events and --latency-samples must be at least 1")

        def log(line):
            if verbosity:
                self.stdout.write(line)

        with scratch_database(log=log) as scratch:
            publishing = bench_events.measure_publishing(clusters=clusters, repeat=repeat, log=log)
            throughput = bench_events.measure_throughput(events=event_count, log=log)
            latency = bench_events.measure_latency(scratch_url=scratch.url, samples=latency_samples, log=log)
        self.stdout.write(
            f"publishing {publishing['entries']:,} entries: events on {publishing['events_on_seconds']:.2f} s, "
            f"off {publishing['events_off_seconds']:.2f} s, ratio {publishing['ratio']:.3f}; the outbox itself "
            f"{publishing['outbox_ms_median']:.1f} ms (max {publishing['outbox_ms_max']:.1f} ms)\n"
            f"one worker: {throughput['events_per_second']:.0f} events/s ({throughput['events']:,} events)\n"
            f"commit to delivery (LISTEN/NOTIFY): p50 {latency['p50_ms']:.1f} ms, p99 {latency['p99_ms']:.1f} ms, "
            f"max {latency['max_ms']:.1f} ms ({latency['samples']} samples)"
        )
        if json_file:
            report = {"publishing": publishing, "throughput": throughput, "latency": latency}
            Path(json_file).write_text(json.dumps(report, indent=2))
