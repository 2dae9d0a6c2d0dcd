"""The bare player-centred floors (bench.profile_views) answer what hedge answers, ties and finals included."""

import random

import pytest
from django.db import connection
from django.utils import timezone

from leaderboards.services import generate_leaderboard_run
from tests.factories import (
    ClusterProfileFactory,
    ExclusionFactory,
    LeaderboardAwardFactory,
    LeaderboardDefFactory,
    given_history,
    given_progress,
)
from tests.profiles.conftest import a_final, a_run

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.urls("bench.urls"),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the benchmark runs on PostgreSQL"),
]


def _both(client, path: str):
    hedge, floor = client.get(path), client.get(f"/bench-floor{path}")
    assert hedge.status_code == floor.status_code, (hedge.content, floor.content)
    return hedge.json(), floor.json()


@pytest.fixture
def boards(wins):
    """Two weekly boards with tied ranks, a kept top below the ranked total, and finals (one superseded)."""
    weekly = LeaderboardDefFactory(key="weekly", name="Weekly", challenge=wins, time_window="WEEKLY")
    daily = LeaderboardDefFactory(key="daily", name="Daily", challenge=wins, time_window="DAILY")
    ties = {"a": 1, "b": 1, "c": 3, "d": 3, "e": 3, "f": 6, "g": 6}
    a_run(weekly, ties, ranked_total=40)
    a_run(daily, {"g": 1, "a": 2, "x": 2})
    for week, standings in enumerate(({"a": 1, "b": 2}, {"b": 1, "a": 1, "c": 3}, {"c": 1, "a": 2})):
        corrected = a_final(weekly, week, standings)
    a_final(weekly, 2, {"a": 1}, status="SUPERSEDED", superseded_by=corrected, finished_at=timezone.now())
    ClusterProfileFactory(cluster_id="a", avatar_url=None)
    LeaderboardAwardFactory(cluster_id="a", leaderboard_key="weekly")
    return weekly


def test_the_profile_floor_answers_standings_percentiles_best_names_and_awards_as_hedge(client, boards):
    for cluster in ("a", "b", "e", "g", "x", "nobody"):
        hedge, floor = _both(client, f"/clusters/{cluster}")

        assert floor == hedge
    hedge, _ = _both(client, "/clusters/a")
    assert [(b["key"], b["rank"], b["percentile"]) for b in hedge["leaderboards"]] == [
        ("daily", 2, 0.0),
        ("weekly", 1, 95.0),
    ]


def test_the_profile_floor_answers_excluded_as_hedge(client, boards):
    ExclusionFactory(cluster_id="b")

    assert client.get("/bench-floor/clusters/b").status_code == client.get("/clusters/b").status_code == 404


def test_the_history_floor_answers_the_pages_and_best_as_hedge(client, boards):
    for path in (
        *(f"/leaderboards/weekly/clusters/{cluster}/history?limit=52" for cluster in ("a", "c", "nobody")),
        "/leaderboards/weekly/clusters/a/history?limit=1",
        f"/leaderboards/weekly/clusters/a/history?limit=1&before={boards.runs.filter(is_final=True).latest('id').pk}",
    ):
        hedge, floor = _both(client, path)

        assert {**floor, "next": None} == {**hedge, "next": None}
        assert (floor["next"] or "").replace("/bench-floor/", "/", 1) == (hedge["next"] or "")
    hedge, _ = _both(client, "/leaderboards/weekly/clusters/a/history?limit=52")
    assert [r["rank"] for r in hedge["results"]] == [2, 1, 1]
    assert hedge["best"]["runId"] == hedge["results"][1]["runId"]  # rank 1 twice: the newer period
    assert client.get("/bench-floor/leaderboards/gone/clusters/a/history").status_code == 404


def test_the_movers_floor_answers_the_stored_movers_as_hedge(client, wins):
    rng = random.Random(24)
    LeaderboardDefFactory(key="lb", challenge=wins, max_entries=0)
    given_progress(wins, {f"c{n:03d}": rng.randint(1, 40) for n in range(80)})
    generate_leaderboard_run("lb")
    given_history(wins, {f"c{n:03d}": rng.randint(1, 40) for n in range(80)}, at=timezone.now())
    generate_leaderboard_run("lb")
    ClusterProfileFactory(cluster_id="c007")

    for query in ("direction=up&limit=10", "direction=down&limit=100"):
        hedge, floor = _both(client, f"/leaderboards/lb/latest/movers?{query}")

        assert floor["entries"] == hedge["entries"]
        assert floor["leaderboard"]["runId"] == hedge["leaderboard"]["runId"]
