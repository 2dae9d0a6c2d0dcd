"""The movers a generation records (leaderboards.sql.RECORD_RUN_MOVERS): each direction's top MAX_MOVERS entries by
rank change, ties by position, numbered from 1; entries without a previous rank are never movers."""

import random

import pytest
from django.utils import timezone

from leaderboards.models import MAX_MOVERS, LeaderboardEntry, RunMover
from leaderboards.services import generate_leaderboard_run
from tests.factories import LeaderboardDefFactory, given_history, given_progress

pytestmark = pytest.mark.django_db


def reference_movers(run) -> list[tuple[str, int, int]]:
    """(direction, place, position) of `run`'s movers, from its entries, in Python."""
    entries = [
        (e.previous_rank - e.rank, e.position)
        for e in LeaderboardEntry.objects.filter(run=run)
        if e.previous_rank is not None
    ]
    up = sorted(entries, key=lambda e: (-e[0], e[1]))[:MAX_MOVERS]
    down = sorted(entries, key=lambda e: (e[0], e[1]))[:MAX_MOVERS]
    return [("DOWN", place, position) for place, (_, position) in enumerate(down, 1)] + [
        ("UP", place, position) for place, (_, position) in enumerate(up, 1)
    ]


def recorded_movers(run) -> list[tuple[str, int, int]]:
    return list(
        RunMover.objects.filter(run=run).order_by("direction", "place").values_list("direction", "place", "position")
    )


@pytest.mark.parametrize("clusters", [7, 260])  # fewer entries than MAX_MOVERS (the directions share them), and more
def test_the_recorded_movers_equal_a_python_reference_on_random_runs(wins, clusters):
    rng = random.Random(clusters)
    LeaderboardDefFactory(key="lb", challenge=wins, max_entries=0)
    names = [f"c{n:03d}" for n in range(clusters)]
    given_progress(wins, {name: rng.randint(1, 30) for name in names if rng.random() < 0.9})  # ties on purpose
    generate_leaderboard_run("lb")
    given_history(wins, {name: rng.randint(31, 60) for name in names if rng.random() < 0.8}, at=timezone.now())

    run = generate_leaderboard_run("lb")

    expected = reference_movers(run)
    assert {direction for direction, _, _ in expected} == {"UP", "DOWN"}
    assert recorded_movers(run) == expected
