"""The bare floor views (bench.urls) answer what hedge's endpoints answer, so the benchmark compares like with like."""

import datetime

import pytest

from tests.factories import (
    ChallengeFactory,
    ChallengeProgressFactory,
    ClusterProfileFactory,
    LeaderboardDefFactory,
    LeaderboardEntryFactory,
    LeaderboardRunFactory,
    SeasonChallengeWeightFactory,
    SeasonFactory,
    SeasonProgressFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.urls("bench.urls")]

UTC = datetime.UTC


@pytest.fixture
def ranked():
    """A run of 30 entries (ties in pairs, previous ranks on some) behind a backfill that ends later."""
    fallback = ChallengeFactory(code="fallback")
    definition = LeaderboardDefFactory(key="wins", fallback=fallback)
    run = LeaderboardRunFactory(
        leaderboard=definition,
        fallback_challenge=fallback,
        row_count=30,
        period_start=datetime.datetime(2025, 1, 1, tzinfo=UTC),
    )
    for position in range(1, 31):
        LeaderboardEntryFactory(
            run=run,
            cluster_id=f"c{position:02d}",
            position=position,
            rank=(position + 1) // 2,
            score=100 - (position + 1) // 2,
            tiebreaker=position % 3,
            fallback_value=position % 3 or None,
            previous_rank=position + 1 if position % 4 else None,
        )
    backfill = LeaderboardRunFactory(
        leaderboard=definition, is_backfill=True, period_start=datetime.datetime(2025, 6, 1, tzinfo=UTC)
    )
    LeaderboardEntryFactory(run=backfill, cluster_id="bob", score=3)
    for cluster_id in ("c01", "c03", "c14", "c16", "c20", "c30"):  # display names shown around and on pages
        ClusterProfileFactory(cluster_id=cluster_id, avatar_url=None if cluster_id == "c03" else "https://x.test/a")
    return run


def _both(client, path: str):
    hedge, floor = client.get(path), client.get(f"/bench-floor{path}")
    assert hedge.status_code == floor.status_code == 200, (hedge.content, floor.content)
    return hedge.json(), floor.json()


def test_the_floor_serves_hedges_latest_run_and_its_pages(client, ranked):
    hedge, floor = _both(client, "/leaderboards/wins/latest?limit=10&after=10")

    assert floor["leaderboard"]["runId"] == hedge["leaderboard"]["runId"] == ranked.pk
    assert floor["leaderboard"].get("checksum") == hedge["leaderboard"].get("checksum")
    assert floor["leaderboard"]["periodLabel"] == hedge["leaderboard"]["periodLabel"]
    assert floor["entries"] == hedge["entries"]
    assert floor["nextAfter"] == hedge["nextAfter"] == 20
    assert [e["position"] for e in floor["entries"]] == list(range(11, 21))
    # The floor's next page is under its own prefix.
    assert floor["next"].replace("/bench-floor/", "/", 1) == hedge["next"]
    assert hedge["next"].endswith(f"/leaderboards/wins/runs/{ranked.pk}?limit=10&after=20")

    hedge, floor = _both(client, "/leaderboards/wins/latest?limit=10&after=20")

    assert floor["entries"] == hedge["entries"]
    assert floor["next"] is hedge["next"] is None


def test_the_floors_cluster_lookup_answers_the_entry_its_neighbours_and_percentile_as_hedge(client, ranked):
    for cluster in ("c01", "c15", "c30", "nobody"):
        hedge, floor = _both(client, f"/leaderboards/wins/latest/clusters/{cluster}?around=3")

        assert (floor["entry"], floor["above"], floor["below"]) == (hedge["entry"], hedge["above"], hedge["below"])
    hedge, _ = _both(client, "/leaderboards/wins/latest/clusters/c15?around=3")
    assert [e["clusterId"] for e in hedge["above"] + hedge["below"]] == ["c12", "c13", "c14", "c16", "c17", "c18"]


def test_the_floors_several_clusters_answer_found_entries_by_position_and_the_missing_ids(client, ranked):
    hedge, floor = _both(client, "/leaderboards/wins/latest/clusters?ids=c20,nobody,c03,c20")

    assert floor["entries"] == hedge["entries"]
    assert floor["missing"] == hedge["missing"] == ["nobody"]
    assert [e["clusterId"] for e in floor["entries"]] == ["c03", "c20"]
    assert [e["displayName"] for e in floor["entries"]] == ["Name of c03", "Name of c20"]


def test_the_floors_season_progress_answers_hedges_points_level_and_breakdown(client):
    season = SeasonFactory(id="S1", points_per_level=100)
    for code, weight, value in (("kills", 2, 30), ("wins", 5, 7)):
        challenge = ChallengeFactory(code=code)
        SeasonChallengeWeightFactory(season=season, challenge=challenge, weight=weight)
        ChallengeProgressFactory(challenge=challenge, cluster_id="alice", value=value)
    SeasonProgressFactory(season=season, cluster_id="alice", points=95, level=0)

    fields = ("seasonId", "clusterId", "points", "level", "nextLevelThreshold", "pointsToNextLevel", "breakdown")
    for cluster in ("alice", "nobody"):
        hedge, floor = _both(client, f"/seasons/S1/progress?clusterId={cluster}")

        assert [floor.get(f) for f in fields] == [hedge.get(f) for f in fields]
    hedge, _ = _both(client, "/seasons/S1/progress?clusterId=alice")
    assert (hedge["points"], hedge["level"], hedge["pointsToNextLevel"]) == (95, 0, 5)


def test_the_floor_answers_404_for_a_leaderboard_without_a_completed_run(client):
    LeaderboardRunFactory(leaderboard=LeaderboardDefFactory(key="wins"), status="PROCESSING")

    response = client.get("/bench-floor/leaderboards/wins/latest")

    assert response.status_code == 404


def test_the_floor_refuses_a_bad_parameter_with_a_400_naming_it(client, ranked):
    assert client.get("/bench-floor/leaderboards/wins/latest?limit=0").json() == {
        "limit": ["Ensure this value is a valid integer in range."]
    }
    assert "around" in client.get("/bench-floor/leaderboards/wins/latest/clusters/c01?around=51").json()
    assert client.get("/bench-floor/leaderboards/wins/latest/clusters?ids=").status_code == 400
