"""periodLabel: the period of a run as a person names it, in LEADERBOARD_TIMEZONE."""

import datetime

import pytest

from leaderboards.periods import period_label
from tests.factories import LeaderboardDefFactory, LeaderboardRunFactory, SeasonFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


@pytest.mark.parametrize(
    ("window", "start", "label"),
    [
        ("DAILY", datetime.datetime(2026, 12, 1, tzinfo=UTC), "1 December 2026"),
        ("WEEKLY", datetime.datetime(2026, 11, 23, tzinfo=UTC), "Week 48, 2026"),
        ("WEEKLY", datetime.datetime(2026, 12, 28, tzinfo=UTC), "Week 53, 2026"),  # ISO: 2026 has 53 weeks
        ("WEEKLY", datetime.datetime(2027, 1, 4, tzinfo=UTC), "Week 1, 2027"),
        ("MONTHLY", datetime.datetime(2026, 12, 1, tzinfo=UTC), "December 2026"),
        ("ALL_TIME", datetime.datetime(1970, 1, 1, tzinfo=UTC), "All time"),
    ],
)
def test_calendar_periods_are_named_as_people_name_them(window, start, label):
    assert period_label(window, start) == label


def test_a_period_is_named_in_the_leaderboard_time_zone(settings):
    settings.LEADERBOARD_TIMEZONE = "Europe/Paris"

    assert period_label("DAILY", datetime.datetime(2026, 11, 30, 23, tzinfo=UTC)) == "1 December 2026"


def test_a_season_run_is_named_after_its_season_in_the_list_and_the_run(api, wins):
    season = SeasonFactory(id="S1-2026")
    definition = LeaderboardDefFactory(key="season_wins", challenge=wins, time_window="SEASON")
    run = LeaderboardRunFactory(leaderboard=definition, period_start=season.starts_at, period_end=season.ends_at)

    [item] = api.get("/leaderboards").json()
    header = api.get(f"/leaderboards/season_wins/runs/{run.pk}").json()["leaderboard"]

    assert item["latestRun"]["periodLabel"] == header["periodLabel"] == "Season S1-2026"


def test_last_weeks_final_is_not_named_as_this_week(api, wins):
    definition = LeaderboardDefFactory(key="weekly", challenge=wins, time_window="WEEKLY")
    start = datetime.datetime(2026, 11, 23, tzinfo=UTC)
    final = LeaderboardRunFactory(
        leaderboard=definition, is_final=True, period_start=start, period_end=start + datetime.timedelta(days=7)
    )

    [item] = api.get("/leaderboards/weekly/finals").json()["results"]

    assert (item["runId"], item["periodLabel"]) == (final.pk, "Week 48, 2026")
