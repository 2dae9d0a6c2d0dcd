"""GET /seasons/{seasonId}/levels, and `active` naming the active season in a season's paths."""

import datetime

import pytest
from django.utils import timezone

from tests.factories import SeasonFactory, SeasonProgressFactory, SeasonRewardFactory, given_curve

pytestmark = pytest.mark.django_db

ACTIVE_PATHS = ["/seasons/active/progress?clusterId=c1", "/seasons/active/rewards", "/seasons/active/levels"]


def test_a_curve_is_listed_by_level_with_its_cap_in_two_queries(client, django_assert_num_queries):
    season = SeasonFactory(id="S1", points_per_level=500)
    given_curve(season, [100, 250, 700])

    with django_assert_num_queries(2):  # the season; its curve
        response = client.get("/seasons/S1/levels")

    assert response.json() == {
        "seasonId": "S1",
        "pointsPerLevel": None,
        "maxLevel": 3,
        "levels": [
            {"level": 1, "pointsRequired": 100},
            {"level": 2, "pointsRequired": 250},
            {"level": 3, "pointsRequired": 700},
        ],
    }


def test_without_a_curve_levels_are_points_per_level_uncapped(client):
    SeasonFactory(id="S1", points_per_level=500)

    assert client.get("/seasons/S1/levels").json() == {
        "seasonId": "S1",
        "pointsPerLevel": 500,
        "maxLevel": None,
        "levels": [],
    }


def test_an_unknown_season_has_no_levels(client):
    response = client.get("/seasons/NOPE/levels")

    assert (response.status_code, response.json()) == (404, {"detail": "Season 'NOPE' does not exist."})


def test_the_level_a_client_draws_from_the_curve_is_the_level_progress_shows(client):
    # 17,543 points at 500 per level would be level 35; the curve says 14.
    season = SeasonFactory(id="S1", is_active=True, points_per_level=500)
    given_curve(season, [1250 * level for level in range(1, 31)])
    SeasonProgressFactory(season=season, cluster_id="c1", points=17543)

    levels = client.get("/seasons/active/levels").json()["levels"]
    progress = client.get("/seasons/active/progress", {"clusterId": "c1"}).json()

    drawn = max(line["level"] for line in levels if line["pointsRequired"] <= 17543)
    assert (drawn, progress["level"], progress["seasonId"]) == (14, 14, "S1")


@pytest.mark.parametrize("path", ACTIVE_PATHS)
def test_active_names_the_active_season_in_its_paths(client, path):
    now = timezone.now()
    SeasonFactory(id="S0", starts_at=now - datetime.timedelta(days=90), ends_at=now - datetime.timedelta(days=60))
    season = SeasonFactory(id="S1", is_active=True)
    SeasonRewardFactory(season=season, track="FREE", level=1)

    response = client.get(path)

    assert (response.status_code, response.json()["seasonId"]) == (200, "S1")


@pytest.mark.parametrize("path", ACTIVE_PATHS)
def test_without_an_active_season_active_paths_are_a_json_404(client, django_assert_num_queries, path):
    SeasonFactory(id="S1", is_active=False)

    with django_assert_num_queries(1):  # the active season, not found
        response = client.get(path)

    assert (response.status_code, response.json()) == (404, {"detail": "No season is active."})


def test_active_progress_costs_one_query_more_than_by_id(client, django_assert_num_queries):
    SeasonFactory(id="S1", is_active=True)

    with django_assert_num_queries(3):  # the active season's id; the progress row; the breakdown
        assert client.get("/seasons/active/progress", {"clusterId": "c1"}).status_code == 200
