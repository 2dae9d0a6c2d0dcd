"""A final run ranks values as of its period's end only once no write stamped before that end can still commit.

Each test holds a progress write open in another thread (its own connection) while cron generates a
final in a third one, and checks that the final waited for the write and then counted it.
"""

import datetime
import io
import re

import pytest
from django.core.management import CommandError, call_command

from hedge.challenges.etl import run_challenge_etl
from hedge.challenges.services import imports
from hedge.challenges.services.imports import import_progress
from leaderboards.errors import FinalInputsInFlight
from leaderboards.models import LeaderboardRun
from leaderboards.services import generate_due_final_runs, generate_final_run
from seasons.models import Season, SeasonProgress
from tests.factories import (
    ChallengeFactory,
    LeaderboardDefFactory,
    SeasonChallengeWeightFactory,
    SeasonFactory,
    given_history,
)
from tests.helpers import standings
from tests.writes_in_flight import BLOCKED_FOR, InThread, Pause

pytestmark = pytest.mark.django_db(transaction=True)

UTC = datetime.UTC
MIDNIGHT = datetime.datetime(2025, 12, 2, tzinfo=UTC)
STAMPED = MIDNIGHT - datetime.timedelta(seconds=30)  # 23:59:30, when the writer started
CRON = MIDNIGHT + datetime.timedelta(seconds=5)  # 00:00:05, cron's tick


@pytest.fixture
def board(db):
    """A DAILY board of `p` (metric source "pvp"), and a second challenge `a` the ETL writes before it."""
    ChallengeFactory(code="a", metric_source="arena")
    p = ChallengeFactory(code="p", metric_source="pvp")
    given_history(p, {"p0": 1}, at=MIDNIGHT - datetime.timedelta(days=3))  # history began before the day
    LeaderboardDefFactory(key="lb_daily", challenge=p, time_window="DAILY")
    return p


def etl_paused_after_its_first_challenge(pause: Pause, rows: dict[str, list]) -> InThread:
    """An ETL run started at 23:59:30 that has committed challenge `a` and stops before writing `p`."""
    extractors = {source: (lambda challenge, values=values: iter(values)) for source, values in rows.items()}
    first = []

    def after_each(outcome):
        if not first:
            first.append(outcome)
            pause()

    return InThread(lambda: run_challenge_etl(extractors=extractors, now=STAMPED, on_outcome=after_each))


def test_cron_s_final_waits_for_an_etl_run_that_started_before_midnight_and_counts_its_rows(board, pause):
    writer = etl_paused_after_its_first_challenge(pause, {"arena": [("p1", 3)], "pvp": [("p2", 50)]})
    pause.wait_reached()

    cron = InThread(lambda: generate_due_final_runs("lb_daily", now=CRON))
    waited = not cron.finished.wait(BLOCKED_FOR)
    pause.release()
    writer.join()
    [final] = cron.join().runs

    assert (final.period_start, final.period_end) == (MIDNIGHT - datetime.timedelta(days=1), MIDNIGHT)
    assert [(cluster, score) for _, _, cluster, score, _ in standings(final)] == [("p2", 50)]
    assert waited, "the final did not wait for the ETL run in flight"


def test_cron_s_final_waits_for_an_import_whose_transaction_is_still_open(board, monkeypatch, pause):
    # The reproduction on PostgreSQL (on SQLite the import's open transaction holds the
    # database's write lock, which queues the final anyway).
    write = imports.write_staged_progress

    def write_then_pause(*args, **kwargs):
        written = write(*args, **kwargs)
        pause()  # inside the import's transaction: its rows are written, not committed
        return written

    monkeypatch.setattr(imports, "write_staged_progress", write_then_pause)
    writer = InThread(lambda: import_progress(io.StringIO("cluster_id,challenge_code,value\np2,p,50\n"), now=STAMPED))
    pause.wait_reached()

    cron = InThread(lambda: generate_due_final_runs("lb_daily", now=CRON))
    waited = not cron.finished.wait(BLOCKED_FOR)
    pause.release()
    writer.join()
    [final] = cron.join().runs

    assert [(cluster, score) for _, _, cluster, score, _ in standings(final)] == [("p2", 50)]
    assert waited, "the final did not wait for the import in flight"


def test_a_regenerated_final_waits_for_writes_in_flight_too(board, pause):
    writer = etl_paused_after_its_first_challenge(pause, {"arena": [("p1", 3)], "pvp": [("p2", 50)]})
    pause.wait_reached()

    staff = InThread(
        lambda: generate_final_run("lb_daily", period_start=MIDNIGHT - datetime.timedelta(days=1), period_end=MIDNIGHT)
    )
    waited = not staff.finished.wait(BLOCKED_FOR)
    pause.release()
    writer.join()
    final = staff.join()

    assert [(cluster, score) for _, _, cluster, score, _ in standings(final)] == [("p2", 50)]
    assert waited


def test_a_final_that_waited_too_long_writes_nothing_and_the_next_tick_makes_it(board, settings, pause):
    settings.PROGRESS_WRITE_WAIT = 0.2
    writer = etl_paused_after_its_first_challenge(pause, {"arena": [("p1", 3)], "pvp": [("p2", 50)]})
    pause.wait_reached()

    with pytest.raises(FinalInputsInFlight, match=r"still writing after 0\.2 s"):
        generate_due_final_runs("lb_daily", now=CRON)
    assert not LeaderboardRun.objects.exists()
    pause.release()
    writer.join()
    [final] = generate_due_final_runs("lb_daily", now=CRON + datetime.timedelta(minutes=5)).runs

    assert [(cluster, score) for _, _, cluster, score, _ in standings(final)] == [("p2", 50)]


def test_the_season_s_final_recompute_waits_for_a_write_in_flight_before_it_finalizes(db, pause):
    season = SeasonFactory(
        id="S1", starts_at=MIDNIGHT - datetime.timedelta(days=10), ends_at=MIDNIGHT, scoring="GAINS", is_active=True
    )
    ChallengeFactory(code="a", metric_source="arena")
    q = ChallengeFactory(code="q", metric_source="pvp")
    SeasonChallengeWeightFactory(season=season, challenge=q, weight=1)
    given_history(q, {"q0": 1}, at=season.starts_at - datetime.timedelta(days=1))
    LeaderboardDefFactory(key="lb_season_points", season_points=True)
    writer = etl_paused_after_its_first_challenge(pause, {"arena": [("q1", 3)], "pvp": [("q2", 35)]})
    pause.wait_reached()

    cron = InThread(lambda: generate_due_final_runs("lb_season_points", now=CRON))
    waited = not cron.finished.wait(BLOCKED_FOR)
    pause.release()
    writer.join()
    [final] = cron.join().runs

    assert Season.objects.get(pk="S1").finalized_at is not None
    assert SeasonProgress.objects.get(season_id="S1", cluster_id="q2").points == 35
    assert [(cluster, score) for _, _, cluster, score, _ in standings(final)] == [("q2", 35)]
    assert waited, "the season's final recompute did not wait for the ETL run in flight"


def test_cron_reports_a_final_still_waiting_for_writes_as_failed_and_makes_no_run(board, other_writer, settings):
    settings.PROGRESS_WRITE_WAIT = 0.2
    err = io.StringIO()

    with pytest.raises(CommandError, match="1 leaderboard"):
        call_command("generate_leaderboard", "lb_daily", stdout=io.StringIO(), stderr=err)

    assert re.search(r"lb_daily +run=- +FAILED .*no final run yet: a challenge ETL run", err.getvalue())
    assert not LeaderboardRun.objects.exists()  # nor the current day's run: the next tick makes both
