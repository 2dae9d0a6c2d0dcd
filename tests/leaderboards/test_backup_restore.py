"""The backup recipe of docs/operations.md, drilled: a populated database dumped with `pg_dump -Fc` and restored
into a new database with `pg_restore` holds the same runs, and `verify_runs` passes there with every checksum equal."""

import datetime
import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from hedge.challenges.services.history import create_history_partitions, prune_progress_history
from leaderboards.periods import calendar_period
from leaderboards.services import generate_final_run, generate_leaderboard_run
from tests.factories import LeaderboardDefFactory, given_history

DAY = datetime.timedelta(days=1)
MINUTE = datetime.timedelta(minutes=1)
ROOT = Path(__file__).resolve().parents[2]
ON_POSTGRESQL = os.environ.get("DATABASE_URL", "").split(":")[0] in {"postgres", "postgresql", "pgsql"}

pytestmark = [
    pytest.mark.skipif(not ON_POSTGRESQL, reason="pg_dump and pg_restore back up PostgreSQL databases only"),
    pytest.mark.skipif(
        not (shutil.which("pg_dump") and shutil.which("pg_restore") and shutil.which("vacuumdb")),
        reason="no pg_dump/pg_restore/vacuumdb",
    ),
    # The dump is taken by another session: the data must be committed, not inside the test's transaction.
    pytest.mark.django_db(transaction=True),
]

PROGRESS_COUNTS = "SELECT challenge_id, progress_rows FROM challenge_progress_counts WHERE progress_rows > 0 ORDER BY 1"
PROGRESS_COUNTED = "SELECT challenge_id, COUNT(*) FROM challenge_progress GROUP BY 1 ORDER BY 1"
# Whether the planner has statistics of leaderboard_entries (pg_restore brings none; vacuumdb --analyze-only does).
ANALYZED_ENTRIES = (
    "SELECT EXISTS (SELECT 1 FROM pg_stats WHERE tablename = 'leaderboard_entries' AND attname = 'run_id')"
)
RUNS = "SELECT id, leaderboard_key, status, is_final, row_count, checksum FROM leaderboard_runs ORDER BY id"
TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
PARTITIONS = "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_class c WHERE c.relispartition ORDER BY 1"


def libpq_env() -> dict[str, str]:
    """The test server's address for the client programs, as libpq reads it."""
    db = connection.settings_dict
    env = {"PATH": os.environ["PATH"], "PGHOST": db["HOST"] or "127.0.0.1", "PGPORT": str(db["PORT"] or 5432)}
    env["PGUSER"] = db["USER"] or ""
    if db["PASSWORD"]:
        env["PGPASSWORD"] = db["PASSWORD"]
    return env


def run(*command: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(command, env=env or libpq_env(), cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603


def rows(dbname: str, statement: str) -> list[tuple]:
    env = libpq_env()
    conninfo = f"host={env['PGHOST']} port={env['PGPORT']} user={env['PGUSER']} dbname={dbname}"
    with psycopg.connect(conninfo, password=env.get("PGPASSWORD")) as restored:
        return restored.execute(statement).fetchall()


def table_counts(dbname: str) -> dict[str, int]:
    return {table: rows(dbname, f'SELECT count(*) FROM "{table}"')[0][0] for (table,) in rows(dbname, TABLES)}


def verify_runs_on(dbname: str, *args: str) -> subprocess.CompletedProcess:
    """`manage.py verify_runs` as cron runs it, with DATABASE_URL naming the restored database."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    url = f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{dbname}"
    env = {"PATH": os.environ["PATH"], "DEBUG": "true", "DATABASE_URL": url}
    return run(sys.executable, "manage.py", "verify_runs", *args, env=env)


@pytest.fixture
def restored_name():
    """A database name of its own for the restore, dropped afterwards whatever happened."""
    name = f"{connection.settings_dict['NAME']}_restored"
    run("dropdb", "--if-exists", "--force", name)
    yield name
    run("dropdb", "--if-exists", "--force", name)


@pytest.fixture
def populated(wins, streak):
    """Scheduled runs of two boards and a final run of yesterday: 300 clusters, with gains yesterday and today."""
    today = calendar_period("DAILY", now=timezone.now())
    for at, gain in [(today.start - 3 * DAY, 0), (today.start - DAY / 2, 1), (timezone.now() - MINUTE, 2)]:
        given_history(wins, {f"c{n:03d}": n % 50 + gain * (n % 4) for n in range(300)}, at=at)
    given_history(streak, {f"c{n:03d}": n % 7 for n in range(300)}, at=today.start - 3 * DAY)
    LeaderboardDefFactory(key="top_wins", challenge=wins, fallback=streak, max_entries=0)
    LeaderboardDefFactory(key="daily_wins", challenge=wins, time_window="DAILY", max_entries=0)
    runs = [
        generate_leaderboard_run("top_wins"),
        generate_leaderboard_run("top_wins"),
        generate_leaderboard_run("daily_wins"),
        generate_final_run("daily_wins", period_start=today.start - DAY, period_end=today.start),
    ]
    assert all(run.row_count for run in runs)
    return runs


@pytest.fixture
def pruned_history(wins):
    """A month of 2001 pruned: history's baseline partition (FROM MINVALUE) exists; dropped afterwards."""
    old = datetime.datetime(2001, 1, 10, tzinfo=datetime.UTC)
    create_history_partitions(now=old, months_ahead=0)
    for day, value in enumerate((1, 2, 3)):
        given_history(wins, {"old": value}, at=old + day * DAY)
    # As of February 2001: months other tests left behind (committed by transactional tests) are not touched.
    pruned = prune_progress_history(keep_days=30, now=old + 60 * DAY)
    assert pruned.dropped_partitions == ("challenge_progress_history_2001_01",)
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE challenge_progress_history_base")


def test_a_dump_restored_into_a_new_database_verifies_with_every_checksum_equal(
    populated, pruned_history, restored_name, tmp_path
):
    source = connection.settings_dict["NAME"]
    dump = tmp_path / "hedge.dump"

    dumped = run("pg_dump", "-Fc", "--no-owner", "--file", str(dump), source)
    created = run("createdb", restored_name)
    restored = run("pg_restore", "--no-owner", "--exit-on-error", "--dbname", restored_name, str(dump))
    analyzed = run("vacuumdb", "--analyze-only", "--dbname", restored_name)

    assert (dumped.returncode, created.returncode, restored.returncode) == (0, 0, 0), dumped.stderr + restored.stderr
    assert analyzed.returncode == 0, analyzed.stderr
    assert rows(restored_name, ANALYZED_ENTRIES) == [(True,)]  # the copy has planner statistics before it serves
    assert rows(restored_name, RUNS) == rows(source, RUNS)
    assert table_counts(restored_name) == table_counts(source)
    partitions = dict(rows(restored_name, PARTITIONS))
    assert partitions == dict(rows(source, PARTITIONS))
    assert partitions["challenge_progress_history_base"].startswith("FOR VALUES FROM (MINVALUE) TO ('2001-02-01")
    assert rows(restored_name, PROGRESS_COUNTS) == rows(restored_name, PROGRESS_COUNTED) != []
    verified = verify_runs_on(restored_name, "--verbosity", "2")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    for run_ in populated:
        assert f"ok {run_.leaderboard_id} run {run_.pk} ({run_.row_count} entries)" in verified.stdout
    entries = sum(run_.row_count for run_ in populated)
    assert f"4 run(s) verified ({entries} entries)" in verified.stdout and "0 mismatch(es)" in verified.stdout

    # The drill can fail: an entry changed in the restored copy is named there.
    changed = run(
        "psql",
        "-qc",
        f"UPDATE leaderboard_entries SET score = score + 1 WHERE run_id = {populated[0].pk} AND position = 1",
        restored_name,
    )
    assert changed.returncode == 0, changed.stderr
    failed = verify_runs_on(restored_name)
    assert failed.returncode == 1
    assert f"MISMATCH top_wins run {populated[0].pk} stored={populated[0].checksum} computed=" in failed.stdout
