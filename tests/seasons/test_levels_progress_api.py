"""GET /seasons/{id}/progress on a season with a level curve: the level, the cap, and progress within a level."""

import datetime
import random

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import SeasonFactory, SeasonProgressFactory, given_curve
from tests.levels_reference import LevelCurve, standing

pytestmark = pytest.mark.django_db

CURVE = [100, 250, 500]


def fields(body: dict) -> tuple:
    return (
        body["level"],
        body["maxLevel"],
        body["levelStartsAt"],
        body["nextLevelThreshold"],
        body["pointsToNextLevel"],
        body["progressPercent"],
    )


@pytest.mark.parametrize(
    ("points", "expected"),
    [
        (None, (0, 3, 0, 100, 100, 0)),  # no row yet
        (0, (0, 3, 0, 100, 100, 0)),
        (99, (0, 3, 0, 100, 1, 99)),
        (100, (1, 3, 100, 250, 150, 0)),
        (175, (1, 3, 100, 250, 75, 50)),
        (499, (2, 3, 250, 500, 1, 99)),
        (500, (3, 3, 500, None, None, 100)),
        (9_000_000, (3, 3, 500, None, None, 100)),
    ],
)
def test_progress_on_a_curve_is_capped_at_its_last_level(client, points, expected):
    season = SeasonFactory(id="S1", points_per_level=1000)
    given_curve(season, CURVE)
    if points is not None:
        SeasonProgressFactory(season=season, cluster_id="c1", points=points, level=0)

    response = client.get("/seasons/S1/progress", {"clusterId": "c1"})

    assert response.status_code == 200
    assert fields(response.json()) == expected


def test_the_curve_costs_no_query_of_its_own():
    flat, curved = SeasonFactory(id="FLAT"), SeasonFactory(id="CURVED")
    given_curve(curved, CURVE)
    for season in (flat, curved):
        SeasonProgressFactory(season=season, cluster_id="c1", points=300)

    counts = []
    for season_id in ("FLAT", "CURVED"):
        with CaptureQueriesContext(connection) as queries:
            assert Client().get(f"/seasons/{season_id}/progress", {"clusterId": "c1"}).status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]


def test_progress_before_the_season_starts_is_level_zero_on_the_curve(client):
    season = SeasonFactory(id="S1", starts_at=timezone.now() + datetime.timedelta(days=1))
    given_curve(season, CURVE)
    SeasonProgressFactory(season=season, cluster_id="c1", points=300)

    body = client.get("/seasons/S1/progress", {"clusterId": "c1"}).json()

    assert (body["points"], *fields(body)) == (0, 0, 3, 0, 100, 100, 0)


def test_the_progress_endpoint_agrees_with_the_python_rule_on_random_curves(client):
    rng = random.Random(11)
    for n in range(8):
        thresholds = sorted(rng.sample(range(1, 2_000), rng.randint(1, 20)))
        season = SeasonFactory(id=f"R{n}", points_per_level=rng.randint(1, 300))
        given_curve(season, thresholds)
        curve = LevelCurve(points_per_level=season.points_per_level, thresholds=tuple(thresholds))
        for m, points in enumerate([0, thresholds[0], thresholds[-1], *(rng.randint(0, 2_500) for _ in range(6))]):
            SeasonProgressFactory(season=season, cluster_id=f"c{m}", points=points)
            expected = standing(curve, points)

            body = client.get(f"/seasons/R{n}/progress", {"clusterId": f"c{m}"}).json()

            assert fields(body) == (
                expected.level,
                expected.max_level,
                expected.level_starts_at,
                expected.next_level_threshold,
                expected.points_to_next_level,
                expected.progress_percent,
            ), (thresholds, points)
