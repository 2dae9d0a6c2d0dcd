"""GAINS seasons: points = SUM(weight x gain inside the season), equal to the Python reference on random histories."""

import datetime
import random

import pytest
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from hedge.challenges.services.upsert import upsert_progress
from seasons.errors import SeasonEndedError, SeasonNotStartedError
from seasons.services import recompute_changed_since, recompute_clusters, recompute_season
from tests.factories import (
    ChallengeFactory,
    SeasonChallengeWeightFactory,
    SeasonFactory,
    SeasonProgressFactory,
    given_history,
)
from tests.gains_reference import gains, random_history
from tests.helpers import season_points

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def reference(season, weights, *, now) -> dict[str, int]:
    points: dict[str, int] = {}
    for challenge, weight in weights.items():
        for cluster_id, amount in gains(challenge.pk, start=season.starts_at, end=season.ends_at, now=now).items():
            points[cluster_id] = points.get(cluster_id, 0) + weight * amount
    return points


@pytest.fixture
def weighted(db):
    """Three challenges weighted 1, 2 and 3, and one that is not weighted."""
    return {ChallengeFactory(code=code): weight for code, weight in (("a", 1), ("b", 2), ("c", 3), ("d", 0))}


def gains_season(weights, *, starts_at, ends_at, **fields):
    season = SeasonFactory(id="S-GAINS", starts_at=starts_at, ends_at=ends_at, scoring="GAINS", **fields)
    for challenge, weight in weights.items():
        if weight:
            SeasonChallengeWeightFactory(season=season, challenge=challenge, weight=weight)
    return season


@pytest.mark.parametrize("history_began", ["before the season", "inside the season"])
def test_season_points_are_the_weighted_gains_inside_the_season_as_the_reference_says(weighted, history_began):
    now = timezone.now().replace(microsecond=0)
    season = gains_season(
        weighted, starts_at=now - datetime.timedelta(days=5), ends_at=now + datetime.timedelta(days=9)
    )
    first = season.starts_at + datetime.timedelta(days=-2 if history_began == "before the season" else 1)
    random_history(
        random.Random(history_began),
        list(weighted),
        clusters=25,
        first=first,
        days=(now - first).days + 1,
        marks=[season.starts_at],
    )
    counted = {challenge: weight for challenge, weight in weighted.items() if weight}

    recompute_season(season, now=now)

    expected = reference(season, counted, now=now)
    assert expected, "the random history should give some gains"
    assert season_points(season, zero=False) == expected


@pytest.mark.parametrize("history_began", ["before the season", "inside the season"])
def test_recomputing_clusters_by_name_gives_the_reference_too(weighted, history_began):
    """The scoped statement (SCOPE_GAINS, pair by pair through the index) against the same reference."""
    now = timezone.now().replace(microsecond=0)
    season = gains_season(
        weighted, starts_at=now - datetime.timedelta(days=5), ends_at=now + datetime.timedelta(days=9)
    )
    first = season.starts_at + datetime.timedelta(days=-2 if history_began == "before the season" else 1)
    random_history(
        random.Random(f"scope {history_began}"),
        list(weighted),
        clusters=25,
        first=first,
        days=(now - first).days + 1,
        marks=[season.starts_at],
    )
    counted = {challenge: weight for challenge, weight in weighted.items() if weight}

    recompute_clusters(season, [f"c{n:02d}" for n in range(30)], now=now)

    expected = reference(season, counted, now=now)
    assert expected, "the random history should give some gains"
    assert season_points(season, zero=False) == expected


def test_after_an_etl_tick_the_changed_clusters_get_what_a_whole_recompute_gives(weighted):
    now = timezone.now().replace(microsecond=0)
    season = gains_season(
        weighted, starts_at=now - datetime.timedelta(days=5), ends_at=now + datetime.timedelta(days=9)
    )
    random_history(
        random.Random(3), list(weighted), clusters=25, first=season.starts_at - datetime.timedelta(days=1), days=5
    )
    recompute_season(season)
    tick = timezone.now()
    a, b = list(weighted)[:2]
    with transaction.atomic():
        upsert_progress([("c01", a.pk, 10_000), ("c02", b.pk, 20_000), ("new", a.pk, 7)], now=tick)

    result = recompute_changed_since(season, tick)

    counted = {challenge: weight for challenge, weight in weighted.items() if weight}
    assert result.considered == 3
    assert season_points(season, zero=False) == reference(season, counted, now=timezone.now())
    assert recompute_season(season).changed == 0


def test_a_season_that_has_not_started_has_no_progress_and_refuses_to_be_recomputed(weighted):
    now = timezone.now()
    season = gains_season(
        weighted, starts_at=now + datetime.timedelta(days=3), ends_at=now + datetime.timedelta(days=30)
    )
    a = next(iter(weighted))
    given_history(a, {"veteran": 5000}, at=now - datetime.timedelta(days=10))
    SeasonProgressFactory(season=season, cluster_id="veteran", points=5000, level=5, updated_at=now)

    with pytest.raises(SeasonNotStartedError, match="has no progress before then"):
        recompute_season(season)
    with pytest.raises(SeasonNotStartedError):
        recompute_clusters(season, ["veteran"])
    body = APIClient().get(f"/seasons/{season.pk}/progress", {"clusterId": "veteran"}).json()

    assert (body["points"], body["level"], body["updatedAt"]) == (0, 0, None)


def test_an_ended_season_is_finalized_from_values_as_of_its_end_then_never_recomputed(weighted):
    now = timezone.now()
    season = gains_season(
        weighted, starts_at=now - datetime.timedelta(days=10), ends_at=now - datetime.timedelta(days=1)
    )
    a = next(iter(weighted))  # weight 1
    given_history(a, {"x": 100}, at=season.starts_at - datetime.timedelta(days=1))
    given_history(a, {"x": 130}, at=season.ends_at - datetime.timedelta(hours=1))
    given_history(a, {"x": 900}, at=season.ends_at + datetime.timedelta(hours=1))  # after the end

    recompute_season(season)
    season.refresh_from_db()

    assert season_points(season, zero=False) == {"x": 30}
    assert season.finalized_at is not None
    with pytest.raises(SeasonEndedError, match="final"):
        recompute_season(season)


def test_a_gains_correction_downwards_brings_points_down_but_never_below_zero(weighted):
    now = timezone.now()
    season = gains_season(
        weighted, starts_at=now - datetime.timedelta(days=3), ends_at=now + datetime.timedelta(days=3)
    )
    a, b = list(weighted)[:2]  # weights 1 and 2
    given_history(a, {"x": 100}, at=season.starts_at - datetime.timedelta(hours=1))
    given_history(b, {"x": 10}, at=season.starts_at - datetime.timedelta(hours=1))
    given_history(a, {"x": 150}, at=now - datetime.timedelta(hours=2))
    given_history(b, {"x": 12}, at=now - datetime.timedelta(hours=2))
    recompute_season(season)
    assert season_points(season, zero=False) == {"x": 50 * 1 + 2 * 2}

    given_history(a, {"x": 40}, at=now - datetime.timedelta(hours=1))  # below its baseline: counts 0, not -60
    recompute_season(season)

    assert season_points(season, zero=False) == {"x": 2 * 2}
