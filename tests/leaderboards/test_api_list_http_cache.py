"""/leaderboards and /leaderboards/{key}/finals answer with an ETag and Cache-Control, and 304 while nothing changed."""

import datetime

import pytest

from tests.factories import LeaderboardDefFactory, LeaderboardRunFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def daily(wins):
    definition = LeaderboardDefFactory(key="lb_daily", challenge=wins, time_window="DAILY")
    start = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)
    LeaderboardRunFactory(
        leaderboard=definition, is_final=True, period_start=start, period_end=start + datetime.timedelta(days=1)
    )
    return definition


@pytest.mark.parametrize("url", ["/leaderboards", "/leaderboards/lb_daily/finals"])
def test_a_bot_polling_with_its_etag_gets_304s_until_something_changes(api, daily, url, settings):
    first = api.get(url)

    again = api.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    LeaderboardRunFactory(leaderboard=daily, is_final=True)
    changed = api.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert first.status_code == 200 and first["ETag"].startswith('"')
    assert first["Cache-Control"].startswith("public, max-age=")
    assert int(first["Cache-Control"].rsplit("=", 1)[1]) <= settings.API_CACHE_SECONDS
    assert (again.status_code, again.content, again["ETag"]) == (304, b"", first["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]


def test_an_edited_leaderboard_changes_the_lists_etag(api, daily):
    first = api.get("/leaderboards")
    daily.name = "Daily wins"
    daily.save()

    assert api.get("/leaderboards", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200
