"""`manage.py bench` as CI runs it: a small run that completes, reports every operation and leaves nothing behind.

No timing is asserted anywhere: the benchmark measures, it does not judge.
"""

import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from bench.runner import SQLITE_MAX_CLUSTERS
from bench.scratch import leftover_databases

OPERATIONS = {
    "generation_top_1000",
    "generation_full",
    "season_recompute_all",
    "season_recompute_changed",
    "season_recompute_changed_all",
    "http_leaderboard_latest",
    "http_season_progress",
}

# The run creates its own database beside the test database, and points Django's connection at it
# for a while: no test transaction may be open around it.
pytestmark = pytest.mark.django_db(transaction=True)


def test_a_smoke_run_reports_every_operation_and_leaves_no_scratch_database_behind(tmp_path):
    before = leftover_databases()
    test_database = connection.settings_dict["NAME"]
    out = tmp_path / "bench.json"

    call_command(
        "bench", clusters=20_000, challenges=3, repeat=1, http_seconds=1, http_clients=4, json=str(out), verbosity=0
    )

    report = json.loads(out.read_text())
    assert {op["key"] for op in report["operations"]} == OPERATIONS
    assert all(op["ratio"] is not None for op in report["operations"])
    assert report["seed"]["progress_rows"] == 20_000 * 3
    assert report["command"].startswith("python -m bench --clusters=20000 --challenges=3 --repeat=1")
    assert report["machine"]["cores"] >= 1
    assert report["scratch_database"].startswith("hedge_bench_")
    assert report["scratch_database"] not in leftover_databases()
    assert leftover_databases() <= before
    # Django is pointed back at the test database, which the run never wrote to.
    assert connection.settings_dict["NAME"] == test_database
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM challenge_progress")
        assert cursor.fetchone()[0] == 0


def test_bench_refuses_sqlite_above_the_small_run_threshold(monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")
    before = leftover_databases()

    with pytest.raises(CommandError, match="needs PostgreSQL above"):
        call_command("bench", clusters=SQLITE_MAX_CLUSTERS + 1, verbosity=0)

    assert leftover_databases() == before


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"clusters": 0}, "--clusters must be between"),
        ({"challenges": 1}, "--challenges must be between 2"),
        ({"repeat": 0}, "--repeat must be at least 1"),
        ({"http_clients": 0}, "--http-clients must be between 1 and 64"),
        ({"json": "/nonexistent-dir/bench.json"}, "does not exist"),
    ],
)
def test_bench_names_the_bad_option_before_creating_anything(options, message):
    before = leftover_databases()

    with pytest.raises(CommandError, match=message):
        call_command("bench", verbosity=0, **options)

    assert leftover_databases() == before
