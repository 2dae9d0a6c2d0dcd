"""Random multi-period histories: what hedge stores and serves equals the Python reference (tests/leagues/reference.py).

Each history: a pool of clusters, 3 ended periods with 1..3 runs each (new clusters arrive between runs) and
a final run (some members excluded just before it: they gained nothing by its count), then a current period
with runs only. Cohorts of 2..5 (many not full), 1..4 tiers (one tier only included), counts and shares,
small gains (ties at both zone edges), both rank modes, idle demotion on or off. Random tier prizes (rank
ranges and top percentages, some with a minimum score, ties at their boundary): the awards of each final run
equal the reference's.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from leaderboards.models import Exclusion
from leaderboards.services import generate_final_run, generate_leaderboard_run
from leagues.models import LeagueMember, LeagueMove, LeaguePeriod
from prizes.models import LeaderboardAward
from tests.factories import (
    ExclusionFactory,
    LeaderboardPrizeFactory,
    LeagueFactory,
    LeagueTierFactory,
    given_history,
)
from tests.leagues import reference
from tests.leagues.conftest import day

PERIODS = 3


def random_tiers(rng: random.Random) -> list[reference.Tier]:
    tiers = []
    count = rng.choice([1, 2, 3, 4])
    for level in range(1, count + 1):
        tier = reference.Tier(level)
        if level < count:
            if rng.random() < 0.3:
                tier.promote_percent = Decimal(rng.choice(["20", "33.3333", "50"]))
            else:
                tier.promote_count = rng.choice([0, 1, 2])
        if level > 1:
            if rng.random() < 0.3:
                tier.demote_percent = Decimal(rng.choice(["25", "40"]))
            else:
                tier.demote_count = rng.choice([0, 1, 2, 3])
        tiers.append(tier)
    return tiers


class History:
    """Writes a random history through hedge (gains, runs, exclusions) and into the reference, side by side."""

    def __init__(self, rng, board, challenge, league, ref):
        self.rng, self.board, self.challenge, self.league, self.ref = rng, board, challenge, league, ref
        self.final_run = None
        self.pool = [f"c{i:02d}" for i in range(rng.randint(8, 22))]
        self.values = dict.fromkeys(self.pool, 1000)
        start, _ = day(PERIODS + 2)
        given_history(challenge, self.values, at=start - datetime.timedelta(days=1))

    def period(self, days_ago: int, *, runs: int, final: bool) -> dict[str, int]:
        start, end = day(days_ago)
        scores: dict[str, int] = {}
        self.ref.open_period()
        active = [c for c in self.pool if self.rng.random() < 0.8]
        for step in range(1, runs + 1):
            arriving = self.rng.sample(active, k=max(1, len(active) // runs))
            gains = {c: self.rng.randint(1, 3) for c in arriving}
            for c, g in gains.items():
                self.values[c] += g
                scores[c] = scores.get(c, 0) + g
            given_history(
                self.challenge, {c: self.values[c] for c in gains}, at=start + step * datetime.timedelta(minutes=30)
            )
            generate_leaderboard_run(self.board.key, period_start=start, period_end=end)
            self.ref.place(scores)
        if final:
            excluded = self.rng.sample(sorted(scores), k=len(scores) // 5)
            for c in excluded:
                ExclusionFactory(cluster_id=c, leaderboard=self.board)
            self.final_run = generate_final_run(self.board.key, period_start=start, period_end=end)
            Exclusion.objects.filter(lifted_at__isnull=True).update(lifted_at=timezone.now())
            self.ref.close({c: s for c, s in scores.items() if c not in excluded})
        return scores


def random_tier_prizes(rng: random.Random, tiers) -> list[reference.TierPrize]:
    """0..2 prize rows per tier: a rank range (1..1, 1..2, 2..3) or a top percentage, some with a minimum score."""
    prizes = []
    for tier in tiers:
        for _ in range(rng.randint(0, 2)):
            min_score = rng.choice([None, None, 2, 3])
            if rng.random() < 0.4:
                row = LeaderboardPrizeFactory(
                    league_tier=tier, top_percent=Decimal(rng.choice(["20", "34", "50"])), min_score=min_score
                )
            else:
                rank_from = rng.choice([1, 1, 2])
                row = LeaderboardPrizeFactory(
                    league_tier=tier, rank_from=rank_from, rank_to=rank_from + rng.choice([0, 1]), min_score=min_score
                )
            prizes.append(
                reference.TierPrize(row.pk, tier.level, row.rank_from, row.rank_to, row.top_percent, row.min_score)
            )
    return prizes


def stored_tier_awards(run) -> set[tuple]:
    rows = LeaderboardAward.objects.filter(run_id=run.pk, league_key__isnull=False).values_list(
        "cluster_id", "prize_id", "rank", "position", "score", "league_level", "league_cohort"
    )
    return set(rows)


def stored_members(league, start) -> dict[str, tuple]:
    rows = LeagueMember.objects.filter(league=league, period_start=start).values_list(
        "cluster_id", "level", "cohort", "slot"
    )
    return {c: (level, cohort, slot) for c, level, cohort, slot in rows}


def stored_moves(league, start) -> dict[str, tuple]:
    rows = LeagueMove.objects.filter(league=league, period_start=start).values_list(
        "cluster_id", "level", "cohort", "rank", "score", "move", "next_level"
    )
    return {row[0]: row[1:] for row in rows}


def expected_moves(results) -> dict[str, tuple]:
    return {c: (r.level, r.cohort, r.rank, r.score, r.move, r.next_level) for c, r in results.items()}


@pytest.mark.parametrize("seed", range(8))
def test_stored_and_served_leagues_equal_the_reference(board, wins, seed):
    rng = random.Random(seed)
    tiers = random_tiers(rng)
    mode = rng.choice(["DENSE", "COMPETITION"])
    board.rank_mode = mode
    board.save()
    league = LeagueFactory(leaderboard=board, cohort_size=rng.randint(2, 5), idle_demotion=rng.random() < 0.5)
    stored_tiers = []
    for t in tiers:
        stored_tier = LeagueTierFactory(
            league=league,
            level=t.level,
            promote_count=t.promote_count,
            promote_percent=t.promote_percent,
            demote_count=t.demote_count,
            demote_percent=t.demote_percent,
        )
        stored_tiers.append(stored_tier)
    prizes = random_tier_prizes(rng, stored_tiers)
    ref = reference.League(tiers=tiers, size=league.cohort_size, mode=mode, idle_demotion=league.idle_demotion)
    history = History(rng, board, wins, league, ref)
    expected_history: dict[str, list] = {}
    won_prizes = 0

    for k in range(PERIODS):
        days_ago = PERIODS + 1 - k
        history.period(days_ago, runs=rng.randint(1, 3), final=True)
        start, _ = day(days_ago)
        placed = {c: (m.level, m.cohort, m.slot) for c, m in ref.members.items()}
        assert stored_members(league, start) == placed, f"period {k}: placement"
        results = ref.last_closed
        assert stored_moves(league, start) == expected_moves(results), f"period {k}: moves"
        expected_awards = reference.tier_awards(results, prizes)
        assert stored_tier_awards(history.final_run) == expected_awards, f"period {k}: tier prizes"
        won_prizes += len(expected_awards)
        for c, r in results.items():
            expected_history.setdefault(c, []).insert(0, (start, r))

    # The current period: runs only, served with the zones each member would end in now.
    scores = history.period(1, runs=2, final=False)
    now = ref.standings(scores)
    api = APIClient()
    for cluster_id, result in now.items():
        body = api.get(f"/leagues/{league.key}/clusters/{cluster_id}").json()
        cohort = sorted(
            (r for r in now.values() if (r.level, r.cohort) == (result.level, result.cohort)),
            key=lambda r: (r.rank, -r.score),
        )
        assert body["tier"]["level"] == result.level
        assert body["cohort"] == {"id": f"{result.level}-{result.cohort}", "size": len(cohort)}
        served = {(s["clusterId"], s["rank"], s["score"], s["zone"]) for s in body["standings"]}
        assert served == {(r.cluster_id, r.rank, r.score, r.move.lower()) for r in cohort}
        assert body["you"]["clusterId"] == cluster_id
    for cluster_id, periods in expected_history.items():
        body = api.get(f"/leagues/{league.key}/clusters/{cluster_id}/history").json()
        got = [
            (r["tier"]["level"], r["cohort"], r["rank"], r["score"], r["move"], r["nextTier"]["level"])
            for r in body["results"]
        ]
        assert got == [
            (r.level, f"{r.level}-{r.cohort}", r.rank, r.score, r.move.lower(), r.next_level) for _, r in periods
        ]
    assert LeaguePeriod.objects.filter(league=league, closed_by_run_id__isnull=False).count() == PERIODS
    assert won_prizes == LeaderboardAward.objects.filter(league_key=league.key).count()
