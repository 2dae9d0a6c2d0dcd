"""Explained scores: which challenge earned a cluster how many of its season points."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS

from hedge.core.db import prepared_statements_cursor, sql_datetime

from . import sql
from .models import Scoring


@dataclass(frozen=True)
class ChallengePoints:
    """What one weighted challenge adds to a cluster's points: weight x value."""

    challenge_code: str
    challenge_name: str
    weight: int
    # What the challenge counts per the season's scoring: the gain inside the season (GAINS), the
    # current value (LIFETIME), or the value as of the season's end (LIFETIME, once ended).
    value: int
    points: int


def cluster_breakdown(
    *,
    season_id: str,
    scoring: str,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    cluster_id: str,
    now: datetime.datetime,
    using: str = DEFAULT_DB_ALIAS,
) -> list[ChallengePoints]:
    """One row per weighted challenge of the season, most points first, computed for the one cluster now; one query.

    The points are the recompute's formula (seasons/sql.py) for this cluster alone, so they sum to
    the cluster's stored points whenever those are up to date (the post-ETL recompute, or the admin's
    "Recompute progress" after a change of weights). A season that has not started counts nothing.
    """
    params = {
        "season": season_id,
        "cluster": cluster_id,
        "start": sql_datetime(starts_at),
        "until": sql_datetime(min(ends_at, now)),
    }
    if scoring == Scoring.GAINS:
        statement = sql.BREAKDOWN_GAINS
    elif ends_at <= now:
        statement = sql.BREAKDOWN_VALUES_AS_OF
    else:
        statement = sql.BREAKDOWN_LIFETIME
    with prepared_statements_cursor(using) as cursor:
        cursor.execute(statement, params)
        rows = cursor.fetchall()
    started = starts_at <= now
    breakdown = [
        ChallengePoints(code, name, weight, value if started else 0, weight * value if started else 0)
        for code, name, weight, value in rows
    ]
    return sorted(breakdown, key=lambda row: -row.points)  # stable: challenge code within equal points
