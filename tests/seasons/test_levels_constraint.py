"""The level curve's rule held by the database itself (PostgreSQL): levels 1..n, each needing more points than the last.

Checked at commit by a deferred constraint trigger (seasons migration 0009), so a curve can be
rewritten in any order inside one transaction, and a broken curve never commits, whoever writes it.
"""

import pytest
from django.db import IntegrityError, connection, transaction

from seasons.levels import replace_level_curve
from seasons.models import SeasonLevel
from tests.factories import SeasonFactory, SeasonLevelFactory, given_curve

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite has no deferrable triggers; there the service and the admin formset hold the rule",
    ),
]


@pytest.fixture
def season():
    season = SeasonFactory(id="S-CURVE")
    given_curve(season, [100, 200, 300])
    return season


def levels(season) -> list[tuple[int, int]]:
    return list(SeasonLevel.objects.filter(season=season).order_by("level").values_list("level", "points_required"))


@pytest.mark.parametrize(
    "change",
    [
        lambda s: SeasonLevel.objects.filter(season=s, level=2).update(points_required=100),  # equal to level 1
        lambda s: SeasonLevel.objects.filter(season=s, level=2).update(points_required=350),  # above level 3
        lambda s: SeasonLevel.objects.filter(season=s, level=1).update(points_required=250),  # above level 2
        lambda s: SeasonLevel.objects.filter(season=s, level=2).delete(),  # a gap
        lambda s: SeasonLevel.objects.filter(season=s, level=3).update(level=5),  # a gap after moving
        lambda s: SeasonLevelFactory(season=s, level=5, points_required=900),  # a gap after inserting
        lambda s: SeasonLevel.objects.filter(season=s, level=1).update(level=4, points_required=400),  # no level 1
    ],
    ids=["equal", "above-next", "first-above-second", "deleted-middle", "moved", "inserted-gap", "no-first"],
)
def test_a_broken_curve_never_commits(season, change):
    with pytest.raises(IntegrityError, match=r"the levels of a curve run 1\.\.n"), transaction.atomic():
        change(season)

    assert levels(season) == [(1, 100), (2, 200), (3, 300)]


def test_a_curve_can_be_rewritten_in_any_order_inside_one_transaction(season):
    with transaction.atomic():
        SeasonLevel.objects.filter(season=season, level=2).update(points_required=500)  # broken for a moment
        SeasonLevel.objects.filter(season=season, level=3).update(points_required=900)
        SeasonLevelFactory(season=season, level=4, points_required=1000)

    assert levels(season) == [(1, 100), (2, 500), (3, 900), (4, 1000)]


def test_the_last_levels_can_go_and_a_whole_curve_can_be_replaced_or_removed(season):
    SeasonLevel.objects.filter(season=season, level=3).delete()
    assert levels(season) == [(1, 100), (2, 200)]

    replace_level_curve(season, [50, 60, 70, 80])
    assert levels(season) == [(1, 50), (2, 60), (3, 70), (4, 80)]

    replace_level_curve(season, [])
    assert levels(season) == []


def test_each_season_is_checked_on_its_own(season):
    other = SeasonFactory(id="S-OTHER")

    given_curve(other, [1, 2])

    assert levels(other) == [(1, 1), (2, 2)]
    assert levels(season) == [(1, 100), (2, 200), (3, 300)]
