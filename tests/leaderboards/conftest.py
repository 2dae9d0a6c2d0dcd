import pytest

from leaderboards.models import LeaderboardEntry
from tests.factories import ChallengeFactory, ChallengeProgressFactory


def given_progress(challenge, values: dict[str, int]) -> None:
    """Each cluster's current value in `challenge`."""
    for cluster_id, value in values.items():
        ChallengeProgressFactory(challenge=challenge, cluster_id=cluster_id, value=value)


def standings(run) -> list[tuple]:
    """(position, rank, cluster_id, score, tiebreaker) of every entry of `run`, by position."""
    return list(
        LeaderboardEntry.objects.filter(run=run)
        .order_by("position")
        .values_list("position", "rank", "cluster_id", "score", "tiebreaker")
    )


@pytest.fixture
def wins(db):
    return ChallengeFactory(code="wins", metric_source="pvp", metric_key="wins")


@pytest.fixture
def streak(wins):
    """A second metric of the same category and source as `wins`: usable as its fallback."""
    return ChallengeFactory(code="streak", category=wins.category, metric_source="pvp", metric_key="best_streak")
