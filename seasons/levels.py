"""The level curve: what level a number of points reaches, and the formulas that fill a season's curve.

A season either has a table of levels (`SeasonLevel`: level 1..max -> points_required, strictly
increasing) and is capped at its last level, or has none and levels are `points // points_per_level`,
uncapped. The database reads the rule: the recompute's level CASE and sql.PROGRESS (seasons/sql.py),
and `with_level_curve` for the ORM; `standing_of` turns what they read into a standing. The Python
reference of the rule lives in the tests (tests/levels_reference.py), which compare it with both.
"""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import BigIntegerField, OuterRef, QuerySet, Subquery, Value

from .models import MAX_CURVE_LEVELS, MAX_POINTS, Season, SeasonLevel, SeasonReward


@dataclass(frozen=True)
class LevelStanding:
    """Where `points` stand on a curve: what the progress endpoint and the reward track show."""

    points: int
    level: int
    max_level: int | None
    level_starts_at: int
    # None at the cap.
    next_level_threshold: int | None
    points_to_next_level: int | None
    # 0..100 within the current level, rounded down (so 100 only once reached); 100 at the cap.
    progress_percent: int


def with_level_curve(seasons: QuerySet[Season], *, points: str) -> QuerySet[Season]:
    """`seasons` annotated with where the points in annotation `points` stand on each season's curve.

    Correlated subqueries over `season_levels_threshold_idx`, so a reader that needs one cluster's
    standing gets it in the same query as the season and its points (see `standing_of`).
    """
    levels = SeasonLevel.objects.filter(season=OuterRef("pk")).order_by()
    reached = levels.filter(points_required__lte=OuterRef(points)).order_by("-points_required")
    return seasons.annotate(
        curve_max_level=Subquery(levels.order_by("-level").values("level")[:1]),
        curve_level=Subquery(reached.values("level")[:1]),
        curve_level_starts_at=Subquery(reached.values("points_required")[:1]),
        curve_next=Subquery(
            levels.filter(points_required__gt=OuterRef(points))
            .order_by("points_required")
            .values("points_required")[:1]
        ),
    )


def standing_of(row: dict, *, points: int) -> LevelStanding:
    """The standing of `points` from a row of `with_level_curve(...).values(...)` (with `points_per_level`)."""
    max_level = row["curve_max_level"]
    if max_level is None:  # no curve: flat and uncapped
        level = points // row["points_per_level"]
        starts_at, following = level * row["points_per_level"], (level + 1) * row["points_per_level"]
    else:
        level, starts_at, following = row["curve_level"] or 0, row["curve_level_starts_at"] or 0, row["curve_next"]
    return LevelStanding(
        points=points,
        level=level,
        max_level=max_level,
        level_starts_at=starts_at,
        next_level_threshold=following,
        points_to_next_level=None if following is None else following - points,
        progress_percent=100 if following is None else (points - starts_at) * 100 // (following - starts_at),
    )


CURVE_FIELDS = ("points_per_level", "curve_max_level", "curve_level", "curve_level_starts_at", "curve_next")


def level_of(season: Season, points: int) -> int:
    """The level `points` reach in the season (its curve, or points per level); one query."""
    seasons = Season.objects.filter(pk=season.pk).annotate(level_points=Value(points, output_field=BigIntegerField()))
    return standing_of(
        with_level_curve(seasons, points="level_points").values(*CURVE_FIELDS).get(), points=points
    ).level


# --- formulas ------------------------------------------------------------------------------------


class Formula:
    FLAT = "flat"
    ARITHMETIC = "arithmetic"
    GEOMETRIC = "geometric"
    choices = [
        (FLAT, "Flat: level n needs n × step"),
        (ARITHMETIC, "Arithmetic: level n costs base + (n − 1) × increment more than level n − 1"),
        (GEOMETRIC, "Geometric: level n costs base × ratio^(n − 1) more than level n − 1"),
    ]


def formula_thresholds(
    formula: str, *, levels: int, step: int = 0, base: int = 0, increment: int = 0, ratio: Decimal = Decimal(1)
) -> list[int]:
    """The points_required of levels 1..`levels` by one of the three formulas (see Formula).

    Geometric costs are rounded half up to whole points. Raises ValidationError naming the
    parameter when the result would not be a valid curve (a level costing nothing, more than
    MAX_CURVE_LEVELS levels, beyond MAX_POINTS).
    """
    if not 1 <= levels <= MAX_CURVE_LEVELS:
        raise ValidationError({"levels": f"A curve has 1 to {MAX_CURVE_LEVELS} levels."})
    if formula == Formula.FLAT:
        if step < 1:
            raise ValidationError({"step": "The step must be at least 1 point."})
        costs = [step] * levels
    elif formula == Formula.ARITHMETIC:
        if base < 1:
            raise ValidationError({"base": "The base must be at least 1 point."})
        if base + (levels - 1) * increment < 1:
            raise ValidationError({"increment": "With this increment the last levels would cost nothing."})
        costs = [base + (n - 1) * increment for n in range(1, levels + 1)]
    elif formula == Formula.GEOMETRIC:
        if base < 1:
            raise ValidationError({"base": "The base must be at least 1 point."})
        if ratio < 1:
            raise ValidationError({"ratio": "The ratio must be at least 1, or the levels would cost less and less."})
        context = decimal.Context(prec=60, rounding=decimal.ROUND_HALF_UP, Emax=10_000)
        costs = []
        for n in range(levels):
            cost = context.multiply(Decimal(base), context.power(ratio, n))
            if cost > MAX_POINTS:
                raise ValidationError({"ratio": f"Level {n + 1} would cost more than {MAX_POINTS:,} points."})
            costs.append(int(cost.to_integral_value(rounding=decimal.ROUND_HALF_UP)))
    else:
        raise ValidationError({"formula": f"Unknown formula {formula!r}."})
    thresholds, total = [], 0
    for cost in costs:
        total += cost
        thresholds.append(total)
    if total > MAX_POINTS:
        raise ValidationError({"levels": f"The last level would need {total:,} points, more than {MAX_POINTS:,}."})
    return thresholds


def curve_problem(thresholds: Sequence[int]) -> str | None:
    """Why these thresholds (levels 1..n in order) are not a curve, or None."""
    if len(thresholds) > MAX_CURVE_LEVELS:
        return f"A curve has at most {MAX_CURVE_LEVELS} levels, not {len(thresholds)}."
    previous = 0
    for level, points in enumerate(thresholds, start=1):
        if not 1 <= points <= MAX_POINTS:
            return f"Level {level} needs {points} points; a level needs 1 to {MAX_POINTS:,}."
        if points <= previous:
            return (
                f"Level {level} needs {points:,} points, not more than level {level - 1} ({previous:,});"
                " each level must need more."
            )
        previous = points
    return None


def reward_beyond_problem(season: Season, last_level: int) -> str | None:
    """Why a curve ending at `last_level` cannot be the season's: a stored reward beyond it; one query."""
    reward = SeasonReward.objects.filter(season=season, level__gt=last_level).order_by("level").first()
    if reward is None:
        return None
    return (
        f"The reward {reward.name!r} ({reward.track}) is at level {reward.level}, beyond the curve's"
        f" last level {last_level}; move or delete it first."
    )


@transaction.atomic
def replace_level_curve(season: Season, thresholds: Sequence[int]) -> int:
    """Make `thresholds` (points of levels 1..n) the season's curve, replacing the old one; [] removes it.

    Refused with a ValidationError (nothing written) for thresholds that are not strictly
    increasing, or when rewards of the season sit above the new last level (they could never be
    reached). Stored levels follow at the next recompute. Returns the number of levels.
    """
    if (problem := curve_problem(thresholds)) is not None:
        raise ValidationError(problem)
    if thresholds and (problem := reward_beyond_problem(season, len(thresholds))) is not None:
        raise ValidationError(problem)
    SeasonLevel.objects.filter(season=season).delete()
    SeasonLevel.objects.bulk_create(
        SeasonLevel(season=season, level=level, points_required=points)
        for level, points in enumerate(thresholds, start=1)
    )
    return len(thresholds)
