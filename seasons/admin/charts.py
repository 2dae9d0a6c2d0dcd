"""The admin's picture of a season: clusters per level, points percentiles, the clusters the last update changed.

Each is one aggregate statement (seasons.sql); none reads the season's rows into Python.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.db import connection
from django.utils.safestring import SafeString

from hedge.core.charts import Bar, bar_chart
from hedge.core.db import sql_datetime

from .. import sql
from ..models import Season

# At most this many bars: wider level ranges are grouped into bands of equal width.
MAX_BARS = 30


@dataclass(frozen=True)
class PointsPercentiles:
    clusters: int
    p50: int | None
    p90: int | None
    p99: int | None
    top: int | None


def level_distribution(season: Season) -> list[Bar]:
    """Clusters per level (or per band of levels, when there are more than MAX_BARS levels); two queries."""
    with connection.cursor() as cursor:
        cursor.execute(sql.LEVEL_RANGE, {"season": season.pk})
        clusters, low, high = cursor.fetchone()
        if not clusters:
            return []
        width = max(1, math.ceil((high - low + 1) / MAX_BARS))
        cursor.execute(sql.LEVEL_DISTRIBUTION, {"season": season.pk, "low": low, "width": width})
        counts = dict(cursor.fetchall())
    bands = (high - low) // width + 1
    bars = []
    for band in range(bands):
        first = low + band * width
        last = min(first + width - 1, high)
        label = f"{first:,}" if first == last else f"{first:,}–{last:,}"
        bars.append(Bar(label, counts.get(band, 0)))
    return bars


def level_distribution_svg(season: Season) -> SafeString:
    return bar_chart(level_distribution(season), title="Clusters per level", unit="clusters")


def _place(clusters: int, fraction: float) -> int:
    """Offset from the top of the standings of the nearest-rank percentile `fraction` (0.5 = the median)."""
    rank_ascending = max(1, math.ceil(fraction * clusters))
    return clusters - rank_ascending


def points_percentiles(season: Season) -> PointsPercentiles:
    """p50, p90, p99 and max of the points of every cluster with a row in the season (nearest rank); two queries."""
    with connection.cursor() as cursor:
        cursor.execute(sql.COUNT_SEASON, {"season": season.pk})
        clusters = cursor.fetchone()[0]
        if not clusters:
            return PointsPercentiles(0, None, None, None, None)
        places = {"p50": 0.5, "p90": 0.9, "p99": 0.99}
        params = {name: _place(clusters, fraction) for name, fraction in places.items()}
        cursor.execute(sql.POINTS_PERCENTILES, {"season": season.pk, "top": 0, **params})
        p50, p90, p99, top = cursor.fetchone()
    return PointsPercentiles(clusters, p50, p90, p99, top)


def clusters_changed_in_last_update(season: Season) -> int | None:
    """How many clusters' points or level changed in the season's last update (ETL hook or recompute); one query.

    None when the season was never updated. The last update moved `points_synced_through` and
    stamped every row it changed at or after it.
    """
    if season.points_synced_through is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute(sql.CHANGED_SINCE, {"season": season.pk, "since": sql_datetime(season.points_synced_through)})
        return cursor.fetchone()[0]
