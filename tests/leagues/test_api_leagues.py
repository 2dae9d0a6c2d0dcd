from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from tests.factories import LeagueFactory, LeagueTierFactory, given_tiers
from tests.leagues.conftest import day


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def league(board):
    league = LeagueFactory(leaderboard=board, key="daily", name="Daily league", cohort_size=3)
    LeagueTierFactory(league=league, level=1, name="Bronze", promote_percent=Decimal("33.3333"))
    LeagueTierFactory(league=league, level=2, name="Silver", promote_count=5, demote_count=1)
    return league


@pytest.mark.parametrize("path", ["/leagues", "/leagues/"])
def test_list_shows_each_league_with_tiers_and_zones(api, league, path, django_assert_num_queries):
    # 1. the leagues with their boards 2. their tiers
    with django_assert_num_queries(2):
        response = api.get(path)

    assert response.status_code == 200
    assert response.json() == [
        {
            "key": "daily",
            "name": "Daily league",
            "leaderboard": "lb_daily",
            "timeWindow": "DAILY",
            "cohortSize": 3,
            "idleDemotion": False,
            "tiers": [
                {
                    "level": 1,
                    "name": "Bronze",
                    "promote": {"count": None, "percent": 33.3333},
                    "demote": {"count": 0, "percent": None},
                },
                {
                    "level": 2,
                    "name": "Silver",
                    "promote": {"count": 0, "percent": None},  # the top tier promotes nobody
                    "demote": {"count": 1, "percent": None},
                },
            ],
        }
    ]
    assert response["Cache-Control"].startswith("public, max-age=")


def test_list_answers_304_while_nothing_changed(api, league):
    etag = api.get("/leagues")["ETag"]

    assert api.get("/leagues", HTTP_IF_NONE_MATCH=etag).status_code == 304


@pytest.mark.parametrize("slash", ["", "/"])
def test_a_cluster_sees_its_cohort_standings_and_zones(api, league, race, slash, django_assert_num_queries):
    period = day(1)
    race.gain(period, {"a": 5, "b": 3, "c": 3, "d": 1})
    run = race.run(period)

    # 1. the league, the board's latest run and the cluster's place in its period 2. its cohort's standings
    with django_assert_num_queries(2):
        response = api.get(f"/leagues/daily/clusters/b{slash}")

    body = response.json()
    assert response.status_code == 200
    assert body["tier"] == {"level": 1, "name": "Bronze"}
    assert body["cohort"] == {"id": "1-1", "size": 3}
    assert body["runId"] == run.pk
    assert body["standings"] == [
        {"clusterId": "a", "rank": 1, "score": 5, "zone": "promote"},
        {"clusterId": "b", "rank": 2, "score": 3, "zone": "stay"},
        {"clusterId": "c", "rank": 2, "score": 3, "zone": "stay"},
    ]
    assert body["you"] == {"clusterId": "b", "rank": 2, "score": 3, "zone": "stay"}
    assert body["periodStart"] == period[0].strftime("%Y-%m-%dT%H:%M:%SZ")
    assert "nextResetAt" in body and response["ETag"]


def test_a_cluster_not_in_the_league_this_period_is_a_json_404(api, league, race):
    period = day(1)
    race.gain(period, {"a": 5})
    race.run(period)

    response = api.get("/leagues/daily/clusters/nobody")

    assert response.status_code == 404
    assert "nobody" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/leagues/nope/clusters/a", "/leagues/nope/clusters/a/history", "/leagues/x/y"])
def test_an_unknown_league_is_a_json_404(api, league, path):
    response = api.get(path)

    assert response.status_code == 404
    assert "detail" in response.json()


def test_a_malformed_cluster_id_is_a_400_naming_it(api, league):
    response = api.get("/leagues/daily/clusters/" + "x" * 200)

    assert response.status_code == 400
    assert "clusterId" in response.json()


@pytest.mark.parametrize("slash", ["", "/"])
def test_history_lists_each_ended_period_newest_first(api, board, race, slash, django_assert_num_queries):
    league = LeagueFactory(leaderboard=board, key="daily", cohort_size=3)
    given_tiers(league, [(1, 0), (0, 1)])
    first, second = day(3), day(2)
    race.gain(first, {"a": 5, "b": 3})
    race.final(first)
    race.gain(second, {"a": 1, "b": 3})
    race.final(second)

    # 1. the league 2. its moves with their periods and tier names
    with django_assert_num_queries(2):
        response = api.get(f"/leagues/daily/clusters/a/history{slash}")

    assert response.status_code == 200
    assert [
        (r["periodStart"][:10], r["tier"]["level"], r["rank"], r["move"], r["nextTier"]["level"])
        for r in response.json()["results"]
    ] == [
        (second[0].strftime("%Y-%m-%d"), 2, 1, "demote", 1),  # alone in its cohort, in the zone of 1
        (first[0].strftime("%Y-%m-%d"), 1, 1, "promote", 2),
    ]
