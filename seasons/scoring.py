"""What a level is, in Python (the recompute statements in seasons/sql.py compute the same in SQL)."""

from __future__ import annotations


def level_for_points(points: int, points_per_level: int) -> int:
    """The level reached with `points` points (integer division, points >= 0)."""
    return points // points_per_level


def next_level_threshold(level: int, points_per_level: int) -> int:
    """The points at which the level after `level` is reached."""
    return (level + 1) * points_per_level
