"""`manage.py bench_leagues` in small: it completes, compares its rows and reports both ratios; no timing asserted."""

import json
import os

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from bench.scratch import drop_kept, leftover_databases

postgresql_only = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").split(":")[0] not in {"postgres", "postgresql", "pgsql"},
    reason="the leagues benchmark seeds with generate_series, PostgreSQL's",
)
pytestmark = pytest.mark.django_db(transaction=True)


@postgresql_only
def test_a_small_run_compares_seats_and_moves_with_their_floors(tmp_path):
    out = tmp_path / "leagues.json"

    call_command("bench_leagues", clusters=1_000, repeat=1, http_seconds=0, json=out, verbosity=0)

    report = json.loads(out.read_text())
    assert [op["key"] for op in report["operations"]] == ["league_placement", "league_moves"]
    assert all(op["ratio"] for op in report["operations"])  # measured only once the rows were equal
    # Ours only: other checkouts' benchmarks share the server and come and go meanwhile.
    assert not {name for name in leftover_databases() if name.startswith(f"hedge_bench_{os.getpid()}_")}


@postgresql_only
def test_a_kept_database_is_measured_again_without_seeding_only_what_is_asked(tmp_path):
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    call_command("bench_leagues", clusters=1_000, repeat=1, http_seconds=0, keep_database=True, json=first)
    kept = json.loads(first.read_text())["scratch_database"]
    try:
        call_command("bench_leagues", database=kept, repeat=1, only=["moves"], json=second, verbosity=0)

        report = json.loads(second.read_text())
        assert (report["scratch_database"], report["options"]["clusters"]) == (kept, 1_000)
        assert [(op["key"], bool(op["ratio"])) for op in report["operations"]] == [("league_moves", True)]
    finally:
        drop_kept(kept)


def test_a_database_that_is_not_a_scratch_one_is_refused():
    with pytest.raises(CommandError, match="kept scratch database"):
        call_command("bench_leagues", database="hedge")


def test_sqlite_is_refused_with_the_reason():
    if connection.vendor == "postgresql":
        pytest.skip("the refusal is SQLite's")
    with pytest.raises(CommandError, match="needs PostgreSQL"):
        call_command("bench_leagues", clusters=1_000)
