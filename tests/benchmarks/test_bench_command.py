"""`manage.py bench` as CI runs it: a small run that completes, reports every operation and leaves nothing behind.

No timing is asserted anywhere: the benchmark measures, it does not judge.
"""

import json
import os

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from bench import floor
from bench.runner import COMMIT_STEP, HISTORY_OPERATIONS, SQLITE_MAX_CLUSTERS
from bench.scratch import SCRATCH_PREFIX, drop_kept
from bench.scratch import leftover_databases as all_leftover_databases

OPERATIONS = {
    "generation_top_1000",
    "generation_full",
    "generation_full_previous_rank",
    "generation_full_exclusions",
    "generation_all_boards",
    "season_recompute_all",
    "season_recompute_changed",
    "season_recompute_changed_all",
    "http_leaderboard_latest",
    "http_leaderboard_page_cached",
    "http_leaderboard_page",
    "http_leaderboard_cluster",
    "http_leaderboard_clusters",
    "http_season_progress",
    "load_production",
}


def leftover_databases() -> set[str]:
    """The scratch databases of this process (named after its pid): other sessions may run benchmarks meanwhile."""
    return {name for name in all_leftover_databases() if name.startswith(f"{SCRATCH_PREFIX}{os.getpid()}_")}


# The run creates its own database beside the test database, and points Django's connection at it
# for a while: no test transaction may be open around it.
pytestmark = pytest.mark.django_db(transaction=True)


def test_a_smoke_run_reports_every_operation_and_leaves_no_scratch_database_behind(tmp_path):
    before = leftover_databases()
    test_database = connection.settings_dict["NAME"]
    out = tmp_path / "bench.json"

    call_command(
        "bench",
        clusters=5_000,
        challenges=3,
        history_days=3,
        repeat=1,
        http_seconds=0.5,
        http_clients=2,
        load_seconds=0.5,
        load_clients=4,
        json=str(out),
        verbosity=0,
    )

    report = json.loads(out.read_text())
    operations = {op["key"]: op for op in report["operations"]}
    # Every data operation reached its report only after its row-by-row comparison (EXCEPT both ways) passed.
    if connection.vendor == "postgresql":
        assert set(operations) == OPERATIONS | set(HISTORY_OPERATIONS)
        assert report["skipped"] == []
        assert report["seed"]["history_rows"] > 5_000 * 3
        for key in ("generation_daily_top_1000", "generation_daily_full", "generation_monthly_full"):
            assert operations[key]["rows"] > 0, key
        # EXPLAIN (ANALYZE, BUFFERS) of hedge's DAILY statement and the floor's, for docs/benchmarks.md.
        plans = operations["generation_daily_full"]["explain"]
        assert "actual time" in plans["hedge"] and "Buffers" in plans["hedge"]
        assert "actual time" in plans["floor"]
        # ... and of hedge's DAILY statement again once the history is 60 days longer.
        assert "actual time" in operations["generation_daily_full_more_history"]["explain"]["hedge"]
        assert operations["generation_daily_full_more_history"]["older_history_rows"] > 0
        assert operations["generation_daily_full_more_history"]["growth"]["hedge"] is not None
        storage = operations["generation_full"]["storage"]
        assert storage["lean_floor"]["rows"] == storage["legacy_layout"]["rows"] == 5_000
        assert storage["lean_floor"]["bytes_per_row"] < storage["legacy_layout"]["bytes_per_row"]
    else:
        assert set(operations) == OPERATIONS
        assert {skipped["key"] for skipped in report["skipped"]} == set(HISTORY_OPERATIONS)
    assert all(op["ratio"] is not None for op in report["operations"])
    top = operations["generation_top_1000"]
    assert "INSERT leaderboard_entries" in top["steps_ms"]
    # The commit of the publishing transaction is a step of its own, and the WAL flush is measured apart.
    assert COMMIT_STEP in top["steps_ms"]
    assert set(top["commit_micro_ms"]) == {"insert_and_commit", "insert_in_transaction", "flush"}
    assert operations["generation_all_boards"]["boards"] == 100
    assert operations["generation_all_boards"]["per_board_ms"]["hedge"] > 0
    assert "INSERT leaderboard_entries" in operations["generation_full"]["steps_ms_one_run"]
    # 1% of the clusters excluded; the run with them was compared row by row with the run without, re-ranked.
    assert operations["generation_full_exclusions"]["exclusions"] == 50
    load = operations["load_production"]
    for side in ("hedge", "floor"):  # the same mix against hedge's views, then the bare views
        assert load[side]["errors"] == 0, load[side].get("first_error")
        assert set(load[side]["by_kind"]) == {"latest", "page", "cluster lookup", "progress"}
        assert all(figures["requests"] > 0 for figures in load[side]["by_kind"].values())
    assert load["ratio"] == pytest.approx(load["hedge"]["p99_ms"] / load["floor"]["p99_ms"], abs=0.001)
    assert report["seed"]["progress_rows"] == 5_000 * 3
    assert report["command"].startswith("python -m bench --clusters=5000 --challenges=3 --repeat=1")
    assert "--history-days=3" in report["command"]
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
        ({"history_days": 0}, "--history-days must be between 1"),
        ({"http_clients": 0}, "--http-clients must be between 1 and 64"),
        ({"load_seconds": -1}, "--load-seconds must be 0"),
        ({"load_clients": 0}, "--load-clients must be between 1 and 128"),
        ({"json": "/nonexistent-dir/bench.json"}, "does not exist"),
    ],
)
def test_bench_names_the_bad_option_before_creating_anything(options, message):
    before = leftover_databases()

    with pytest.raises(CommandError, match=message):
        call_command("bench", verbosity=0, **options)

    assert leftover_databases() == before


def test_a_floor_that_computes_something_else_fails_the_run_loudly(monkeypatch):
    """Every floor's rows are compared with hedge's: a floor that ranks differently is no floor."""
    wrong = floor.RANK_ALL.replace(
        "s.score, s.tiebreaker, s.fallback_value", "s.score + 1, s.tiebreaker, s.fallback_value"
    )
    monkeypatch.setattr(floor, "RANK_ALL", wrong)
    before = leftover_databases()

    with pytest.raises(CommandError, match="differ in 300 rows"):
        call_command("bench", clusters=150, challenges=2, repeat=1, only=("generation_full",), verbosity=0)

    assert leftover_databases() <= before


def test_only_measures_the_named_operations_and_database_measures_a_kept_one_again(tmp_path):
    before = leftover_databases()
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    small = {"challenges": 2, "history_days": 2, "repeat": 1, "verbosity": 0}

    call_command("bench", clusters=300, only=("season_recompute_all",), keep_database=True, json=str(first), **small)
    kept = json.loads(first.read_text())["scratch_database"]
    try:
        assert kept in leftover_databases()
        call_command(
            "bench", database=kept, only=("generation_top_1000", "season_recompute_changed"), json=str(second), **small
        )
    finally:
        drop_kept(kept)

    report = json.loads(second.read_text())
    assert [op["key"] for op in report["operations"]] == ["generation_top_1000", "season_recompute_changed"]
    assert report["seed"]["clusters"] == 300 and report["seed"]["reused"] is True
    assert leftover_databases() <= before


def test_only_refuses_an_unknown_operation_before_creating_anything():
    before = leftover_databases()

    with pytest.raises(CommandError, match="--only: unknown operation nothing_such"):
        call_command("bench", only=("nothing_such",), verbosity=0)

    assert leftover_databases() == before
