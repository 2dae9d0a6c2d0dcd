"""A Python reference of the gain rule (docs/scores.md), computed from the stored history rows.

Written from the rule's text, independently of the SQL: tests compare what the database ranks
and sums with what this says.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict

from django.db import transaction

from hedge.challenges.models import ChallengeProgressHistory
from hedge.challenges.services.upsert import upsert_progress


def history_by_pair(challenge_ids) -> dict[tuple[int, str], list[tuple[datetime.datetime, int, int]]]:
    """{(challenge_id, cluster_id): [(recorded_at, id, value), ...] in recording order}."""
    rows = defaultdict(list)
    for row in ChallengeProgressHistory.objects.filter(challenge_id__in=challenge_ids).order_by("recorded_at", "id"):
        rows[(row.challenge_id, row.cluster_id)].append((row.recorded_at, row.id, row.value))
    return rows


def value_as_of(rows, moment) -> int:
    """The value of the newest row recorded at or before `moment`; 0 without one."""
    before = [row for row in rows if row[0] <= moment]
    return before[-1][2] if before else 0


def gain(rows, *, history_began, start, end, now) -> int:
    """What the rows gained in [start, end) as of `now`; may be negative (callers count it as 0)."""
    until = min(end, now)
    if any(row[0] <= start for row in rows):
        baseline = value_as_of(rows, start)
    elif history_began is not None and start >= history_began:
        baseline = 0
    else:
        baseline = rows[0][2] if rows else 0
    return value_as_of(rows, until) - baseline


def gains(challenge_id, *, start, end, now) -> dict[str, int]:
    """{cluster_id: gain} for every cluster of the challenge whose gain is above 0."""
    pairs = history_by_pair([challenge_id])
    firsts = [rows[0][0] for rows in pairs.values()]
    began = min(firsts) if firsts else None
    result = {}
    for (_, cluster_id), rows in pairs.items():
        amount = gain(rows, history_began=began, start=start, end=end, now=now)
        if amount > 0:
            result[cluster_id] = amount
    return result


def gains_of_every_period(challenges, periods, *, now) -> dict[tuple[int, tuple], dict[str, int]]:
    """{(challenge id, (start, end)): the reference's gains} for every challenge and period."""
    return {
        (challenge.pk, period): gains(challenge.pk, start=period[0], end=period[1], now=now)
        for challenge in challenges
        for period in periods
    }


def periods_from(start: datetime.datetime, *, now: datetime.datetime) -> list[tuple]:
    """Every day from `start` to `now`, and a week and a 'season' starting at `start`."""
    day = datetime.timedelta(days=1)
    days = [(start + n * day, start + (n + 1) * day) for n in range((now - start).days + 1)]
    return [*days, (start, start + 7 * day), (start, now + 30 * day)]


def ranking(scores: dict[str, int], tiebreakers: dict[str, int], *, dense: bool) -> list[tuple]:
    """[(position, rank, cluster_id, score, tiebreaker)] as a board ranks them (ties by cluster id, byte order)."""
    order = sorted(scores, key=lambda c: (-scores[c], -tiebreakers.get(c, 0), c.encode()))
    ranked, rank, previous = [], 0, None
    for position, cluster_id in enumerate(order, start=1):
        key = (scores[cluster_id], tiebreakers.get(cluster_id, 0))
        if key != previous:
            rank = rank + 1 if dense else position
            previous = key
        ranked.append((position, rank, cluster_id, scores[cluster_id], tiebreakers.get(cluster_id, 0)))
    return ranked


def random_history(
    rng: random.Random, challenges, *, clusters: int, first: datetime.datetime, days: int, marks=(), per_day: int = 8
):
    """Write a random history through the ETL's own upsert, in time order; returns the moments written.

    Values mostly rise, sometimes fall (a correction) or stay; clusters join at random moments;
    `marks` are moments that some rows are stamped at exactly (period boundaries).
    """
    moments = sorted(
        {first + datetime.timedelta(minutes=rng.randrange(days * 24 * 60)) for _ in range(days * per_day)} | set(marks)
    )
    current: dict[tuple[int, str], int] = {}
    joined = {f"c{n:02d}": rng.choice(moments) for n in range(clusters)}
    for moment in moments:
        for challenge in challenges:
            rows = []
            for cluster_id, joined_at in joined.items():
                if joined_at > moment or rng.random() < 0.5:
                    continue
                value = current.get((challenge.pk, cluster_id), 0)
                step = rng.random()
                if step < 0.1:
                    value = max(0, value - rng.randint(1, 20))  # corrected downwards
                elif step < 0.2:
                    pass  # seen again, unchanged: no history row
                else:
                    value += rng.choice([1, 1, 2, 5, 10, 50])
                current[(challenge.pk, cluster_id)] = value
                rows.append((cluster_id, challenge.pk, value))
            if rows:
                with transaction.atomic():
                    upsert_progress(rows, now=moment)
    return moments


def history_rows() -> dict[int, tuple[int, str, datetime.datetime]]:
    """{id: (challenge_id, cluster_id, recorded_at)} of every stored history row."""
    rows = ChallengeProgressHistory.objects.values_list("id", "challenge_id", "cluster_id", "recorded_at")
    return {id_: rest for id_, *rest in rows}


def rows_the_prune_keeps(rows, *, cutoff, whole_from=None) -> set[int]:
    """The ids of `rows` (as history_rows gives them) that pruning at `cutoff` keeps, by the rule's text.

    Every row at or after the cutoff, and of each (challenge, cluster) its first row and its newest
    row before the cutoff. Rows at or after `whole_from` (month partitions not dropped) all stay.
    """
    by_pair = defaultdict(list)
    for id_, (challenge_id, cluster_id, recorded_at) in rows.items():
        by_pair[(challenge_id, cluster_id)].append((recorded_at, id_))
    kept = set()
    for pair_rows in by_pair.values():
        pair_rows.sort()
        before = [row for row in pair_rows if row[0] < cutoff]
        kept |= {id_ for at, id_ in pair_rows if at >= cutoff or (whole_from is not None and at >= whole_from)}
        kept |= {pair_rows[0][1], *([before[-1][1]] if before else [])}
    return kept
