"""Levels computed by the recompute, in SQL, set-based: equal to the Python rule for both kinds of curve."""

import datetime
import random

import pytest
from django.utils import timezone

from seasons.models import SeasonProgress
from seasons.services import recompute_changed_since, recompute_clusters, recompute_season
from tests.factories import (
    ChallengeFactory,
    ChallengeProgressFactory,
    SeasonChallengeWeightFactory,
    SeasonFactory,
    given_curve,
    given_history,
)
from tests.helpers import points_and_levels
from tests.levels_reference import LevelCurve, get_level_curve

pytestmark = pytest.mark.django_db


def lifetime_season(values: dict[str, int], *, points_per_level=100, thresholds=()):
    season = SeasonFactory(id="L1", points_per_level=points_per_level, scoring="LIFETIME")
    challenge = ChallengeFactory(code="wins")
    SeasonChallengeWeightFactory(season=season, challenge=challenge, weight=1)
    given_curve(season, thresholds)
    for cluster_id, value in values.items():
        ChallengeProgressFactory(challenge=challenge, cluster_id=cluster_id, value=value)
    return season


@pytest.mark.parametrize("seed", range(6))
def test_recomputed_levels_equal_the_python_rule_on_random_curves(seed):
    rng = random.Random(seed)
    thresholds = sorted(rng.sample(range(1, 3_000), rng.randint(1, 40))) if seed % 3 else []
    values = {f"c{n:03d}": rng.randint(0, 3_500) for n in range(150)}
    # Every threshold exactly, and one point short of it.
    values |= {f"t{n:03d}": t + d for n, t in enumerate(thresholds) for d in (0, -1) if t + d >= 0}
    season = lifetime_season(values, points_per_level=rng.randint(1, 400), thresholds=thresholds)
    curve = LevelCurve(points_per_level=season.points_per_level, thresholds=tuple(thresholds))

    recompute_season(season)

    assert points_and_levels(season) == {c: (v, curve.level_for(v)) for c, v in values.items()}


def test_a_curve_caps_the_level_at_its_last_row():
    season = lifetime_season({"whale": 10**12, "mid": 250, "none": 0}, thresholds=[100, 250, 500])

    recompute_season(season)

    assert points_and_levels(season) == {"whale": (10**12, 3), "mid": (250, 2), "none": (0, 0)}


def test_without_a_curve_levels_stay_uncapped_points_per_level():
    season = lifetime_season({"whale": 10**12, "mid": 250}, points_per_level=100)

    recompute_season(season)

    assert points_and_levels(season) == {"whale": (10**12, 10**10), "mid": (250, 2)}


def test_a_new_curve_reaches_stored_levels_at_the_next_recompute_of_the_season():
    season = lifetime_season({"a": 450, "b": 90}, points_per_level=100)
    recompute_season(season)
    given_curve(season, [50, 400, 1000])

    result = recompute_season(season)

    assert points_and_levels(season) == {"a": (450, 2), "b": (90, 1)}
    assert result.updated == 2


def test_the_scoped_recomputes_use_the_curve_too():
    season = lifetime_season({"a": 450, "b": 90}, thresholds=[50, 400, 1000])

    recompute_clusters(season, ["a", "b", "c"])

    assert points_and_levels(season) == {"a": (450, 2), "b": (90, 1), "c": (0, 0)}
    assert get_level_curve(season).level_for(450) == 2


# --- points_reached_at ---------------------------------------------------------------------------


def test_points_reached_at_moves_when_points_increase_and_stays_when_they_drop():
    start = timezone.now() - datetime.timedelta(days=3)
    season = SeasonFactory(id="G1", scoring="GAINS", starts_at=start)
    challenge = ChallengeFactory(code="wins")
    SeasonChallengeWeightFactory(season=season, challenge=challenge, weight=1)
    t1, t2, t3 = (start + datetime.timedelta(hours=h) for h in (1, 2, 3))

    given_history(challenge, {"a": 0, "b": 0}, at=start - datetime.timedelta(days=1))  # history began before
    given_history(challenge, {"a": 10, "b": 5}, at=t1)
    recompute_changed_since(season, t1, now=t1)
    given_history(challenge, {"a": 30}, at=t2)
    recompute_changed_since(season, t2, now=t2)
    given_history(challenge, {"a": 20, "b": 0}, at=t3)  # both corrected down
    recompute_changed_since(season, t3, now=t3)

    rows = {r.cluster_id: (r.points, r.points_reached_at, r.updated_at) for r in SeasonProgress.objects.all()}
    assert rows == {"a": (20, t2, t3), "b": (0, t1, t3)}


def test_a_cluster_that_earned_nothing_has_reached_nothing():
    season = lifetime_season({})

    recompute_clusters(season, ["nobody"])

    assert SeasonProgress.objects.get(cluster_id="nobody").points_reached_at is None
