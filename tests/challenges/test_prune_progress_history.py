"""prune_progress_history: old history goes; the gain of every period that starts at or after the cutoff stays."""

import datetime
import random
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from hedge.challenges.models import ChallengeProgressHistory
from hedge.challenges.services.history import prune_progress_history
from leaderboards.models import LeaderboardDef
from leaderboards.services import generate_final_run
from tests.factories import ChallengeFactory, LeaderboardDefFactory, SeasonFactory, given_history
from tests.gains_reference import (
    gains_of_every_period,
    history_rows,
    periods_from,
    random_history,
    rows_the_prune_keeps,
)

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
NOW = datetime.datetime(2025, 6, 30, 12, 0, tzinfo=UTC)
DAY = datetime.timedelta(days=1)


@pytest.fixture
def history(db):
    challenges = [ChallengeFactory(code="a"), ChallengeFactory(code="b")]
    random_history(random.Random(5), challenges, clusters=20, first=NOW - 40 * DAY, days=40, per_day=2)
    return challenges


@pytest.mark.parametrize("batch_size", [10_000, 7])
def test_pruning_keeps_the_gain_of_every_period_that_starts_after_the_cutoff(history, batch_size):
    cutoff = NOW - 10 * DAY
    periods = [*periods_from(cutoff, now=NOW), *periods_from(cutoff + datetime.timedelta(hours=5), now=NOW)]
    before = gains_of_every_period(history, periods, now=NOW)
    rows = ChallengeProgressHistory.objects.count()

    result = prune_progress_history(keep_days=10, now=NOW, batch_size=batch_size)

    assert result.cutoff == cutoff
    assert result.deleted > rows / 3
    assert ChallengeProgressHistory.objects.count() == rows - result.deleted
    assert gains_of_every_period(history, periods, now=NOW) == before


def test_the_rows_kept_are_each_pairs_first_row_and_its_newest_before_the_cutoff(history):
    rows = history_rows()

    prune_progress_history(keep_days=10, now=NOW, batch_size=7)

    assert set(history_rows()) == rows_the_prune_keeps(rows, cutoff=NOW - 10 * DAY) != set(rows)


def test_pruning_keeps_what_a_period_that_started_before_history_began_needs(history):
    launch = [(NOW - 60 * DAY, NOW - 5 * DAY), (NOW - 60 * DAY, NOW + DAY)]
    before = gains_of_every_period(history, launch, now=NOW)

    prune_progress_history(keep_days=10, now=NOW)

    assert gains_of_every_period(history, launch, now=NOW) == before


def test_pruning_twice_deletes_nothing_more(history):
    prune_progress_history(keep_days=10, now=NOW)

    assert prune_progress_history(keep_days=10, now=NOW).deleted == 0


def test_rows_recorded_after_the_cutoff_are_never_touched(history):
    cutoff = NOW - 10 * DAY
    recent = set(ChallengeProgressHistory.objects.filter(recorded_at__gte=cutoff).values_list("pk", flat=True))

    prune_progress_history(keep_days=10, now=NOW)

    assert recent <= set(ChallengeProgressHistory.objects.values_list("pk", flat=True))


def test_the_cutoff_moves_back_to_the_start_of_a_season_that_is_not_final(history):
    season = SeasonFactory(starts_at=NOW - 20 * DAY, ends_at=NOW + 10 * DAY, scoring="GAINS")
    before = gains_of_every_period(history, [(season.starts_at, season.ends_at)], now=NOW)

    result = prune_progress_history(keep_days=10, now=NOW)

    assert result.cutoff == season.starts_at
    assert gains_of_every_period(history, [(season.starts_at, season.ends_at)], now=NOW) == before


def test_the_cutoff_moves_back_to_a_monthly_board_period_still_ranked(history):
    wins = history[0]
    LeaderboardDefFactory(key="lb_month", challenge=wins, time_window="MONTHLY")

    result = prune_progress_history(keep_days=3, now=NOW)

    # June is ranked now, and May's final run is still due: May 1 is needed.
    assert result.cutoff == datetime.datetime(2025, 5, 1, tzinfo=UTC)


def test_the_cutoff_moves_back_to_the_oldest_day_whose_final_cron_has_still_to_catch_up(history):
    LeaderboardDefFactory(key="lb_day", challenge=history[0], time_window="DAILY")
    LeaderboardDef.objects.filter(key="lb_day").update(created_at=NOW - 30 * DAY)
    last_final = datetime.datetime(2025, 6, 10, tzinfo=UTC)
    generate_final_run("lb_day", period_start=last_final, period_end=last_final + DAY, now=NOW)

    result = prune_progress_history(keep_days=3, now=NOW)

    # cron missed every day since June 10: June 11's final is the oldest still due.
    assert result.cutoff == last_final + DAY


def test_a_cluster_with_one_old_row_keeps_it():
    a = ChallengeFactory(code="a")
    given_history(a, {"quiet": 5}, at=NOW - 100 * DAY)

    assert prune_progress_history(keep_days=10, now=NOW).deleted == 0
    assert ChallengeProgressHistory.objects.count() == 1


def test_the_command_prints_what_it_deleted(history):
    out = StringIO()

    rows = ChallengeProgressHistory.objects.count()

    call_command("prune_progress_history", "--keep-days", "10", stdout=out)

    deleted = rows - ChallengeProgressHistory.objects.count()
    assert deleted > 0
    assert out.getvalue().startswith(f"{deleted} history rows recorded before ")


@pytest.mark.parametrize(("args", "message"), [(["--keep-days", "0"], "--keep-days must be at least 1")])
def test_the_command_refuses_keeping_less_than_a_day(db, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("prune_progress_history", *args)
