"""Each entry's previous rank is its rank in the previous run of the period, on random data, across the cut."""

import datetime
import random

import pytest

from leaderboards.services import generate_leaderboard_run
from tests.factories import LeaderboardDefFactory, given_history
from tests.helpers import standings

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
JUNE = datetime.datetime(2026, 6, 1, tzinfo=UTC)
HOUR = datetime.timedelta(hours=1)
CLUSTERS = [f"c{i:03d}" for i in range(120)]


@pytest.fixture(params=[(seed, cut) for cut in (0, 25) for seed in (1, 2, 3)], ids=lambda p: f"seed{p[0]}-cut{p[1]}")
def random_board(request):
    """(a seeded random generator, the board's max_entries: 0 for every cluster, else a cut)."""
    seed, max_entries = request.param
    return random.Random(seed), max_entries


def ranks_of(run) -> dict[str, int]:
    return {cluster_id: rank for _, rank, cluster_id, *_ in standings(run)}


def assert_previous_ranks(run, previous) -> None:
    """Each entry of `run` carries its rank in `previous`, None where it had no entry there (the reference)."""
    expected = ranks_of(previous)
    got = {entry.cluster_id: entry.previous_rank for entry in run.entries.all()}
    assert got == {cluster_id: expected.get(cluster_id) for cluster_id in got}


def test_current_values(wins, random_board):
    rng, max_entries = random_board
    LeaderboardDefFactory(key="board", challenge=wins, time_window="ALL_TIME", max_entries=max_entries)
    given_history(wins, {c: rng.randrange(40) for c in CLUSTERS}, at=JUNE)
    previous = generate_leaderboard_run("board", now=JUNE + HOUR)
    given_history(wins, {c: rng.randrange(40) for c in rng.sample(CLUSTERS, 60)}, at=JUNE + 2 * HOUR)

    run = generate_leaderboard_run("board", now=JUNE + 3 * HOUR)

    assert run.entries.count() == (max_entries or 120)
    assert_previous_ranks(run, previous)


def test_gains(wins, random_board):
    rng, max_entries = random_board
    LeaderboardDefFactory(key="board", challenge=wins, time_window="MONTHLY", max_entries=max_entries)
    values = {c: rng.randrange(40) for c in CLUSTERS}
    given_history(wins, values, at=JUNE - HOUR)
    values |= {c: values[c] + rng.randrange(1, 40) for c in rng.sample(CLUSTERS, 80)}
    given_history(wins, values, at=JUNE + HOUR)
    previous = generate_leaderboard_run("board", now=JUNE + 2 * HOUR)
    values |= {c: values[c] + rng.randrange(1, 40) for c in rng.sample(CLUSTERS, 60)}
    given_history(wins, values, at=JUNE + 3 * HOUR)

    run = generate_leaderboard_run("board", now=JUNE + 4 * HOUR)

    assert previous.period_start == run.period_start == JUNE
    if not max_entries:  # clusters that first gained since the previous run
        assert None in {entry.previous_rank for entry in run.entries.all()}
    assert_previous_ranks(run, previous)
