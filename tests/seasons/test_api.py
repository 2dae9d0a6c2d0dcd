import datetime

import pytest
from django.utils import timezone

from seasons.models import Season
from tests.factories import (
    ChallengeFactory,
    ChallengeProgressFactory,
    SeasonChallengeWeightFactory,
    SeasonFactory,
    SeasonProgressFactory,
    given_curve,
)

pytestmark = pytest.mark.django_db

STAMP = datetime.datetime(2025, 3, 1, 12, 30, tzinfo=datetime.UTC)


# --- GET /seasons/active -------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/seasons/active", "/seasons/active/"])
def test_active_season_is_described_with_how_points_are_earned_in_two_queries(client, django_assert_num_queries, path):
    season = SeasonFactory(
        id="S1-2025",
        name="Season One",
        is_active=True,
        starts_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC),
        ends_at=timezone.now() + datetime.timedelta(days=1),
        points_per_level=750,
        scoring="GAINS",
    )
    SeasonChallengeWeightFactory(season=season, challenge=ChallengeFactory(code="wins", name="PvP wins"), weight=3)
    SeasonChallengeWeightFactory(season=season, challenge=ChallengeFactory(code="depth", name="LP depth"), weight=1)
    SeasonFactory(is_active=False)

    with django_assert_num_queries(2):  # the active season; its weights with their challenges
        response = client.get(path)

    assert response.status_code == 200
    body = response.json()
    assert body.pop("endsAt")
    assert body == {
        "id": "S1-2025",
        "name": "Season One",
        "startsAt": "2025-01-01T00:00:00Z",
        "status": "active",
        "scoring": "GAINS",
        "pointsPerLevel": 750,
        "maxLevel": None,
        "weights": [
            {"challengeCode": "depth", "challengeName": "LP depth", "weight": 1},
            {"challengeCode": "wins", "challengeName": "PvP wins", "weight": 3},
        ],
    }


def test_no_active_season_is_a_404_with_a_message_in_one_query(client, django_assert_num_queries):
    SeasonFactory(is_active=False)

    with django_assert_num_queries(1):  # the active season, not found
        response = client.get("/seasons/active")

    assert response.status_code == 404
    assert response.json() == {"detail": "No season is active."}


def test_a_season_flagged_active_outside_its_dates_is_not_the_active_season(client):
    now = timezone.now()
    SeasonFactory(is_active=True, starts_at=now - datetime.timedelta(days=30), ends_at=now - datetime.timedelta(days=1))

    assert client.get("/seasons/active").status_code == 404


# --- GET /seasons ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/seasons", "/seasons/"])
def test_every_season_is_listed_latest_start_first_with_its_status_in_two_queries(
    client, django_assert_num_queries, path
):
    now = timezone.now()
    days = datetime.timedelta(days=1)
    final = SeasonFactory(id="S-1", starts_at=now - 200 * days, ends_at=now - 100 * days)
    Season.objects.filter(pk=final.pk).update(finalized_at=now - datetime.timedelta(days=99))
    old = SeasonFactory(id="S0", starts_at=now - datetime.timedelta(days=90), ends_at=now - datetime.timedelta(days=60))
    current = SeasonFactory(id="S1", is_active=True, starts_at=now - datetime.timedelta(days=5))
    SeasonFactory(id="S2", starts_at=now + datetime.timedelta(days=30))  # not started: listed as upcoming
    for season in (old, current):
        SeasonChallengeWeightFactory(season=season, challenge=ChallengeFactory(code="wins"), weight=2)

    with django_assert_num_queries(2):  # the seasons with their curve's cap; all their weights with their challenges
        response = client.get(path)

    listed = [(season["id"], season["status"]) for season in response.json()]
    assert listed == [("S2", "upcoming"), ("S1", "active"), ("S0", "ended"), ("S-1", "final")]
    assert [season["weights"] for season in response.json()][1:3] == [
        [{"challengeCode": "wins", "challengeName": "Wins", "weight": 2}]
    ] * 2


def test_a_season_stopped_by_staff_before_its_end_is_ended(client):
    SeasonFactory(id="S1", is_active=False, starts_at=timezone.now() - datetime.timedelta(days=5))

    assert client.get("/seasons").json()[0]["status"] == "ended"


def test_a_season_without_weights_lists_none(client):
    SeasonFactory(id="S1", points_per_level=100)

    [season] = client.get("/seasons").json()

    assert (season["id"], season["scoring"], season["pointsPerLevel"], season["weights"]) == ("S1", "LIFETIME", 100, [])


def test_no_season_is_an_empty_list(client, db):
    assert client.get("/seasons").json() == []


def test_while_a_curve_decides_levels_the_season_shows_its_cap_and_no_points_per_level(client):
    season = SeasonFactory(id="S1", is_active=True, points_per_level=500)
    given_curve(season, [100, 200, 400])

    body = client.get("/seasons/active").json()

    assert (body["pointsPerLevel"], body["maxLevel"]) == (None, 3)


# --- GET /seasons/<id>/progress ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/seasons/S1-TEST/progress", "/seasons/S1-TEST/progress/"])
def test_progress_shows_points_level_and_the_next_threshold_in_two_queries(client, django_assert_num_queries, path):
    season = SeasonFactory(id="S1-TEST", points_per_level=500)
    SeasonProgressFactory(season=season, cluster_id="c1", points=1730, level=3, updated_at=STAMP)
    SeasonProgressFactory(season=season, cluster_id="c2", points=99_999, level=199)

    # 1. the season with the cluster's points, their standing on the curve and whether the cluster is
    # excluded (seasons.sql.PROGRESS, with the leaderboards' condition); 2. its points per challenge
    with django_assert_num_queries(2):
        response = client.get(path, {"clusterId": "c1"})

    assert response.status_code == 200
    assert response.json() == {
        "seasonId": "S1-TEST",
        "clusterId": "c1",
        "points": 1730,
        "level": 3,
        "maxLevel": None,
        "levelStartsAt": 1500,
        "nextLevelThreshold": 2000,
        "pointsToNextLevel": 270,
        "progressPercent": 46,
        "updatedAt": "2025-03-01T12:30:00Z",
        "error": None,
        "stale": False,
        "known": True,
        "breakdown": [],
    }


def test_a_cluster_without_a_row_has_zero_points_and_no_update_time(client, django_assert_num_queries):
    season = SeasonFactory(id="S1-TEST", points_per_level=750)
    SeasonProgressFactory(season=season, cluster_id="someone-else", points=5000, level=6)

    with django_assert_num_queries(2):  # as above
        response = client.get("/seasons/S1-TEST/progress", {"clusterId": "newcomer"})

    assert response.status_code == 200
    assert response.json() == {
        "seasonId": "S1-TEST",
        "clusterId": "newcomer",
        "points": 0,
        "level": 0,
        "maxLevel": None,
        "levelStartsAt": 0,
        "nextLevelThreshold": 750,
        "pointsToNextLevel": 750,
        "progressPercent": 0,
        "updatedAt": None,
        "error": None,
        "stale": False,
        "known": False,  # nobody has seen it: not "a new player with zero points"
        "breakdown": [],
    }


def test_a_cluster_with_challenge_progress_but_no_season_points_yet_is_known(client):
    SeasonFactory(id="S1-TEST")
    ChallengeProgressFactory(cluster_id="fresh", value=0)

    body = client.get("/seasons/S1-TEST/progress", {"clusterId": "fresh"}).json()

    assert (body["points"], body["updatedAt"], body["known"]) == (0, None, True)


def test_the_body_is_written_field_by_field_in_the_documented_order(client):
    season = SeasonFactory(id="S1-TEST", points_per_level=500, scoring="LIFETIME")
    for code, weight, value in (("kills", 2, 30), ("wins", 5, 7)):
        challenge = ChallengeFactory(code=code, name=code.title())
        SeasonChallengeWeightFactory(season=season, challenge=challenge, weight=weight)
        ChallengeProgressFactory(challenge=challenge, cluster_id="c1", value=value)
    SeasonProgressFactory(season=season, cluster_id="c1", points=95, updated_at=STAMP.replace(microsecond=250))

    response = client.get("/seasons/S1-TEST/progress", {"clusterId": "c1"})

    assert response.content == (
        b'{"seasonId":"S1-TEST","clusterId":"c1","points":95,"level":0,"maxLevel":null,"levelStartsAt":0,'
        b'"nextLevelThreshold":500,"pointsToNextLevel":405,"progressPercent":19,'
        b'"updatedAt":"2025-03-01T12:30:00.000250Z","error":null,"stale":false,"known":true,"breakdown":['
        b'{"challengeCode":"kills","challengeName":"Kills","weight":2,"value":30,"points":60},'
        b'{"challengeCode":"wins","challengeName":"Wins","weight":5,"value":7,"points":35}]}'
    )


def test_level_follows_the_points_and_the_current_points_per_level_before_any_recompute(client):
    # Stored with 1000 points per level, which staff then changed to 300 without recomputing.
    season = SeasonFactory(id="S1-TEST", points_per_level=300)
    SeasonProgressFactory(season=season, cluster_id="c1", points=2680, level=2)

    body = client.get("/seasons/S1-TEST/progress", {"clusterId": "c1"}).json()

    assert (body["points"], body["level"], body["nextLevelThreshold"], body["pointsToNextLevel"]) == (2680, 8, 2700, 20)


@pytest.mark.parametrize(("points", "expected"), [(0, (0, 300, 300)), (299, (0, 300, 1)), (300, (1, 600, 300))])
def test_points_to_next_level_is_always_positive_even_on_a_level_boundary(client, points, expected):
    season = SeasonFactory(id="S1-TEST", points_per_level=300)
    SeasonProgressFactory(season=season, cluster_id="c1", points=points, level=99)

    body = client.get("/seasons/S1-TEST/progress", {"clusterId": "c1"}).json()

    assert (body["level"], body["nextLevelThreshold"], body["pointsToNextLevel"]) == expected


def test_a_season_that_has_ended_still_answers_with_its_stored_progress(client):
    now = timezone.now()
    past = SeasonFactory(
        id="S0", starts_at=now - datetime.timedelta(days=90), ends_at=now - datetime.timedelta(days=60)
    )
    SeasonProgressFactory(season=past, cluster_id="c1", points=4321, level=4)
    SeasonFactory(id="S1", is_active=True)

    response = client.get("/seasons/S0/progress", {"clusterId": "c1"})

    assert (response.status_code, response.json()["points"], response.json()["level"]) == (200, 4321, 4)


def test_progress_is_shown_for_the_season_asked_for_only(client):
    a, b = SeasonFactory(id="A"), SeasonFactory(id="B")
    SeasonProgressFactory(season=a, cluster_id="c1", points=10)
    SeasonProgressFactory(season=b, cluster_id="c1", points=20)

    assert client.get("/seasons/B/progress", {"clusterId": "c1"}).json()["points"] == 20


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({}, "This field is required."),
        ({"clusterId": ""}, "This field may not be blank."),
        ({"clusterId": "x" * 129}, "Ensure this field has no more than 128 characters."),
        ({"clusterId": "a\x00b"}, "Null characters are not allowed."),
    ],
    ids=["missing", "blank", "too long", "nul"],
)
def test_a_missing_or_bad_cluster_id_is_a_400_naming_it(client, django_assert_num_queries, query, message):
    SeasonFactory(id="S1-TEST")

    with django_assert_num_queries(0):
        response = client.get("/seasons/S1-TEST/progress", query)

    assert response.status_code == 400
    assert response.json() == {"clusterId": [message]}


@pytest.mark.parametrize(
    ("season_id", "queries"),
    [
        ("S9-NONE", 1),  # the season, not found
        # Ids no season can have are answered without asking the database.
        ("bad%00id", 0),
        ("x" * 65, 0),
        ("s p a c e", 0),
    ],
)
def test_an_unknown_season_is_a_404_with_a_message(client, django_assert_num_queries, season_id, queries):
    SeasonFactory(id="S1-TEST")

    with django_assert_num_queries(queries):
        response = client.get(f"/seasons/{season_id}/progress", {"clusterId": "c1"})

    assert response.status_code == 404
    assert response.json()["detail"].startswith("Season ") and "does not exist" in response.json()["detail"]


def test_the_endpoints_are_read_only(client):
    SeasonFactory(id="S1-TEST", is_active=True)

    assert client.post("/seasons/active").status_code == 405
    assert client.delete("/seasons/S1-TEST/progress?clusterId=c1").status_code == 405


def test_a_cluster_id_is_taken_verbatim(client):
    season = SeasonFactory(id="S1-TEST")
    SeasonProgressFactory(season=season, cluster_id="c1", points=10)
    SeasonProgressFactory(season=season, cluster_id=" c1", points=20)

    assert client.get("/seasons/S1-TEST/progress", {"clusterId": "c1"}).json()["points"] == 10
    assert client.get("/seasons/S1-TEST/progress", {"clusterId": " c1"}).json()["points"] == 20
    assert client.get("/seasons/S1-TEST/progress", {"clusterId": "   "}).json()["points"] == 0
