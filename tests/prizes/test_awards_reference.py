"""Awards equal a Python reference over random boards: many ties, both rank modes, overlapping and stacked
rows, percent rows on small and large boards, min_score and exclusions."""

import math
import random
from decimal import Decimal

import pytest

from leaderboards.services import generate_final_run
from prizes.models import LeaderboardAward
from tests.factories import ExclusionFactory, LeaderboardPrizeFactory, given_gains

pytestmark = pytest.mark.django_db


def reference_standings(gains: dict[str, int], excluded: set[str], rank_mode: str) -> list[tuple]:
    """(position, rank, cluster_id, score) as a run ranks gains: more first, then cluster id; ties share a rank."""
    ranked = sorted(
        ((score, cluster) for cluster, score in gains.items() if score > 0 and cluster not in excluded),
        key=lambda item: (-item[0], item[1].encode()),
    )
    standings, rank, previous = [], 0, None
    for position, (score, cluster) in enumerate(ranked, start=1):
        if score != previous:
            rank = rank + 1 if rank_mode == "DENSE" else position
            previous = score
        standings.append((position, rank, cluster, score))
    return standings


def reference_awards(standings: list[tuple], prizes) -> set[tuple]:
    """(cluster_id, prize name, rank, position) of every award the prize table wins in these standings."""
    won = set()
    for prize in prizes:
        if prize.top_percent is not None:
            if not standings:
                continue
            boundary = math.ceil(Decimal(prize.top_percent) * len(standings) / 100)
            first, last = 1, standings[boundary - 1][1]
        else:
            first, last = prize.rank_from, prize.rank_to
        for position, rank, cluster, score in standings:
            if first <= rank <= last and (prize.min_score is None or score >= prize.min_score):
                won.add((cluster, prize.name, rank, position))
    return won


def random_prize_table(rng: random.Random, board) -> list:
    prizes = []
    for number in range(rng.randint(1, 6)):
        fields = {"leaderboard": board, "name": f"row {number}", "quantity": rng.randint(1, 5)}
        if rng.random() < 0.4:
            percent = rng.choice(["0.5", "1", "10", "33.3333", "50", "100", f"{rng.uniform(0.0001, 100):.4f}"])
            fields["top_percent"] = Decimal(percent)
        else:
            start = rng.randint(1, 8)
            fields.update(rank_from=start, rank_to=start + rng.randint(0, 6))
        if rng.random() < 0.3:
            fields["min_score"] = rng.randint(1, 6)
        prizes.append(LeaderboardPrizeFactory(**fields))
    return prizes


@pytest.mark.parametrize(
    ("seed", "clusters"), [(seed, 40) for seed in range(8)] + [(100, 1), (101, 3), (102, 400), (103, 700)]
)
def test_awards_equal_the_reference(wins, board, yesterday, seed, clusters):
    rng = random.Random(seed)
    board.rank_mode = rng.choice(["DENSE", "COMPETITION"])
    board.save()
    # Few distinct gains, so ties are many; 0 gains are not ranked.
    gains = {f"c{n:04d}": rng.randint(0, 6) for n in range(clusters)}
    given_gains(wins, gains, period=yesterday)
    excluded = set(rng.sample(sorted(gains), k=min(len(gains), rng.randint(0, 3))))
    for cluster in excluded:
        ExclusionFactory(cluster_id=cluster, leaderboard=board)
    prizes = random_prize_table(rng, board)

    run = generate_final_run("lb_daily", **yesterday)

    written = set(LeaderboardAward.objects.filter(run_id=run.pk).values_list("cluster_id", "name", "rank", "position"))
    assert written == reference_awards(reference_standings(gains, excluded, board.rank_mode), prizes)
