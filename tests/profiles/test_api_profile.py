"""GET /clusters/{clusterId}: where one cluster stands on every board, in the season pass and in prizes."""

import datetime

import pytest
from django.utils import timezone

from tests.factories import (
    ExclusionFactory,
    LeaderboardAwardFactory,
    LeaderboardDefFactory,
    SeasonFactory,
    SeasonProgressFactory,
    SeasonRewardFactory,
)
from tests.profiles.conftest import a_final, a_run

pytestmark = pytest.mark.django_db


def test_the_profile_lists_each_active_board_that_ranks_the_cluster_by_key(api, wins, weekly):
    a_run(weekly, {"a": 1, "me": 2, "b": 2, "c": 4}, ranked_total=10)
    alltime = LeaderboardDefFactory(key="alltime", name="All time", challenge=wins)
    a_run(alltime, {"me": 1})
    a_run(LeaderboardDefFactory(key="other", challenge=wins), {"someone": 1})
    a_run(LeaderboardDefFactory(key="paused", challenge=wins, is_active=False), {"me": 1})

    body = api.get("/clusters/me").json()

    assert [board["key"] for board in body["leaderboards"]] == ["alltime", "weekly"]
    weekly_item = body["leaderboards"][1]
    assert {k: weekly_item[k] for k in ("name", "timeWindow", "rank", "position", "total", "best")} == {
        "name": "Weekly wins",
        "timeWindow": "WEEKLY",
        "rank": 2,
        "position": 2,
        "total": 10,
        "best": None,
    }
    # 10 ranked, the tie (positions 2-3) is not behind: 7 of 10 behind
    assert weekly_item["percentile"] == 70.0
    assert weekly_item["nextResetAt"] is not None
    assert body["leaderboards"][0]["percentile"] == 0.0  # alone


def test_a_board_reads_its_latest_run_not_its_finals_or_backfills(api, weekly):
    a_final(weekly, 0, {"me": 1})
    latest = a_run(weekly, {"x": 1, "me": 2})
    a_run(weekly, {"me": 1}, is_backfill=True)

    [item] = api.get("/clusters/me").json()["leaderboards"]

    assert (item["runId"], item["rank"]) == (latest.pk, 2)
    assert item["best"]["rank"] == 1


def test_best_is_the_best_rank_of_the_completed_finals_and_never_a_superseded_one(api, weekly):
    a_run(weekly, {"a": 1, "b": 2, "c": 3, "d": 4, "me": 5})
    a_final(weekly, 0, {"x": 1, "y": 2, "me": 3})
    corrected = a_final(weekly, 1, {"x": 1, "y": 2, "me": 3})
    a_final(weekly, 1, {"me": 1}, status="SUPERSEDED", superseded_by=corrected, finished_at=timezone.now())
    a_final(weekly, 2, {"x": 1, "y": 2, "z": 3, "me": 4})

    best = api.get("/clusters/me").json()["leaderboards"][0]["best"]

    assert best["rank"] == 3
    assert best["runId"] == corrected.pk  # the newest of the periods where it ranked 3


def test_a_cluster_nobody_knows_has_an_empty_profile(api, db):
    assert api.get("/clusters/nobody").json() == {
        "clusterId": "nobody",
        "displayName": None,
        "avatarUrl": None,
        "leaderboards": [],
        "season": None,
        "awards": {"pending": 0, "settled": 0},
    }


def test_a_cluster_excluded_from_everything_is_a_404(api, weekly):
    a_run(weekly, {"me": 1})
    ExclusionFactory(cluster_id="me", leaderboard=None)

    response = api.get("/clusters/me/")

    assert response.status_code == 404
    assert response.json() == {"detail": "excluded"}


def test_an_exclusion_from_one_board_leaves_the_others(api, wins, weekly):
    # generated runs leave an excluded cluster out; the profile shows what the runs rank
    from leaderboards.services import generate_leaderboard_run
    from tests.factories import given_progress

    given_progress(wins, {"me": 5, "you": 3})
    fair = LeaderboardDefFactory(key="fair", challenge=wins)
    banned = LeaderboardDefFactory(key="banned", challenge=wins)
    ExclusionFactory(cluster_id="me", leaderboard=banned)
    generate_leaderboard_run("fair")
    generate_leaderboard_run("banned")

    assert [board["key"] for board in api.get("/clusters/me").json()["leaderboards"]] == ["fair"]
    assert fair.key == "fair"


def test_the_profile_shows_the_active_season_and_the_awards(api, db):
    season = SeasonFactory(id="S1", is_active=True, points_per_level=100)
    SeasonProgressFactory(season=season, cluster_id="me", points=250, level=2)
    SeasonRewardFactory(season=season, level=1)
    SeasonRewardFactory(season=season, level=2)
    SeasonRewardFactory(season=season, level=3)
    LeaderboardAwardFactory(cluster_id="me")
    LeaderboardAwardFactory(cluster_id="me")
    LeaderboardAwardFactory(cluster_id="someone else")

    body = api.get("/clusters/me").json()

    assert body["season"] == {
        "seasonId": "S1",
        "points": 250,
        "level": 2,
        "maxLevel": None,
        "progressPercent": 50,
        "nextLevelThreshold": 300,
        "claimable": 2,
    }
    assert body["awards"] == {"pending": 2, "settled": 0}


def test_the_profile_costs_the_same_queries_whatever_the_boards_and_finals(api, wins, django_assert_num_queries):
    SeasonFactory(id="S1", is_active=True)

    def boards(count, finals):
        for number in range(count):
            definition = LeaderboardDefFactory(key=f"b{count}-{number}", challenge=wins, time_window="WEEKLY")
            a_run(definition, {f"me{count}": 1, "x": 2})
            for week in range(finals):
                a_final(definition, week, {"x": 1, f"me{count}": 2})

    boards(1, 1)
    boards(4, 6)
    # 1. excluded from everything? 2. its display name and its awards (profiles.sql.NAME_AND_AWARD_COUNTS) 3. the
    # board standings (profiles.sql.PROFILE_STANDINGS) 4. the active season 5-8. its tracks
    # (seasons.selectors.get_season_tracks: the season with the cluster's standing, excluded?, the rewards, the claims)
    for cluster_id, items in (("me1", 1), ("me4", 4)):
        with django_assert_num_queries(8):
            body = api.get(f"/clusters/{cluster_id}").json()
        assert len(body["leaderboards"]) == items
        assert {board["best"]["rank"] for board in body["leaderboards"]} == {2}


def test_the_profile_has_an_etag_and_answers_304_while_it_is_current(api, weekly):
    a_run(weekly, {"me": 1})

    first = api.get("/clusters/me")
    again = api.get("/clusters/me", HTTP_IF_NONE_MATCH=first["ETag"])

    assert first["Cache-Control"].startswith("public, max-age=")
    assert again.status_code == 304


@pytest.mark.parametrize("cluster_id", ["x" * 129, "a%00b"])
def test_a_cluster_id_no_cluster_can_have_is_a_400_naming_it(api, db, cluster_id):
    response = api.get(f"/clusters/{cluster_id}")

    assert response.status_code == 400
    assert "clusterId" in response.json()


def test_the_profile_reads_an_unknown_path_under_clusters_as_a_json_404(api, db):
    assert api.get("/clusters/me/something").status_code == 404


def test_a_season_that_has_not_started_is_not_the_profiles_season(api, db):
    SeasonFactory(id="S9", is_active=False, starts_at=timezone.now() + datetime.timedelta(days=1))

    assert api.get("/clusters/me").json()["season"] is None
