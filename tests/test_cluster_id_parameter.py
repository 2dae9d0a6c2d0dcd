"""A cluster id is what it is: every endpoint that takes one takes it verbatim (`" c1"` is another
cluster than `"c1"`, nothing trims it) and refuses one no cluster can have with a 400 naming it.

The endpoints are found in the API schema, so one added later fails here until it is listed.
"""

import datetime
from urllib.parse import quote

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from leaderboards.periods import calendar_period
from profiles.models import ClusterProfile
from tests.factories import (
    APIKeyFactory,
    ClusterProfileFactory,
    LeaderboardDefFactory,
    LeaderboardEntryFactory,
    LeaderboardRunFactory,
    LeagueFactory,
    LeagueMemberFactory,
    LeagueMoveFactory,
    LeaguePeriodFactory,
    LeagueTierFactory,
    RewardClaimFactory,
    SeasonFactory,
    SeasonProgressFactory,
    SeasonRewardFactory,
)

pytestmark = pytest.mark.django_db

RUN = "/leaderboards/lb/runs/{run}"
FINALS = "/leaderboards/daily/finals/previous"

# operationId -> (method, the parameter's name, a request naming cluster `id`: (URL, JSON body or None)).
CASES = {
    "get_cluster_profile": ("get", "clusterId", lambda id: (f"/clusters/{quote(id)}", None)),
    "list_final_standings_of_cluster": (
        "get",
        "clusterId",
        lambda id: (f"/leaderboards/daily/clusters/{quote(id)}/history", None),
    ),
    "get_latest_run_standing_of_cluster": (
        "get",
        "clusterId",
        lambda id: (f"/leaderboards/lb/latest/clusters/{quote(id)}", None),
    ),
    "get_run_standing_of_cluster": ("get", "clusterId", lambda id: (f"{RUN}/clusters/{quote(id)}", None)),
    "get_previous_final_run_standing_of_cluster": (
        "get",
        "clusterId",
        lambda id: (f"{FINALS}/clusters/{quote(id)}", None),
    ),
    "get_latest_run_entries_of_clusters": (
        "get",
        "ids",
        lambda id: (f"/leaderboards/lb/latest/clusters?ids={quote(id)}", None),
    ),
    "get_run_entries_of_clusters": ("get", "ids", lambda id: (f"{RUN}/clusters?ids={quote(id)}", None)),
    "get_previous_final_run_entries_of_clusters": (
        "get",
        "ids",
        lambda id: (f"{FINALS}/clusters?ids={quote(id)}", None),
    ),
    "get_season_progress": ("get", "clusterId", lambda id: (f"/seasons/S1/progress?clusterId={quote(id)}", None)),
    "get_season_rewards": ("get", "clusterId", lambda id: (f"/seasons/S1/rewards?clusterId={quote(id)}", None)),
    "list_claims": ("get", "clusterId", lambda id: (f"/service/seasons/S1/claims?clusterId={quote(id)}", None)),
    "claim_reward": (
        "post",
        "clusterId",
        lambda id: ("/service/seasons/S1/claims", {"clusterId": id, "track": "FREE", "level": 2}),
    ),
    "set_cluster_display_name": (
        "put",
        "clusterId",
        lambda id: (f"/service/clusters/{quote(id)}", {"displayName": "Mira", "avatarUrl": None}),
    ),
    "clear_cluster_display_name": ("delete", "clusterId", lambda id: (f"/service/clusters/{quote(id)}", None)),
    "get_league_cohort_of_cluster": ("get", "clusterId", lambda id: (f"/leagues/lg/clusters/{quote(id)}", None)),
    "list_league_history_of_cluster": (
        "get",
        "clusterId",
        lambda id: (f"/leagues/lg/clusters/{quote(id)}/history", None),
    ),
    "grant_premium": (
        "post",
        "clusterId",
        lambda id: ("/service/seasons/S1/premium", {"clusterId": id, "reference": f"r{id!r}", "source": "stripe"}),
    ),
}


@pytest.fixture
def world(client):
    """Cluster c1 everywhere: a run, a final run, season points, a claim. Nothing for " c1"."""
    season = SeasonFactory(id="S1", is_active=True, points_per_level=100)
    SeasonProgressFactory(season=season, cluster_id="c1", points=250)
    for level in [1, 2]:
        SeasonRewardFactory(season=season, track="FREE", level=level, name=f"Badge {level}")
    RewardClaimFactory(season=season, cluster_id="c1", level=1)
    run = LeaderboardRunFactory(leaderboard=LeaderboardDefFactory(key="lb"), row_count=1)
    LeaderboardEntryFactory(run=run, cluster_id="c1", position=1, rank=1, score=10)
    league = LeagueFactory(key="lg", leaderboard=run.leaderboard)
    LeagueTierFactory(league=league, level=1)
    LeaguePeriodFactory(league=league, period_start=run.period_start, period_end=run.period_end)
    LeagueMemberFactory(league=league, period_start=run.period_start, cluster_id="c1")
    LeagueMoveFactory(league=league, period_start=run.period_start, cluster_id="c1", score=10)
    ClusterProfileFactory(cluster_id="c1")
    yesterday = calendar_period("DAILY", now=timezone.now()).start - datetime.timedelta(days=1)
    final = LeaderboardRunFactory(
        leaderboard=LeaderboardDefFactory(key="daily", time_window="DAILY"),
        is_final=True,
        period_start=yesterday,
        period_end=yesterday + datetime.timedelta(days=1),
        row_count=1,
    )
    LeaderboardEntryFactory(run=final, cluster_id="c1", position=1, rank=1, score=3)
    client.defaults["HTTP_AUTHORIZATION"] = f"Api-Key {APIKeyFactory().plain_key}"
    return {"run": run.pk}


def ask(client, world, operation: str, cluster_id: str):
    method, _, request = CASES[operation]
    url, body = request(cluster_id)
    url = url.format(run=world["run"])
    if method == "get":
        return client.get(url)
    return getattr(client, method)(url, body, content_type="application/json")


def test_every_operation_that_takes_a_cluster_id_is_listed_here():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    taking = set()
    for operations in schema["paths"].values():
        for operation in operations.values():
            names = {p["name"] for p in operation.get("parameters", [])}
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if body:
                names |= set(components[body["$ref"].rsplit("/", 1)[1]].get("properties", {}))
            if names & {"clusterId", "ids"}:
                taking.add(operation["operationId"])

    assert taking == set(CASES)


@pytest.mark.parametrize("operation", [name for name in CASES if name != "clear_cluster_display_name"])
def test_a_cluster_id_is_taken_verbatim_never_trimmed(client, world, operation):
    padded = ask(client, world, operation, " c1")
    exact = ask(client, world, operation, "c1")

    assert padded.status_code < 500 and exact.status_code < 500
    assert (padded.status_code, padded.json()) != (exact.status_code, exact.json())
    if "clusterId" in padded.json():
        assert padded.json()["clusterId"] == " c1"


@pytest.mark.parametrize("operation", list(CASES))
def test_a_cluster_id_no_cluster_can_have_is_a_400_naming_it(client, world, operation):
    response = ask(client, world, operation, "x" * 129)

    assert response.status_code == 400
    assert CASES[operation][1] in response.json()


def test_clearing_a_padded_cluster_id_leaves_the_cluster_it_resembles_alone(client, world):
    response = ask(client, world, "clear_cluster_display_name", " c1")

    assert response.status_code == 204
    assert ClusterProfile.objects.filter(cluster_id="c1").exists()
