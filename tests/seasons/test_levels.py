"""The level curve: the Python rule, the formulas, replacing a curve, and the database's reading of it."""

import random
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from seasons.levels import CURVE_FIELDS, Formula, formula_thresholds, replace_level_curve, standing_of, with_level_curve
from seasons.models import MAX_CURVE_LEVELS, MAX_POINTS, Season, SeasonLevel
from tests.factories import SeasonFactory, SeasonLevelFactory, SeasonRewardFactory, given_curve
from tests.levels_reference import LevelCurve, get_level_curve, standing

# --- the rule, in Python -------------------------------------------------------------------------


def reference_level(thresholds: list[int], points: int) -> int:
    """The highest level whose threshold is reached, read straight from the issue's definition."""
    return max((n for n, needed in enumerate(thresholds, start=1) if needed <= points), default=0)


@pytest.mark.parametrize(
    ("points", "expected"),
    [
        # (level, levelStartsAt, nextLevelThreshold, pointsToNextLevel, progressPercent)
        (0, (0, 0, 100, 100, 0)),
        (99, (0, 0, 100, 1, 99)),
        (100, (1, 100, 250, 150, 0)),
        (175, (1, 100, 250, 75, 50)),
        (249, (2 - 1, 100, 250, 1, 99)),
        (250, (2, 250, 500, 250, 0)),
        (499, (2, 250, 500, 1, 99)),
        (500, (3, 500, None, None, 100)),
        (10**12, (3, 500, None, None, 100)),
    ],
)
def test_a_curve_is_capped_at_its_last_level(points, expected):
    result = standing(LevelCurve(points_per_level=1000, thresholds=(100, 250, 500)), points)

    assert result.max_level == 3
    assert (
        result.level,
        result.level_starts_at,
        result.next_level_threshold,
        result.points_to_next_level,
        result.progress_percent,
    ) == expected


@pytest.mark.parametrize(
    ("points", "expected"),
    [(0, (0, 0, 300, 300, 0)), (299, (0, 0, 300, 1, 99)), (10**6 + 150, (3333, 999_900, 1_000_200, 50, 83))],
)
def test_without_a_curve_levels_are_flat_and_uncapped(points, expected):
    result = standing(LevelCurve(points_per_level=300), points)

    assert result.max_level is None
    assert (
        result.level,
        result.level_starts_at,
        result.next_level_threshold,
        result.points_to_next_level,
        result.progress_percent,
    ) == expected


def test_the_python_level_equals_the_reference_on_random_curves():
    rng = random.Random(13)
    for _ in range(200):
        thresholds = sorted(rng.sample(range(1, 10_000), rng.randint(1, 30)))
        curve = LevelCurve(points_per_level=1, thresholds=tuple(thresholds))
        for points in [0, *thresholds, *(t - 1 for t in thresholds), *(rng.randint(0, 12_000) for _ in range(20))]:
            assert curve.level_for(points) == reference_level(thresholds, points), (thresholds, points)


# --- the formulas --------------------------------------------------------------------------------


def test_flat_formula_needs_n_times_the_step():
    assert formula_thresholds(Formula.FLAT, levels=4, step=250) == [250, 500, 750, 1000]


def test_arithmetic_formula_sums_growing_costs():
    # Costs 100, 150, 200, 250.
    assert formula_thresholds(Formula.ARITHMETIC, levels=4, base=100, increment=50) == [100, 250, 450, 700]


def test_geometric_formula_sums_costs_multiplied_by_the_ratio_rounded_half_up():
    # Costs 100, 150, 225, 337.5 -> 338.
    assert formula_thresholds(Formula.GEOMETRIC, levels=4, base=100, ratio=Decimal("1.5")) == [100, 250, 475, 813]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"formula": Formula.FLAT, "levels": 0, "step": 1}, "levels"),
        ({"formula": Formula.FLAT, "levels": MAX_CURVE_LEVELS + 1, "step": 1}, "levels"),
        ({"formula": Formula.FLAT, "levels": 3, "step": 0}, "step"),
        ({"formula": Formula.ARITHMETIC, "levels": 3, "base": 0, "increment": 5}, "base"),
        ({"formula": Formula.ARITHMETIC, "levels": 5, "base": 10, "increment": -5}, "increment"),
        ({"formula": Formula.GEOMETRIC, "levels": 3, "base": 10, "ratio": Decimal("0.9")}, "ratio"),
        ({"formula": Formula.GEOMETRIC, "levels": 1000, "base": 10, "ratio": Decimal("2")}, "ratio"),
        ({"formula": Formula.FLAT, "levels": 1000, "step": MAX_POINTS // 10}, "levels"),
    ],
    ids=[
        "no levels",
        "too many levels",
        "zero step",
        "zero base",
        "costs drop to nothing",
        "shrinking",
        "huge",
        "beyond 64 bits",
    ],
)
def test_a_formula_that_cannot_make_a_curve_names_its_parameter(kwargs, field):
    with pytest.raises(ValidationError) as raised:
        formula_thresholds(**kwargs)

    assert list(raised.value.message_dict) == [field]


# --- replacing a season's curve ------------------------------------------------------------------


@pytest.mark.django_db
def test_replacing_a_curve_writes_levels_one_to_n_and_drops_the_old_ones():
    season = SeasonFactory()
    given_curve(season, [10, 20, 30, 40, 50])

    assert replace_level_curve(season, [100, 300]) == 2

    assert list(SeasonLevel.objects.filter(season=season).values_list("level", "points_required")) == [
        (1, 100),
        (2, 300),
    ]
    assert get_level_curve(season) == LevelCurve(points_per_level=season.points_per_level, thresholds=(100, 300))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("thresholds", "message"),
    [
        ([100, 100], "Level 2 needs 100 points, not more than level 1 (100); each level must need more."),
        ([100, 50], "Level 2 needs 50 points, not more than level 1 (100); each level must need more."),
        ([0, 50], "Level 1 needs 0 points; a level needs 1 to 9,223,372,036,854,775,807."),
    ],
)
def test_a_curve_that_is_not_strictly_increasing_is_refused_and_changes_nothing(thresholds, message):
    season = SeasonFactory()
    given_curve(season, [5, 6])

    with pytest.raises(ValidationError) as raised:
        replace_level_curve(season, thresholds)

    assert raised.value.messages == [message]
    assert list(SeasonLevel.objects.filter(season=season).values_list("points_required", flat=True)) == [5, 6]


@pytest.mark.django_db
def test_a_curve_that_would_strand_a_reward_beyond_its_last_level_is_refused():
    season = SeasonFactory()
    SeasonRewardFactory(season=season, track="PREMIUM", level=3, name="Gold frame")

    with pytest.raises(
        ValidationError, match="'Gold frame' \\(PREMIUM\\) is at level 3, beyond the curve's last level 2"
    ):
        replace_level_curve(season, [100, 200])

    assert not SeasonLevel.objects.filter(season=season).exists()


@pytest.mark.django_db
def test_an_empty_curve_removes_the_table_and_levels_turn_flat_again():
    season = SeasonFactory(points_per_level=40)
    given_curve(season, [10, 20])

    replace_level_curve(season, [])

    assert get_level_curve(season) == LevelCurve(points_per_level=40)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("level", "points"),
    [(0, 10), (MAX_CURVE_LEVELS + 1, 10), (1, 0), (1, -5)],
    ids=["level 0", "level beyond", "0 pts", "negative"],
)
def test_the_database_refuses_a_level_row_out_of_range(level, points):
    season = SeasonFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        SeasonLevelFactory(season=season, level=level, points_required=points)


@pytest.mark.django_db
def test_the_database_refuses_the_same_level_twice_in_a_season():
    season = SeasonFactory()
    given_curve(season, [10])

    with pytest.raises(IntegrityError), transaction.atomic():
        SeasonLevelFactory(season=season, level=1, points_required=20)


# --- the database's reading of the curve ---------------------------------------------------------


@pytest.mark.django_db
def test_the_database_standing_equals_the_python_one_on_random_curves(django_assert_num_queries):
    rng = random.Random(2025)
    seasons = []
    for n in range(12):
        season = SeasonFactory(id=f"R{n}", points_per_level=rng.randint(1, 500))
        thresholds = sorted(rng.sample(range(1, 5_000), rng.randint(1, 25))) if n % 4 else []
        given_curve(season, thresholds)
        seasons.append((season, LevelCurve(points_per_level=season.points_per_level, thresholds=tuple(thresholds))))

    for season, curve in seasons:
        edges = [t + d for t in curve.thresholds for d in (-1, 0, 1)]
        for points in [0, 1, *edges, *(rng.randint(0, 6_000) for _ in range(10))]:
            if points < 0:
                continue
            queryset = with_level_curve(
                Season.objects.filter(pk=season.pk).annotate(p=_points(points)), points="p"
            ).values(*CURVE_FIELDS)
            with django_assert_num_queries(1):  # the season with its curve's four lookups as subqueries
                row = queryset.get()
            assert standing_of(row, points=points) == standing(curve, points), (season.pk, curve, points)


def _points(points: int):
    from django.db.models import BigIntegerField, Value

    return Value(points, output_field=BigIntegerField())
