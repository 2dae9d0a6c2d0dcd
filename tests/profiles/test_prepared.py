"""The profile's, the history's and the movers' statements are planned once per connection (PostgreSQL) and answer
as if planned each time."""

import pytest
from django.db import connection, transaction  # noqa: F401 - the skipif condition below reads `connection`

from tests.factories import LeaderboardDefFactory
from tests.helpers import prepared_plans
from tests.profiles.conftest import a_final, a_run
from tests.profiles.test_api_movers import moved

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="prepared statements are PostgreSQL's"),
]


def test_the_profile_runs_its_statements_prepared_with_generic_plans(api, wins, django_assert_num_queries):
    weekly = LeaderboardDefFactory(key="weekly", challenge=wins, time_window="WEEKLY")
    daily = LeaderboardDefFactory(key="daily", challenge=wins, time_window="DAILY")
    a_run(weekly, {"x": 1, "me": 2, "y": 2, "z": 3})
    a_run(daily, {"me": 1, "other": 2})
    for week in range(3):
        a_final(weekly, week, {"x": 1, "y": 2, "me": 3 - week % 2})
    with transaction.atomic():  # planned for this execution only: no session setting inside a transaction
        first = api.get("/clusters/me").json()
        other = api.get("/clusters/other").json()
    generic, custom = prepared_plans()

    # 1. excluded from everything? 2. its display name and its awards 3. the board standings 4. the active season
    with django_assert_num_queries(4 * 5):
        answers = [api.get(f"/clusters/{cluster_id}").json() for cluster_id in ("me", "me", "other", "me", "other")]

    assert answers == [first, first, other, first, other]
    assert [(board["key"], board["rank"], board["total"], board["best"]) for board in first["leaderboards"]] == [
        ("daily", 1, 2, None),
        ("weekly", 2, 4, first["leaderboards"][1]["best"]),
    ]
    assert first["leaderboards"][1]["best"]["rank"] == 2
    assert [board["key"] for board in other["leaderboards"]] == ["daily"]
    # Each of the 10 executions of the two raw statements ran a plan made once for the connection.
    assert prepared_plans() == (generic + 10, custom)


def test_the_history_and_the_movers_run_their_statements_prepared_with_generic_plans(api, wins):
    run = moved(wins, {"a": 1, "b": 2, "c": 3}, {"a": 3, "b": 2, "c": 1})
    weekly = LeaderboardDefFactory(key="weekly", challenge=wins, time_window="WEEKLY")
    for week in range(4):
        a_final(weekly, week, {"x": 1, "me": 2})
    with transaction.atomic():
        history = api.get("/leaderboards/weekly/clusters/me/history", {"limit": 3}).json()
        movers = api.get("/leaderboards/lb/latest/movers").json()
    generic, custom = prepared_plans()

    for _ in range(3):
        assert api.get("/leaderboards/weekly/clusters/me/history", {"limit": 3}).json() == history
        assert api.get("/leaderboards/lb/latest/movers").json() == movers

    assert [item["rank"] for item in history["results"]] == [2, 2, 2]
    assert [entry["clusterId"] for entry in movers["entries"]] == ["a", "b", "c"]
    assert movers["leaderboard"]["runId"] == run.pk
    # history: its head and its page; movers: the run and its movers; 3 times each.
    assert prepared_plans() == (generic + 12, custom)
