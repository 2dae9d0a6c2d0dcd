"""GET /seasons/{id}/rewards: the tracks by level, and each reward's state for a cluster."""

import datetime

import pytest
from django.utils import timezone

from tests.factories import (
    ExclusionFactory,
    LeaderboardDefFactory,
    PremiumGrantFactory,
    RewardClaimFactory,
    SeasonFactory,
    SeasonProgressFactory,
    SeasonRewardFactory,
    given_curve,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def season():
    season = SeasonFactory(id="S1", points_per_level=100)
    given_curve(season, [100, 200, 300])
    for level in (1, 2, 3):
        SeasonRewardFactory(season=season, track="FREE", level=level, name=f"Free {level}")
        SeasonRewardFactory(season=season, track="PREMIUM", level=level, name=f"Premium {level}", kind="token")
    return season


def states(body: dict) -> dict[str, list[str]]:
    return {t["track"]: [r["state"] for r in t["rewards"]] for t in body["tracks"]}


def test_each_reward_has_the_clusters_state_in_four_queries(client, season, django_assert_num_queries):
    SeasonProgressFactory(season=season, cluster_id="c1", points=250)  # level 2
    RewardClaimFactory(season=season, cluster_id="c1", track="FREE", level=1)

    # the season with the cluster's standing and premium; whether its progress is withheld; rewards; claims
    with django_assert_num_queries(4):
        response = client.get("/seasons/S1/rewards", {"clusterId": "c1"})

    assert response.status_code == 200
    body = response.json()
    assert states(body) == {
        "FREE": ["claimed", "claimable", "locked"],
        "PREMIUM": ["premium_required", "premium_required", "locked"],
    }
    assert (body["seasonId"], body["clusterId"], body["level"], body["maxLevel"], body["isPremium"]) == (
        "S1",
        "c1",
        2,
        3,
        False,
    )
    assert body["tracks"][0]["rewards"][0] == {
        "level": 1,
        "pointsRequired": 100,
        "name": "Free 1",
        "description": "",
        "kind": "badge",
        "quantity": 1,
        "data": {},
        "state": "claimed",
    }


def test_each_reward_carries_the_points_its_level_needs_on_the_curve_or_flat(client, django_assert_num_queries):
    curved = SeasonFactory(id="CURVED", points_per_level=500)
    given_curve(curved, [100, 250, 700])
    SeasonRewardFactory(season=curved, track="FREE", level=3)
    SeasonRewardFactory(season=curved, track="PREMIUM", level=2)
    flat = SeasonFactory(id="FLAT", points_per_level=500)
    SeasonRewardFactory(season=flat, track="FREE", level=7)

    with django_assert_num_queries(2):  # the season; its rewards with the points of their levels
        curved_body = client.get("/seasons/CURVED/rewards").json()
    flat_body = client.get("/seasons/FLAT/rewards").json()

    required = {t["track"]: [r["pointsRequired"] for r in t["rewards"]] for t in curved_body["tracks"]}
    assert required == {"FREE": [700], "PREMIUM": [250]}
    assert flat_body["tracks"][0]["rewards"][0]["pointsRequired"] == 3500


def test_premium_bought_late_unlocks_every_reached_premium_level(client, season):
    SeasonProgressFactory(season=season, cluster_id="c1", points=300)
    PremiumGrantFactory(season=season, cluster_id="c1")

    body = client.get("/seasons/S1/rewards", {"clusterId": "c1"}).json()

    assert body["isPremium"] is True
    assert states(body)["PREMIUM"] == ["claimable", "claimable", "claimable"]


def test_after_claims_close_unclaimed_rewards_are_closed_and_claimed_ones_stay_claimed(client):
    now = timezone.now()
    season = SeasonFactory(
        id="OLD", starts_at=now - datetime.timedelta(days=60), ends_at=now - datetime.timedelta(days=30)
    )
    SeasonRewardFactory(season=season, level=1, name="A")
    SeasonRewardFactory(season=season, level=2, name="B")
    SeasonProgressFactory(season=season, cluster_id="c1", points=5000)
    RewardClaimFactory(season=season, cluster_id="c1", track="FREE", level=2)

    body = client.get("/seasons/OLD/rewards", {"clusterId": "c1"}).json()

    assert states(body) == {"FREE": ["closed", "claimed"], "PREMIUM": []}
    assert body["claimsCloseAt"] == (season.ends_at + datetime.timedelta(days=14)).isoformat().replace("+00:00", "Z")


def test_without_a_cluster_the_tracks_have_no_state_in_two_queries(client, season, django_assert_num_queries):
    with django_assert_num_queries(2):  # the season; the rewards
        body = client.get("/seasons/S1/rewards/").json()

    assert (body["clusterId"], body["level"], body["isPremium"]) == (None, None, None)
    assert states(body) == {"FREE": [None, None, None], "PREMIUM": [None, None, None]}


@pytest.mark.parametrize(("season_id", "queries"), [("S9", 1), ("bad%00id", 0)])
def test_an_unknown_season_is_a_404(client, season, django_assert_num_queries, season_id, queries):
    with django_assert_num_queries(queries):
        response = client.get(f"/seasons/{season_id}/rewards", {"clusterId": "c1"})

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"clusterId": ""}, "This field may not be blank."),
        ({"clusterId": "x" * 129}, "Ensure this field has no more than 128 characters."),
        ({"clusterId": "a\x00b"}, "Null characters are not allowed."),
    ],
    ids=["blank", "too long", "nul"],
)
def test_a_bad_cluster_id_is_a_400_naming_it_as_progress_answers(client, season, query, message):
    rewards = client.get("/seasons/S1/rewards", query)
    progress = client.get("/seasons/S1/progress", query)

    assert (
        (rewards.status_code, rewards.json())
        == (progress.status_code, progress.json())
        == (400, {"clusterId": [message]})
    )


def test_a_cluster_id_is_taken_verbatim_not_trimmed(client, season):
    SeasonProgressFactory(season=season, cluster_id="c1", points=250)

    padded = client.get("/seasons/S1/rewards", {"clusterId": " c1"}).json()
    exact = client.get("/seasons/S1/rewards", {"clusterId": "c1"}).json()

    assert (padded["clusterId"], padded["level"], exact["level"]) == (" c1", 0, 2)


def test_a_cluster_excluded_from_everything_is_a_404_excluded_as_in_progress(client, season):
    SeasonProgressFactory(season=season, cluster_id="c1", points=250)  # level 2: FREE 1 and 2 would be claimable
    ExclusionFactory(cluster_id="c1", leaderboard=None)

    rewards = client.get("/seasons/S1/rewards", {"clusterId": "c1"})
    progress = client.get("/seasons/S1/progress", {"clusterId": "c1"})

    assert (rewards.status_code, rewards.json()) == (404, {"detail": "excluded"})
    assert (progress.status_code, progress.json()) == (404, {"detail": "excluded"})


def test_an_exclusion_from_one_leaderboard_leaves_the_rewards_shown(client, season):
    SeasonProgressFactory(season=season, cluster_id="c1", points=250)
    ExclusionFactory(cluster_id="c1", leaderboard=LeaderboardDefFactory(key="top_wins"))

    response = client.get("/seasons/S1/rewards", {"clusterId": "c1"})

    assert states(response.json())["FREE"] == ["claimable", "claimable", "locked"]
