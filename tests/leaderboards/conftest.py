import pytest

from leaderboards.services import generate_leaderboard_run
from tests.factories import ChallengeFactory, LeaderboardDefFactory, given_progress


@pytest.fixture
def streak(wins):
    """A second metric of the same category and source as `wins`: usable as its fallback."""
    return ChallengeFactory(code="streak", category=wins.category, metric_source="pvp", metric_key="best_streak")


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
