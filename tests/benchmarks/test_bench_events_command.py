"""`manage.py bench_events` in small: it completes, reports its three measurements and leaves no database behind.

No timing is asserted: the benchmark measures, it does not judge.
"""

import json
import os

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from bench.scratch import leftover_databases

postgresql_only = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").split(":")[0] not in {"postgres", "postgresql", "pgsql"},
    reason="the events benchmark measures LISTEN/NOTIFY, PostgreSQL's",
)
pytestmark = pytest.mark.django_db(transaction=True)


@postgresql_only
def test_a_small_run_reports_publishing_throughput_and_latency(tmp_path):
    out = tmp_path / "events.json"

    call_command(
        "bench_events", clusters=2_000, repeat=1, event_count=100, latency_samples=5, json_file=str(out), verbosity=0
    )

    report = json.loads(out.read_text())
    assert report["publishing"]["entries"] == 2_000  # every cluster ranked: one event, whatever the entries
    assert report["publishing"]["deliveries_written"] == 1  # the one publication with events on
    assert report["throughput"]["events"] == 100
    assert (report["latency"]["samples"], report["latency"]["not_arrived_in_30s"]) == (5, 0)
    # Ours only: other checkouts' benchmarks share the server and come and go meanwhile.
    assert not {name for name in leftover_databases() if name.startswith(f"hedge_bench_{os.getpid()}_")}


def test_sqlite_is_refused_with_the_reason(settings):
    if connection.vendor == "postgresql":
        pytest.skip("the refusal is SQLite's")
    with pytest.raises(CommandError, match="needs PostgreSQL"):
        call_command("bench_events", clusters=10)
