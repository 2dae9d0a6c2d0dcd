"""A Python reference of leagues, written from the issue's rules (not from leagues.sql), to check what hedge stores.

Placement: a cluster's level is where its last moves put it (1 for a newcomer, never above the top tier);
each run's new clusters, in board order, take the next seat of their tier: cohort = seat // size + 1.
Standings: a cohort's members by (score desc, board position), members the final run does not rank
score 0 at the bottom; ranks by the board's rank mode. Zones: p and d members (a count, or ceil of a
share), ties at each edge go the members' way; idle never promotes; idle demotion drops one tier.
Tier prizes: a prize row of a tier wins, in each cohort of the tier, every member ranked within its range
(or at or above the rank at place ceil(P/100 x members) for a top percentage), above its minimum score,
who gained something; the award's place is its place in the cohort by (rank, cluster id).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass
class Tier:
    level: int
    promote_count: int | None = None
    promote_percent: Decimal | None = None
    demote_count: int | None = None
    demote_percent: Decimal | None = None

    def promote_n(self, members: int, top: int) -> int:
        if self.level >= top:
            return 0
        return _zone(self.promote_count, self.promote_percent, members)

    def demote_n(self, members: int) -> int:
        if self.level <= 1:
            return 0
        return _zone(self.demote_count, self.demote_percent, members)


def _zone(count, percent, members: int) -> int:
    if percent is not None:
        return math.ceil(Decimal(percent) * members / 100)
    return count or 0


def board_order(scores: dict[str, int]) -> list[str]:
    """The board's positions: score desc, then cluster id (no fallback: tiebreaker 0)."""
    return sorted(scores, key=lambda c: (-scores[c], c.encode()))


def ranks(scores: list[int], mode: str) -> list[int]:
    """Ranks of scores already in descending order, DENSE (1, 1, 2) or COMPETITION (1, 1, 3)."""
    out, dense = [], 0
    for i, score in enumerate(scores):
        if i and score == scores[i - 1]:
            out.append(out[-1])
        else:
            dense += 1
            out.append(dense if mode == "DENSE" else i + 1)
    return out


@dataclass
class Member:
    cluster_id: str
    level: int
    cohort: int
    slot: int


@dataclass
class Result:
    cluster_id: str
    level: int
    cohort: int
    rank: int
    score: int
    move: str
    next_level: int


@dataclass
class League:
    tiers: list[Tier]
    size: int
    mode: str = "DENSE"
    idle_demotion: bool = False
    level_after: dict[str, int] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)
    last_closed: dict[str, Result] = field(default_factory=dict)

    @property
    def top(self) -> int:
        return max(t.level for t in self.tiers)

    def open_period(self) -> None:
        self.members = {}

    def place(self, scores: dict[str, int]) -> None:
        """A run of the period: its clusters not yet placed take the next seats of their tiers."""
        seats: dict[int, int] = {}
        for member in self.members.values():
            seats[member.level] = max(seats.get(member.level, 0), member.slot + 1)
        for cluster_id in board_order(scores):
            if cluster_id in self.members:
                continue
            level = min(self.level_after.get(cluster_id, 1), self.top)
            slot = seats.get(level, 0)
            seats[level] = slot + 1
            self.members[cluster_id] = Member(cluster_id, level, slot // self.size + 1, slot)

    def standings(self, scores: dict[str, int]) -> dict[str, Result]:
        """Each member's rank, score and move if the period ended with `scores` (the run's)."""
        position = {c: i for i, c in enumerate(board_order(scores))}
        cohorts: dict[tuple[int, int], list[Member]] = {}
        for member in self.members.values():
            cohorts.setdefault((member.level, member.cohort), []).append(member)
        tiers = {t.level: t for t in self.tiers}
        results = {}
        for (level, _), members in cohorts.items():
            ordered = sorted(
                members,
                key=lambda m: (-scores.get(m.cluster_id, 0), position.get(m.cluster_id, len(position)), m.slot),
            )
            got = [scores.get(m.cluster_id, 0) for m in ordered]
            rank = ranks(got, self.mode)
            n = len(ordered)
            tier = tiers.get(level, Tier(level))
            p, d = min(tier.promote_n(n, self.top), n), tier.demote_n(n)
            promote_rank = rank[p - 1] if p >= 1 else 0
            stay_rank = rank[n - d - 1] if n - d >= 1 else 0
            for i, member in enumerate(ordered):
                idle = member.cluster_id not in scores
                if not idle and p >= 1 and rank[i] <= promote_rank and level < self.top:
                    move = "PROMOTE"
                elif (idle and self.idle_demotion and level > 1) or (level > 1 and rank[i] > stay_rank):
                    move = "DEMOTE"
                else:
                    move = "STAY"
                next_level = level + {"PROMOTE": 1, "STAY": 0, "DEMOTE": -1}[move]
                results[member.cluster_id] = Result(
                    member.cluster_id, level, member.cohort, rank[i], got[i], move, next_level
                )
        return results

    def close(self, scores: dict[str, int]) -> dict[str, Result]:
        """The period's final run: moves, and the levels they put each member at."""
        results = self.standings(scores)
        for result in results.values():
            self.level_after[result.cluster_id] = result.next_level
        self.last_closed = results
        return results


@dataclass
class TierPrize:
    prize_id: int
    level: int
    rank_from: int | None = None
    rank_to: int | None = None
    top_percent: Decimal | None = None
    min_score: int | None = None


def tier_awards(results: dict[str, Result], prizes: list[TierPrize]) -> set[tuple]:
    """{(cluster, prize id, cohort rank, place in the cohort, score, level, cohort)} the period's results win."""
    cohorts: dict[tuple[int, int], list[Result]] = {}
    for result in results.values():
        cohorts.setdefault((result.level, result.cohort), []).append(result)
    won = set()
    for (level, cohort), members in cohorts.items():
        ordered = sorted(members, key=lambda r: (r.rank, r.cluster_id))
        for prize in (p for p in prizes if p.level == level):
            if prize.top_percent is not None:
                last_rank = ordered[math.ceil(Decimal(prize.top_percent) * len(ordered) / 100) - 1].rank
                first_rank = 1
            else:
                first_rank, last_rank = prize.rank_from, prize.rank_to
            for place, r in enumerate(ordered, start=1):
                if r.score > 0 and first_rank <= r.rank <= last_rank and r.score >= (prize.min_score or 0):
                    won.add((r.cluster_id, prize.prize_id, r.rank, place, r.score, level, cohort))
    return won
