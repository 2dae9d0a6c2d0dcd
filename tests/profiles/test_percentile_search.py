"""The last position tied with a cluster (the percentile's input), searched from its own position in
profiles.sql, against a Python reference on runs with ties of every length (1 to 70, the last one reaching
the end of the run): the profile and the history must agree with it for every cluster."""

import random

import pytest

from leaderboards.selectors import percentile_of
from tests.profiles.conftest import a_final, a_run

pytestmark = pytest.mark.django_db


def tied_ranks(rng: random.Random, rows: int) -> dict[str, int]:
    """Competition ranks over `rows` positions in blocks of 1..70 ties."""
    ranks, position = {}, 1
    while position <= rows:
        block = rng.choice([1, 1, 2, 3, 5, 8, 13, 31, 64, 70])
        for offset in range(min(block, rows - position + 1)):
            ranks[f"c{position + offset:03d}"] = position
        position += block
    return ranks


def reference(ranks: dict[str, int], cluster: str, ranked_total: int) -> float:
    last_tied = max(p for p, c in enumerate(ranks, start=1) if ranks[c] == ranks[cluster])
    return percentile_of(ranked_total=ranked_total, last_tied_position=last_tied, last_position=len(ranks))


def test_profile_and_history_percentiles_equal_a_reference_over_ties_of_every_length(api, weekly):
    rng = random.Random(24)
    latest = tied_ranks(rng, 200)
    final = tied_ranks(rng, 150)
    a_final(weekly, 0, final, ranked_total=400)
    a_run(weekly, latest, ranked_total=250)

    for cluster in latest:
        profile = api.get(f"/clusters/{cluster}").json()
        [board] = profile["leaderboards"]
        assert board["percentile"] == reference(latest, cluster, 250), cluster
    for cluster in final:
        [result] = api.get(f"/leaderboards/weekly/clusters/{cluster}/history").json()["results"]
        assert result["percentile"] == reference(final, cluster, 400), cluster
