import datetime

import pytest
from django.utils import timezone

from leaderboards.periods import calendar_period
from leaderboards.services import generate_final_run, generate_leaderboard_run
from tests.factories import ChallengeFactory, LeaderboardDefFactory, given_history

DAY = datetime.timedelta(days=1)


@pytest.fixture
def wins(db):
    return ChallengeFactory(code="wins", metric_source="pvp", metric_key="wins")


@pytest.fixture
def board(wins):
    """A DAILY board of PvP wins (DENSE ranks, every cluster kept)."""
    return LeaderboardDefFactory(key="lb_daily", challenge=wins, time_window="DAILY", max_entries=0)


def day(days_ago: int):
    """The DAILY period `days_ago` days before today's."""
    today = calendar_period("DAILY", now=timezone.now())
    return today.start - days_ago * DAY, today.start - (days_ago - 1) * DAY


class Race:
    """A board's history written period by period, as the ETL would: values only grow."""

    def __init__(self, board, challenge):
        self.board, self.challenge, self.values = board, challenge, {}

    def gain(self, period, gains: dict[str, int], *, step: int = 1) -> None:
        """Each cluster gains `gains[c]` inside `period` (the `step`-th write of the period, 1..20)."""
        start, _ = period
        before = {c: self.values.get(c, 1000) for c in gains if c not in self.values}
        if before:
            given_history(self.challenge, before, at=start - DAY / 2)
            self.values.update(before)
        after = {c: self.values[c] + g for c, g in gains.items() if g}
        if after:
            given_history(self.challenge, after, at=start + step * datetime.timedelta(minutes=30))
            self.values.update(after)

    def run(self, period):
        start, end = period
        return generate_leaderboard_run(self.board.key, period_start=start, period_end=end)

    def final(self, period, *, note: str = ""):
        start, end = period
        return generate_final_run(self.board.key, period_start=start, period_end=end, note=note)


@pytest.fixture
def race(board, wins):
    return Race(board, wins)
