"""A Python reference of the level rule (seasons/levels.py), read from the rule's text.

Tests compare what the database computes (the recompute's levels, sql.PROGRESS, with_level_curve
read by standing_of) with what this says.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from seasons.levels import LevelStanding
from seasons.models import Season, SeasonLevel


@dataclass(frozen=True)
class LevelCurve:
    """A season's levels: `thresholds[n - 1]` is the points level n needs; empty: flat `points_per_level`."""

    points_per_level: int
    thresholds: tuple[int, ...] = ()

    @property
    def max_level(self) -> int | None:
        """The last level of the table; None without one (uncapped)."""
        return len(self.thresholds) or None

    def level_for(self, points: int) -> int:
        if self.thresholds:
            return bisect.bisect_right(self.thresholds, points)
        return points // self.points_per_level

    def starts_at(self, level: int) -> int:
        """The points at which `level` is reached (0 for level 0)."""
        if level == 0:
            return 0
        if self.thresholds:
            return self.thresholds[level - 1]
        return level * self.points_per_level

    def next_threshold(self, level: int) -> int | None:
        """The points at which the level after `level` is reached; None at the cap."""
        if self.thresholds:
            return self.thresholds[level] if level < len(self.thresholds) else None
        return (level + 1) * self.points_per_level


def standing(curve: LevelCurve, points: int) -> LevelStanding:
    level = curve.level_for(points)
    starts_at = curve.starts_at(level)
    following = curve.next_threshold(level)
    if following is None:
        percent, to_next = 100, None
    else:
        percent, to_next = (points - starts_at) * 100 // (following - starts_at), following - points
    return LevelStanding(
        points=points,
        level=level,
        max_level=curve.max_level,
        level_starts_at=starts_at,
        next_level_threshold=following,
        points_to_next_level=to_next,
        progress_percent=percent,
    )


def get_level_curve(season: Season) -> LevelCurve:
    """The season's stored curve."""
    thresholds = SeasonLevel.objects.filter(season=season).order_by("level").values_list("points_required", flat=True)
    return LevelCurve(points_per_level=season.points_per_level, thresholds=tuple(thresholds))
