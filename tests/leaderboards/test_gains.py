"""DAILY / WEEKLY / MONTHLY / SEASON boards rank what was gained inside their period: the stored
entries equal a Python reference of the rule on random histories (tests/gains_reference.py)."""

import datetime
import random

import pytest

from leaderboards.models import LeaderboardEntry
from leaderboards.periods import calendar_period, previous_period
from leaderboards.services import generate_due_final_runs, generate_final_run, generate_leaderboard_run
from tests.factories import LeaderboardDefFactory, SeasonFactory, given_history
from tests.gains_reference import gains, random_history, ranking

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def entries(run) -> list[tuple]:
    return list(
        LeaderboardEntry.objects.filter(run=run)
        .order_by("position")
        .values_list("position", "rank", "cluster_id", "score", "tiebreaker")
    )


def expected(wins, streak, *, start, end, now, dense=True) -> list[tuple]:
    scores = gains(wins.pk, start=start, end=end, now=now)
    tiebreakers = gains(streak.pk, start=start, end=end, now=now)
    return ranking(scores, tiebreakers, dense=dense)


def board(window, wins, streak, *, rank_mode="DENSE"):
    return LeaderboardDefFactory(
        key="lb", challenge=wins, fallback=streak, time_window=window, rank_mode=rank_mode, max_entries=0
    )


@pytest.mark.parametrize("window", ["DAILY", "WEEKLY", "MONTHLY"])
@pytest.mark.parametrize("rank_mode", ["DENSE", "COMPETITION"])
@pytest.mark.parametrize("history_began", ["before the period", "inside the period"])
def test_a_calendar_board_ranks_the_gains_of_its_period_as_the_reference_does(
    wins, streak, window, rank_mode, history_began
):
    now = datetime.datetime(2025, 3, 14, 15, 30, tzinfo=UTC)
    period = calendar_period(window, now=now)
    first = period.start - datetime.timedelta(days=3) if history_began == "before the period" else period.start
    first += datetime.timedelta(hours=2) if history_began == "inside the period" else datetime.timedelta()
    days = (now - first).days + 2
    random_history(
        random.Random(f"{window}{rank_mode}{history_began}"),
        [wins, streak],
        clusters=25,
        first=first,
        days=days,
        # At the start (when history began before it), now, and after now.
        marks=[
            *([period.start] if history_began == "before the period" else []),
            now,
            now + datetime.timedelta(hours=1),
        ],
    )
    board(window, wins, streak, rank_mode=rank_mode)

    run = generate_leaderboard_run("lb", now=now)

    reference = expected(wins, streak, start=period.start, end=period.end, now=now, dense=rank_mode == "DENSE")
    assert reference, "the random history should give some gains"
    assert entries(run) == reference
    fallback = dict(LeaderboardEntry.objects.filter(run=run).values_list("cluster_id", "fallback_value"))
    assert fallback == {cluster_id: tiebreaker for _, _, cluster_id, _, tiebreaker in reference}


def test_a_season_board_ranks_the_gains_since_the_active_season_started(wins, streak):
    now = datetime.datetime(2025, 3, 14, 15, 30, tzinfo=UTC)
    season = SeasonFactory(
        is_active=True, starts_at=now - datetime.timedelta(days=4, hours=3), ends_at=now + datetime.timedelta(days=20)
    )
    random_history(
        random.Random(7),
        [wins, streak],
        clusters=25,
        first=season.starts_at - datetime.timedelta(days=2),
        days=7,
        marks=[season.starts_at, now],
    )
    board("SEASON", wins, streak)

    run = generate_leaderboard_run("lb", now=now)

    assert (run.period_start, run.period_end) == (season.starts_at, season.ends_at)
    assert entries(run) == expected(wins, streak, start=season.starts_at, end=season.ends_at, now=now)


def test_a_final_run_generated_after_later_progress_counts_only_values_as_of_the_end(wins, streak):
    now = datetime.datetime(2025, 3, 14, 15, 30, tzinfo=UTC)
    day = calendar_period("DAILY", now=now - datetime.timedelta(days=1))
    random_history(
        random.Random(11),
        [wins, streak],
        clusters=25,
        first=day.start - datetime.timedelta(days=2),
        days=4,
        marks=[day.start, day.end],
    )
    board("DAILY", wins, streak)

    final = generate_final_run("lb", period_start=day.start, period_end=day.end, now=now)

    assert final.is_final and (final.period_start, final.period_end) == (day.start, day.end)
    assert entries(final) == expected(wins, streak, start=day.start, end=day.end, now=now)
    # Rows after the end (there are some: the history runs a day past it) never leak in.
    assert entries(final) != expected(wins, streak, start=day.start, end=now, now=now)


def test_a_day_across_a_dst_change_in_the_leaderboard_time_zone_ranks_its_23_hours(wins, streak, settings):
    settings.LEADERBOARD_TIMEZONE = "Europe/Berlin"
    now = datetime.datetime(2025, 3, 31, 9, 0, tzinfo=UTC)  # Monday morning in Berlin
    previous = previous_period("DAILY", now=now)
    assert (previous.start, previous.end) == (
        datetime.datetime(2025, 3, 29, 23, 0, tzinfo=UTC),
        datetime.datetime(2025, 3, 30, 22, 0, tzinfo=UTC),
    )
    random_history(
        random.Random(13),
        [wins, streak],
        clusters=25,
        first=previous.start - datetime.timedelta(days=1),
        days=3,
        marks=[previous.start, previous.end],
    )
    board("DAILY", wins, streak)

    [final] = generate_due_final_runs("lb", now=now).runs

    assert entries(final) == expected(wins, streak, start=previous.start, end=previous.end, now=now)


def test_a_cluster_first_seen_inside_the_period_gains_all_it_has_once_history_began_before(wins, streak):
    day = calendar_period("DAILY", now=datetime.datetime(2025, 3, 14, 12, 0, tzinfo=UTC))
    given_history(wins, {"veteran": 100}, at=day.start - datetime.timedelta(days=1))
    given_history(wins, {"veteran": 130, "newcomer": 40}, at=day.start + datetime.timedelta(hours=3))
    board("DAILY", wins, streak)

    run = generate_leaderboard_run("lb", now=day.start + datetime.timedelta(hours=6))

    assert entries(run) == [(1, 1, "newcomer", 40, 0), (2, 2, "veteran", 30, 0)]


def test_on_launch_day_what_a_cluster_had_when_first_seen_is_not_a_gain(wins, streak):
    day = calendar_period("DAILY", now=datetime.datetime(2025, 3, 14, 12, 0, tzinfo=UTC))
    given_history(wins, {"veteran": 100, "steady": 50}, at=day.start + datetime.timedelta(hours=1))  # history begins
    given_history(wins, {"veteran": 130}, at=day.start + datetime.timedelta(hours=3))
    board("DAILY", wins, streak)

    run = generate_leaderboard_run("lb", now=day.start + datetime.timedelta(hours=6))

    assert entries(run) == [(1, 1, "veteran", 30, 0)]


def test_a_value_corrected_downwards_gains_nothing_and_is_not_ranked(wins, streak):
    day = calendar_period("DAILY", now=datetime.datetime(2025, 3, 14, 12, 0, tzinfo=UTC))
    given_history(wins, {"cheat": 500, "honest": 10}, at=day.start - datetime.timedelta(days=1))
    given_history(wins, {"cheat": 20, "honest": 11}, at=day.start + datetime.timedelta(hours=1))
    board("DAILY", wins, streak)

    run = generate_leaderboard_run("lb", now=day.start + datetime.timedelta(hours=2))

    assert entries(run) == [(1, 1, "honest", 1, 0)]


def test_a_change_stamped_exactly_at_a_boundary_belongs_to_the_period_that_ends_there(wins, streak):
    day = calendar_period("DAILY", now=datetime.datetime(2025, 3, 14, 12, 0, tzinfo=UTC))
    given_history(wins, {"a": 1}, at=day.start - datetime.timedelta(days=1))
    given_history(wins, {"a": 5}, at=day.start)  # an ETL run at midnight sees the day before
    given_history(wins, {"a": 7}, at=day.end)
    board("DAILY", wins, streak)

    yesterday = generate_final_run("lb", period_start=day.start - datetime.timedelta(days=1), period_end=day.start)
    today = generate_final_run("lb", period_start=day.start, period_end=day.end)

    assert entries(yesterday) == [(1, 1, "a", 4, 0)]
    assert entries(today) == [(1, 1, "a", 2, 0)]


def test_all_time_keeps_ranking_current_values(wins, streak):
    given_history(wins, {"a": 100, "b": 3}, at=datetime.datetime(2025, 1, 1, tzinfo=UTC))
    given_history(wins, {"b": 5}, at=datetime.datetime(2025, 3, 1, tzinfo=UTC))
    board("ALL_TIME", wins, streak)

    run = generate_leaderboard_run("lb")

    assert entries(run) == [(1, 1, "a", 100, 0), (2, 2, "b", 5, 0)]
