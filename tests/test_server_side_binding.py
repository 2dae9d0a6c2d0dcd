"""Every hedge statement runs under Django's documented OPTIONS={"server_side_binding": True} (PostgreSQL).

Server-side binding sends each statement as a prepared statement: one command per execute, and
every parameter's type must be inferable.
"""

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from leaderboards.models import RunStatus
from leaderboards.services import generate_due_final_runs, generate_leaderboard_run
from seasons.services import recompute_changed_since, recompute_clusters, recompute_season
from tests.factories import (
    ChallengeFactory,
    LeaderboardDefFactory,
    SeasonChallengeWeightFactory,
    SeasonFactory,
    given_history,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="server_side_binding is a PostgreSQL option"),
]


@pytest.mark.parametrize("window", ["ALL_TIME", "DAILY"])
def test_a_run_is_generated_with_server_side_binding(server_side_binding, window):
    assert connection.cursor().connection.cursor_factory.__name__ == "ServerBindingCursor"
    now = timezone.now()
    wins = ChallengeFactory(code="wins", metric_source="pvp", metric_key="wins")
    streak = ChallengeFactory(code="streak", category=wins.category, metric_source="pvp", metric_key="streak")
    given_history(wins, {"a": 1, "b": 1}, at=now - datetime.timedelta(days=3))
    given_history(wins, {"a": 5, "b": 3}, at=now - datetime.timedelta(seconds=5))
    given_history(streak, {"a": 2}, at=now - datetime.timedelta(seconds=5))
    LeaderboardDefFactory(key="lb", challenge=wins, fallback=streak, time_window=window)

    run = generate_leaderboard_run("lb")
    generate_due_final_runs("lb")

    assert (run.status, run.row_count) == (RunStatus.COMPLETE, 2)


@pytest.mark.parametrize("scoring", ["LIFETIME", "GAINS"])
def test_season_points_are_computed_with_server_side_binding(server_side_binding, scoring):
    now = timezone.now()
    season = SeasonFactory(starts_at=now - datetime.timedelta(days=1), scoring=scoring)
    challenge = ChallengeFactory()
    SeasonChallengeWeightFactory(season=season, challenge=challenge, weight=2)
    given_history(challenge, {"a": 1}, at=now - datetime.timedelta(days=3))
    given_history(challenge, {"a": 4}, at=now - datetime.timedelta(seconds=5))

    assert recompute_season(season).considered == 1
    assert recompute_clusters(season, ["a", "b"]).considered == 2
    assert recompute_changed_since(season, now - datetime.timedelta(minutes=1)).considered == 1
