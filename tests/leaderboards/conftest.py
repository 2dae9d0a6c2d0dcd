import datetime

import pytest
from rest_framework.test import APIClient

from leaderboards.models import LeaderboardEntry
from leaderboards.services import generate_leaderboard_run
from tests.factories import ChallengeFactory, ChallengeProgressFactory, LeaderboardDefFactory


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


@pytest.fixture
def api():
    return APIClient()


def iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


@pytest.fixture
def published(wins, streak):
    """A generated run of `top_wins` over five clusters, tie-broken by streak."""
    given_progress(wins, {"alice": 10, "bob": 10, "carol": 7, "dave": 5, "erin": 1})
    given_progress(streak, {"bob": 3, "alice": 1})
    LeaderboardDefFactory(
        key="top_wins", name="Top wins", description="Most PvP wins.", challenge=wins, fallback=streak
    )
    return generate_leaderboard_run("top_wins")


@pytest.fixture
def break_ranking(monkeypatch):
    """Call it to make every later ranking statement fail inside the database (an unknown column)."""
    from leaderboards import sql

    def break_it():
        broken = "INSERT INTO leaderboard_entries (run_id) SELECT no_such_column FROM challenge_progress"
        monkeypatch.setattr(sql, "RANK", dict.fromkeys(sql.RANK, broken))

    return break_it
