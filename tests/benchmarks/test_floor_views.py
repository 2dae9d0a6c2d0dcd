"""The bare floor views (bench.urls) answer what hedge's endpoints answer, so the benchmark compares like with like."""

import datetime

import pytest

from tests.factories import LeaderboardDefFactory, LeaderboardEntryFactory, LeaderboardRunFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("bench.urls")]

UTC = datetime.UTC


def test_the_floor_serves_hedges_latest_run_even_when_a_backfill_ends_later(client):
    definition = LeaderboardDefFactory(key="wins")
    scheduled = LeaderboardRunFactory(leaderboard=definition, period_start=datetime.datetime(2025, 1, 1, tzinfo=UTC))
    LeaderboardEntryFactory(run=scheduled, cluster_id="alice", score=10)
    backfill = LeaderboardRunFactory(
        leaderboard=definition, is_backfill=True, period_start=datetime.datetime(2025, 6, 1, tzinfo=UTC)
    )
    LeaderboardEntryFactory(run=backfill, cluster_id="bob", score=3)

    hedge = client.get("/leaderboards/wins/latest?limit=10")
    floor = client.get("/bench-floor/leaderboards/wins/latest?limit=10")

    assert hedge.status_code == floor.status_code == 200
    assert floor.json()["leaderboard"]["runId"] == hedge.json()["leaderboard"]["runId"] == scheduled.pk
    assert floor.json()["entries"] == hedge.json()["entries"]


def test_the_floor_answers_404_for_a_leaderboard_without_a_completed_run(client):
    LeaderboardRunFactory(leaderboard=LeaderboardDefFactory(key="wins"), status="PROCESSING")

    response = client.get("/bench-floor/leaderboards/wins/latest")

    assert response.status_code == 404
