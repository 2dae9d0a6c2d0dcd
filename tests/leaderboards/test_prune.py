import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from leaderboards import services
from leaderboards.errors import UnknownLeaderboard
from leaderboards.models import LeaderboardEntry, LeaderboardRun, RunStatus
from leaderboards.services import PruneResult, prune_leaderboard_runs
from tests.factories import LeaderboardDefFactory, LeaderboardEntryFactory, LeaderboardRunFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def board(wins):
    return LeaderboardDefFactory(key="lb_wins", challenge=wins)


def runs_with_entries(board, count: int, *, entries: int = 2, **fields) -> list[LeaderboardRun]:
    runs = LeaderboardRunFactory.create_batch(count, leaderboard=board, row_count=entries, **fields)
    for run in runs:
        LeaderboardEntryFactory.create_batch(entries, run=run)
    return runs


def remaining(board) -> list[int]:
    return sorted(LeaderboardRun.objects.filter(leaderboard=board).values_list("pk", flat=True))


def test_the_newest_complete_runs_are_kept_and_older_ones_go_with_their_entries(board):
    runs = runs_with_entries(board, 5, entries=3)

    [result] = prune_leaderboard_runs(keep=2)

    assert result == PruneResult(leaderboard_key="lb_wins", runs_deleted=3, entries_deleted=9)
    assert remaining(board) == [runs[3].pk, runs[4].pk]
    assert set(LeaderboardEntry.objects.values_list("run_id", flat=True)) == {runs[3].pk, runs[4].pk}


def test_the_latest_run_is_kept_even_when_newer_backfills_exist(board):
    [scheduled] = runs_with_entries(board, 1)
    backfills = runs_with_entries(board, 2, is_backfill=True)

    prune_leaderboard_runs(keep=1)

    assert remaining(board) == [scheduled.pk]
    assert not LeaderboardEntry.objects.filter(run__in=backfills).exists()


def test_a_leaderboard_with_only_backfills_keeps_its_newest(board):
    backfills = runs_with_entries(board, 3, is_backfill=True)

    prune_leaderboard_runs(keep=1)

    assert remaining(board) == [backfills[-1].pk]


def test_runs_in_progress_are_never_deleted_however_old(board):
    in_progress = [
        LeaderboardRunFactory(leaderboard=board, status="PROCESSING"),
        LeaderboardRunFactory(leaderboard=board, status="PENDING"),
    ]
    LeaderboardRun.objects.filter(pk__in=[r.pk for r in in_progress]).update(
        created_at=timezone.now() - datetime.timedelta(days=365)
    )
    [newest] = runs_with_entries(board, 1)

    prune_leaderboard_runs(keep=1)

    assert remaining(board) == sorted([*(r.pk for r in in_progress), newest.pk])


def test_the_newest_failed_runs_are_kept_for_their_errors_and_older_ones_go(board):
    failed = LeaderboardRunFactory.create_batch(3, leaderboard=board, status="FAILED", error="boom")
    [complete] = runs_with_entries(board, 1)

    [result] = prune_leaderboard_runs(keep=2)

    assert remaining(board) == sorted([failed[1].pk, failed[2].pk, complete.pk])
    assert (result.runs_deleted, result.entries_deleted) == (1, 0)


def test_runs_that_finished_at_or_after_now_are_kept(board):
    runs = runs_with_entries(board, 3)
    LeaderboardRun.objects.filter(pk=runs[0].pk).update(finished_at=timezone.now() + datetime.timedelta(hours=1))

    prune_leaderboard_runs(keep=1, now=timezone.now())

    assert remaining(board) == [runs[0].pk, runs[2].pk]


def test_only_the_named_leaderboard_is_pruned(board, wins):
    other = LeaderboardDefFactory(key="lb_other", challenge=wins)
    runs_with_entries(other, 3)
    mine = runs_with_entries(board, 3)

    assert prune_leaderboard_runs(keep=1, leaderboard_key="lb_wins") == [
        PruneResult(leaderboard_key="lb_wins", runs_deleted=2, entries_deleted=4)
    ]
    assert remaining(board) == [mine[-1].pk]
    assert len(remaining(other)) == 3


def test_an_unknown_key_or_keeping_nothing_is_refused(board):
    runs_with_entries(board, 2)

    with pytest.raises(UnknownLeaderboard):
        prune_leaderboard_runs(leaderboard_key="nope")
    with pytest.raises(ValueError, match="at least 1"):
        prune_leaderboard_runs(keep=0)
    assert len(remaining(board)) == 2


def _statements_of_a_prune() -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        prune_leaderboard_runs(keep=1)
    return [query["sql"] for query in queries]


def test_a_prune_runs_the_same_statements_whatever_the_number_of_runs_and_entries(board):
    runs_with_entries(board, 2, entries=1)
    few = _statements_of_a_prune()
    runs_with_entries(board, 8, entries=50)

    many = _statements_of_a_prune()

    assert len(many) == len(few)
    [entries_delete] = [sql for sql in many if "leaderboard_entries" in sql]
    assert entries_delete.startswith("DELETE FROM leaderboard_entries WHERE run_id IN (SELECT")
    assert LeaderboardEntry.objects.count() == 50  # the newest run's


@pytest.mark.skipif(
    connection.vendor == "postgresql", reason="PostgreSQL reaps a dead generation's run at once (test_reaper.py)"
)
def test_processing_runs_abandoned_long_ago_are_marked_failed_by_pruning(wins):
    definition = LeaderboardDefFactory(key="top_wins", challenge=wins)
    stale = LeaderboardRunFactory(leaderboard=definition, status="PROCESSING")
    recent = LeaderboardRunFactory(leaderboard=definition, status="PROCESSING")
    other = LeaderboardRunFactory(leaderboard=LeaderboardDefFactory(challenge=wins), status="PROCESSING")
    long_ago = stale.created_at - services.ABANDONED_AFTER - datetime.timedelta(minutes=1)
    LeaderboardRun.objects.filter(pk__in=[stale.pk, other.pk]).update(created_at=long_ago)

    [result] = services.prune_leaderboard_runs(leaderboard_key="top_wins")

    stale.refresh_from_db()
    assert stale.status == RunStatus.FAILED and stale.error.startswith("abandoned")
    assert result.runs_abandoned == 1
    assert LeaderboardRun.objects.get(pk=recent.pk).status == RunStatus.PROCESSING
    assert LeaderboardRun.objects.get(pk=other.pk).status == RunStatus.PROCESSING


# --- command -----------------------------------------------------------------------------------


def prune(*args):
    out, err = StringIO(), StringIO()
    try:
        call_command("prune_leaderboard_runs", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return out.getvalue(), err.getvalue(), exc
    return out.getvalue(), err.getvalue(), None


def test_the_command_prints_what_it_deleted_per_leaderboard(board, wins):
    runs_with_entries(board, 4, entries=3)
    runs_with_entries(LeaderboardDefFactory(key="lb_other", challenge=wins), 1)

    out, err, error = prune("--keep", "1")

    assert out.splitlines() == [
        "lb_other                     runs deleted=0 entries deleted=0",
        "lb_wins                      runs deleted=3 entries deleted=9",
        "2 leaderboard(s) pruned: 3 runs, 9 entries deleted",
    ]
    assert (err, error) == ("", None)


def test_the_command_keeps_20_runs_by_default(board):
    runs_with_entries(board, 22, entries=1)

    prune()

    assert len(remaining(board)) == 20


def test_the_command_reports_unknown_keys_and_prunes_the_others(board):
    runs_with_entries(board, 3)

    out, err, error = prune("nope", "lb_wins", "--keep", "1")

    assert out == "lb_wins                      runs deleted=2 entries deleted=4\n"
    assert "Unknown leaderboard 'nope'" in err
    assert str(error) == "unknown leaderboard(s): nope"


@pytest.mark.parametrize("keep", ["0", "-3", "many"])
def test_the_command_refuses_to_keep_fewer_than_one_run(board, keep):
    runs_with_entries(board, 2)

    _, _, error = prune("--keep", keep)

    assert "--keep" in str(error) and "at least 1" in str(error)
    assert len(remaining(board)) == 2
