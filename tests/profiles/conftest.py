import datetime

import pytest

from tests.factories import LeaderboardDefFactory, LeaderboardEntryFactory, LeaderboardRunFactory

UTC = datetime.UTC
WEEK = datetime.timedelta(days=7)
MONDAY = datetime.datetime(2025, 1, 6, tzinfo=UTC)


def a_run(definition, standings: dict[str, int], *, ranked_total=None, **fields):
    """A COMPLETE run of `definition` whose clusters have these ranks, positioned in the order given."""
    run = LeaderboardRunFactory(
        leaderboard=definition,
        row_count=len(standings),
        ranked_total=ranked_total if ranked_total is not None else len(standings),
        **fields,
    )
    for position, (cluster_id, rank) in enumerate(standings.items(), start=1):
        LeaderboardEntryFactory(run=run, cluster_id=cluster_id, position=position, rank=rank, score=1000 - position)
    return run


def a_final(definition, week: int, standings: dict[str, int], **fields):
    """The final run of the `week`-th week after MONDAY."""
    start = MONDAY + week * WEEK
    return a_run(definition, standings, is_final=True, period_start=start, period_end=start + WEEK, **fields)


@pytest.fixture
def weekly(wins):
    return LeaderboardDefFactory(key="weekly", name="Weekly wins", challenge=wins, time_window="WEEKLY")
