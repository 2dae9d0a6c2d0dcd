import datetime

import pytest
from django.test import override_settings

from leaderboards.errors import InvalidPeriod
from leaderboards.models import LeaderboardRun
from leaderboards.periods import EPOCH, Period, derive_period, explicit_period
from leaderboards.services import generate_leaderboard_run
from tests.factories import LeaderboardDefFactory, SeasonFactory

UTC = datetime.UTC


def utc(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("window", "now", "start", "end"),
    [
        ("DAILY", utc(2025, 3, 15, 13, 45), utc(2025, 3, 15), utc(2025, 3, 16)),
        ("DAILY", utc(2025, 3, 15), utc(2025, 3, 15), utc(2025, 3, 16)),
        ("DAILY", utc(2025, 3, 15, 23, 59, 59, 999999), utc(2025, 3, 15), utc(2025, 3, 16)),
        ("DAILY", utc(2024, 12, 31, 18), utc(2024, 12, 31), utc(2025, 1, 1)),
        ("DAILY", utc(2024, 2, 28, 12), utc(2024, 2, 28), utc(2024, 2, 29)),
        # ISO weeks start on Monday; 2025-03-16 is a Sunday, 2025-03-17 a Monday.
        ("WEEKLY", utc(2025, 3, 16, 23), utc(2025, 3, 10), utc(2025, 3, 17)),
        ("WEEKLY", utc(2025, 3, 17), utc(2025, 3, 17), utc(2025, 3, 24)),
        # A week across a year end: 2025-01-01 is a Wednesday of the week from Monday 2024-12-30.
        ("WEEKLY", utc(2025, 1, 1, 9), utc(2024, 12, 30), utc(2025, 1, 6)),
        ("MONTHLY", utc(2025, 3, 15, 13, 45), utc(2025, 3, 1), utc(2025, 4, 1)),
        ("MONTHLY", utc(2025, 1, 31, 23, 59), utc(2025, 1, 1), utc(2025, 2, 1)),
        ("MONTHLY", utc(2024, 2, 29, 12), utc(2024, 2, 1), utc(2024, 3, 1)),
        ("MONTHLY", utc(2024, 12, 31, 23, 59), utc(2024, 12, 1), utc(2025, 1, 1)),
        ("MONTHLY", utc(2025, 1, 1), utc(2025, 1, 1), utc(2025, 2, 1)),
    ],
)
def test_calendar_windows_in_utc(window, now, start, end):
    assert derive_period(window, now=now) == Period(start, end)


@override_settings(LEADERBOARD_TIMEZONE="Europe/Berlin")
@pytest.mark.parametrize(
    ("window", "now", "start", "end"),
    [
        # Clocks go forward on 2025-03-30 at 02:00 (UTC+1 -> UTC+2): that day is 23 hours long.
        ("DAILY", utc(2025, 3, 30, 12), utc(2025, 3, 29, 23), utc(2025, 3, 30, 22)),
        # Clocks go back on 2025-10-26 at 03:00 (UTC+2 -> UTC+1): that day is 25 hours long.
        ("DAILY", utc(2025, 10, 26, 12), utc(2025, 10, 25, 22), utc(2025, 10, 26, 23)),
        # 23:30 UTC on the 29th is already the 30th in Berlin.
        ("DAILY", utc(2025, 3, 29, 23, 30), utc(2025, 3, 29, 23), utc(2025, 3, 30, 22)),
        ("WEEKLY", utc(2025, 3, 26), utc(2025, 3, 23, 23), utc(2025, 3, 30, 22)),
        ("MONTHLY", utc(2025, 3, 10), utc(2025, 2, 28, 23), utc(2025, 3, 31, 22)),
        # 22:30 UTC on 30 June is 1 July in Berlin.
        ("MONTHLY", utc(2025, 6, 30, 22, 30), utc(2025, 6, 30, 22), utc(2025, 7, 31, 22)),
        ("MONTHLY", utc(2024, 12, 31, 23, 30), utc(2024, 12, 31, 23), utc(2025, 1, 31, 23)),
    ],
)
def test_calendar_windows_follow_the_leaderboard_time_zone_across_dst_changes(window, now, start, end):
    period = derive_period(window, now=now)

    assert period == Period(start, end)
    assert period.start.tzinfo == UTC and period.end.tzinfo == UTC


@override_settings(LEADERBOARD_TIMEZONE="America/New_York")
def test_a_year_end_in_new_york_is_five_hours_after_utc_midnight():
    # 03:00 UTC on 1 January is still 31 December (22:00, UTC-5) in New York.
    now = utc(2025, 1, 1, 3)

    assert derive_period("MONTHLY", now=now) == Period(utc(2024, 12, 1, 5), utc(2025, 1, 1, 5))
    assert derive_period("DAILY", now=now) == Period(utc(2024, 12, 31, 5), utc(2025, 1, 1, 5))
    # The week of Monday 30 December 2024, ending on Monday 6 January 2025.
    assert derive_period("WEEKLY", now=now) == Period(utc(2024, 12, 30, 5), utc(2025, 1, 6, 5))


def test_all_time_runs_from_1970_to_the_moment_of_generation():
    now = utc(2025, 3, 15, 13, 45, 12)

    assert derive_period("ALL_TIME", now=now) == Period(utc(1970, 1, 1), now)
    assert utc(1970, 1, 1) == EPOCH


@pytest.mark.django_db
def test_the_season_window_is_the_active_season():
    SeasonFactory(id="S0-OLD", starts_at=utc(2024, 1, 1), ends_at=utc(2024, 4, 1), is_active=False)
    SeasonFactory(id="S1-2025", starts_at=utc(2025, 3, 1, 12), ends_at=utc(2025, 6, 1, 12), is_active=True)

    assert derive_period("SEASON", now=utc(2025, 4, 1)) == Period(utc(2025, 3, 1, 12), utc(2025, 6, 1, 12))


@pytest.mark.django_db
def test_the_season_window_without_an_active_season_is_a_clear_error():
    SeasonFactory(id="S1-2025", starts_at=utc(2025, 3, 1), ends_at=utc(2025, 6, 1), is_active=True)

    with pytest.raises(InvalidPeriod, match="No season is active at 2025-07-01 00:00 UTC"):
        derive_period("SEASON", now=utc(2025, 7, 1))


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (utc(2025, 1, 1), None, "both period_start and period_end"),
        (None, utc(2025, 1, 1), "both period_start and period_end"),
        (datetime.datetime(2025, 1, 1), utc(2025, 1, 2), "timezone-aware"),
        (utc(2025, 1, 2), utc(2025, 1, 2), "must be before period_end"),
        (utc(2025, 1, 3), utc(2025, 1, 2), "must be before period_end"),
    ],
)
def test_a_malformed_explicit_period_is_refused(start, end, message):
    with pytest.raises(InvalidPeriod, match=message):
        explicit_period(start, end)


def test_an_explicit_period_in_another_zone_is_stored_in_utc():
    berlin = datetime.timezone(datetime.timedelta(hours=1))
    start = datetime.datetime(2025, 1, 1, 1, tzinfo=berlin)

    period = explicit_period(start, start + datetime.timedelta(days=1))

    assert period == Period(utc(2025, 1, 1), utc(2025, 1, 2))
    assert period.start.tzinfo == UTC


@pytest.mark.django_db
@override_settings(LEADERBOARD_TIMEZONE="Europe/Berlin")
def test_a_generated_run_stores_the_period_of_its_window(wins):
    LeaderboardDefFactory(key="weekly", challenge=wins, time_window="WEEKLY")

    run = generate_leaderboard_run("weekly", now=utc(2025, 3, 26, 10))

    run.refresh_from_db()
    assert (run.period_start, run.period_end) == (utc(2025, 3, 23, 23), utc(2025, 3, 30, 22))


@pytest.mark.django_db
def test_a_season_leaderboard_without_an_active_season_is_refused_before_any_run_is_written(wins):
    LeaderboardDefFactory(key="season", challenge=wins, time_window="SEASON")

    with pytest.raises(InvalidPeriod):
        generate_leaderboard_run("season")

    assert not LeaderboardRun.objects.exists()
