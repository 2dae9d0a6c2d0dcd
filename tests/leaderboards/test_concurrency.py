"""Generations against the real database from real threads (each thread has its own connection)."""

import itertools
import threading
import time

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from leaderboards.errors import LeaderboardError
from leaderboards.models import LeaderboardDef, LeaderboardEntry, LeaderboardRun, RunStatus
from leaderboards.services import generate_leaderboard_run
from tests.factories import ChallengeFactory, LeaderboardDefFactory, given_progress
from tests.helpers import RANKING, around_statements

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 4


def in_threads(target, count: int) -> tuple[list, list]:
    """Run `target()` in `count` threads started together; each closes its own connection."""
    barrier = threading.Barrier(count)
    results, errors = [], []

    def work():
        try:
            barrier.wait()
            results.append(target())
        except (LeaderboardError, DatabaseError) as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


class SlowRanking:
    """Generations held inside their locked section a little longer, so any overlap would show.

    `started` is {run id: the moment its ranking started}, which is inside the locked section.
    """

    def __init__(self):
        self.started = {}

    def generate(self, key: str):
        def start(params):
            self.started[params["run"]] = timezone.now()

        with around_statements(RANKING, before=start, after=lambda params: time.sleep(0.2)):
            return generate_leaderboard_run(key)


@pytest.fixture
def slow_ranking():
    return SlowRanking()


def test_concurrent_generations_of_one_leaderboard_never_interleave(slow_ranking):
    wins = ChallengeFactory(code="wins")
    given_progress(wins, {f"cluster-{n:04d}": n % 50 for n in range(500)})
    LeaderboardDefFactory(key="top_wins", challenge=wins, max_entries=0)

    runs, errors = in_threads(lambda: slow_ranking.generate("top_wins"), THREADS)

    assert errors == []
    assert len(runs) == THREADS
    stored = list(LeaderboardRun.objects.order_by("id"))
    assert [run.status for run in stored] == [RunStatus.COMPLETE] * THREADS
    expected = list(range(1, 501))
    for run in stored:
        assert run.row_count == 500
        positions = list(
            LeaderboardEntry.objects.filter(run=run).order_by("position").values_list("position", flat=True)
        )
        assert positions == expected
    # Each run's locked section: from the moment it started ranking (holding the lock) to the
    # moment it published (finished_at). Sorted by start, none begins before the previous ends.
    sections = sorted((slow_ranking.started[run.pk], run.finished_at) for run in stored)
    for (_, previous_end), (next_start, _) in itertools.pairwise(sections):
        assert previous_end <= next_start


def test_concurrent_generations_of_different_leaderboards_all_complete(slow_ranking):
    wins = ChallengeFactory(code="wins")
    given_progress(wins, {f"cluster-{n:04d}": n for n in range(100)})
    keys = [f"lb_{n}" for n in range(THREADS)]
    for key in keys:
        LeaderboardDefFactory(key=key, challenge=wins)
    pending = list(keys)
    lock = threading.Lock()

    def next_key():
        with lock:
            return pending.pop()

    runs, errors = in_threads(lambda: slow_ranking.generate(next_key()), THREADS)

    assert errors == []
    assert sorted(run.leaderboard_id for run in runs) == keys
    assert set(LeaderboardRun.objects.values_list("status", "row_count")) == {(RunStatus.COMPLETE, 100)}


def generation_thread(key: str, outcome: list, finished: threading.Event) -> threading.Thread:
    """A thread that generates `key` once, appending the run or the error to `outcome`."""

    def generate():
        try:
            outcome.append(generate_leaderboard_run(key))
        except (LeaderboardError, DatabaseError) as exc:
            outcome.append(exc)
        finally:
            finished.set()
            connection.close()

    return threading.Thread(target=generate)


def test_a_second_generation_waits_for_the_lock_and_then_completes():
    wins = ChallengeFactory(code="wins")
    given_progress(wins, {"alice": 1, "bob": 2})
    definition = LeaderboardDefFactory(key="top_wins", challenge=wins)
    finished = threading.Event()
    outcome = []
    thread = generation_thread("top_wins", outcome, finished)
    with transaction.atomic():
        # What a running generation holds: the definition's row lock (on SQLite, the write lock
        # that every IMMEDIATE transaction takes).
        LeaderboardDef.objects.select_for_update(no_key=True).get(pk=definition.pk)
        thread.start()
        assert not finished.wait(timeout=1.0), "the generation did not wait for the lock"
        assert not LeaderboardRun.objects.filter(status=RunStatus.COMPLETE).exists()
    thread.join()

    [run] = outcome
    assert (run.status, run.row_count) == (RunStatus.COMPLETE, 2)


@pytest.fixture
def short_lock_waits(settings, monkeypatch):
    settings.LEADERBOARD_LOCK_TIMEOUT = 0.3
    if connection.vendor == "sqlite":
        # SQLite's equivalent is the busy timeout of the waiting thread's new connection.
        monkeypatch.setitem(settings.DATABASES["default"]["OPTIONS"], "timeout", 0.3)


def test_a_second_generation_gives_up_after_the_lock_timeout(short_lock_waits):
    wins = ChallengeFactory(code="wins")
    given_progress(wins, {"alice": 1})
    definition = LeaderboardDefFactory(key="top_wins", challenge=wins)
    outcome = []
    thread = generation_thread("top_wins", outcome, threading.Event())
    with transaction.atomic():
        LeaderboardDef.objects.select_for_update(no_key=True).get(pk=definition.pk)
        thread.start()
        thread.join(timeout=10)

    [error] = outcome
    if connection.vendor == "postgresql":
        run = LeaderboardRun.objects.get()
        assert "another generation of 'top_wins' is still running after 0.3 s" in str(error)
        assert run.status == RunStatus.FAILED and "still running" in run.error
    else:  # the database write lock stops it before it can even record its run
        assert "database is locked" in str(error)
        assert not LeaderboardRun.objects.exists()
    assert not LeaderboardEntry.objects.exists()
