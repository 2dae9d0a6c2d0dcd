"""A run left PROCESSING by a killed generation is marked FAILED by the next generation or prune, at once (PostgreSQL).

Each generation holds a session-level marker on its run (leaderboards.services.run_marker) that the server
drops with the session, however the process ends. SQLite has no such locks and keeps the age rule
(tests/leaderboards/test_prune.py).
"""

import os
import signal
import subprocess
import sys
import textwrap

import pytest
from django.db import connection

from leaderboards.models import LeaderboardRun, RunStatus
from leaderboards.services import generate_leaderboard_run, prune_leaderboard_runs, run_marker
from tests.factories import LeaderboardDefFactory, LeaderboardRunFactory, given_progress

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="session markers are PostgreSQL advisory locks"),
]


@pytest.fixture
def board(wins):
    given_progress(wins, {"a": 2, "b": 1})
    return LeaderboardDefFactory(key="lb", challenge=wins)


def processing_run(board):
    return LeaderboardRunFactory(leaderboard=board, status=RunStatus.PROCESSING, finished_at=None)


def status(run):
    run.refresh_from_db()
    return run.status


def test_a_run_whose_generation_is_alive_is_left_alone(board):
    run = processing_run(board)
    other = connection.copy()
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [run_marker(run.pk)])

        generate_leaderboard_run("lb")
        prune_leaderboard_runs()

        assert status(run) == RunStatus.PROCESSING
    finally:
        other.close()


def test_a_run_whose_generation_session_ended_is_failed_by_the_next_generation(board):
    run = processing_run(board)
    other = connection.copy()
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [run_marker(run.pk)])
    other.close()  # as the server sees a process that died

    generate_leaderboard_run("lb")

    run.refresh_from_db()
    assert (run.status, run.error) == (
        RunStatus.FAILED,
        "abandoned: the process generating it stopped before it finished",
    )
    assert run.finished_at is not None


def test_a_killed_process_run_is_failed_by_prune_at_once(board):
    run = processing_run(board)
    settings = connection.settings_dict
    child = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                """
                import sys, time, psycopg
                conn = psycopg.connect(host=sys.argv[1], port=sys.argv[2], user=sys.argv[3], dbname=sys.argv[4],
                                       password=sys.argv[5] or None, autocommit=True)
                conn.execute("SELECT pg_advisory_lock(%s)", [int(sys.argv[6])])
                print("holding", flush=True)
                time.sleep(60)
                """
            ),
            settings["HOST"] or "127.0.0.1",
            str(settings["PORT"] or 5432),
            settings["USER"],
            settings["NAME"],
            settings["PASSWORD"] or "",
            str(run_marker(run.pk)),
        ],
        stdout=subprocess.PIPE,
        env={**os.environ},
        text=True,
    )
    try:
        assert child.stdout.readline().strip() == "holding"
        prune_leaderboard_runs()
        assert status(run) == RunStatus.PROCESSING
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)

    [result] = prune_leaderboard_runs()

    assert result.runs_abandoned == 1
    assert status(run) == RunStatus.FAILED


def test_a_generation_releases_its_marker_when_it_ends(board):
    run = generate_leaderboard_run("lb")

    key = run_marker(run.pk)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1"
            " AND CAST(classid AS bigint) * 4294967296 + CAST(objid AS bigint) = %s",
            [key],
        )
        assert cursor.fetchone()[0] == 0
    assert LeaderboardRun.objects.get(pk=run.pk).status == RunStatus.COMPLETE
