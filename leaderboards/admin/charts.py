"""The admin's picture of a run: how its scores are spread, counted by one aggregate query."""

from __future__ import annotations

from django.db import connection
from django.utils.safestring import SafeString

from hedge.core.charts import Bar, bar_chart

from .. import sql
from ..models import LeaderboardRun

# Steps of a 1-2-5 logarithmic scale within each power of ten (see sql.SCORE_HISTOGRAM).
_LEADS = (1, 2, 5)


def _bucket(digits: int, lead: int) -> tuple[int, int]:
    """[low, high) of a histogram bucket; (0, 1) holds the scores of 0 (and below)."""
    if digits == 0:
        return 0, 1
    low = lead * 10 ** (digits - 1)
    step = _LEADS.index(lead)
    high = _LEADS[step + 1] * 10 ** (digits - 1) if step + 1 < len(_LEADS) else 10**digits
    return low, high


def _label(low: int, high: int) -> str:
    if high - low == 1:
        return f"{low:,}"
    return f"{low:,}–{high - 1:,}"


def score_histogram(run: LeaderboardRun | int) -> list[Bar]:
    """How many entries of `run` fall in each 1-2-5 logarithmic score bucket, empty buckets included.

    One aggregate query over the run's entries (a GROUP BY in the database, no row reaches Python).
    """
    run_id = run if isinstance(run, int) else run.pk
    with connection.cursor() as cursor:
        cursor.execute(sql.SCORE_HISTOGRAM, {"run": run_id})
        counts = {(digits, lead): entries for digits, lead, entries in cursor.fetchall()}
    if not counts:
        return []
    # Every bucket between the lowest and the highest that has entries, so gaps show as gaps.
    scale = [(0, 0)] + [(digits, lead) for digits in range(1, 21) for lead in _LEADS]
    first = min(scale.index(key) for key in counts)
    last = max(scale.index(key) for key in counts)
    return [Bar(_label(*_bucket(*key)), counts.get(key, 0)) for key in scale[first : last + 1]]


def score_histogram_svg(run: LeaderboardRun | int) -> SafeString:
    return bar_chart(score_histogram(run), title="Entries per score (logarithmic buckets)", unit="entries")
