"""A season's page: clusters per level, points percentiles, clusters changed in the last update, Recompute, CSV."""

import csv
import datetime
import io

import pytest
from django.utils import timezone

from seasons.admin import charts
from tests.factories import (
    ChallengeFactory,
    ChallengeProgressFactory,
    SeasonChallengeWeightFactory,
    SeasonFactory,
    SeasonProgressFactory,
)
from tests.helpers import messages_of

pytestmark = pytest.mark.django_db

PAGE = "/admin/seasons/season/S1-TEST/change/"
PAGE_QUERIES = 16  # the season change page with its charts, whatever the number of clusters


@pytest.fixture
def season(db):
    return SeasonFactory(id="S1-TEST", points_per_level=100)


def given_standings(season, points: list[int], *, prefix="c", **fields):
    """Clusters c0000, c0001, ... with these points, each at the level they give (100 points a level)."""
    for n, value in enumerate(points):
        SeasonProgressFactory(season=season, cluster_id=f"{prefix}{n:04d}", points=value, level=value // 100, **fields)


def test_levels_are_counted_per_level_with_empty_levels_shown(season):
    given_standings(season, [0, 0, 50, 250, 260, 270])

    bars = charts.level_distribution(season)

    assert [(bar.label, bar.count) for bar in bars] == [("0", 3), ("1", 0), ("2", 3)]


def test_many_levels_are_grouped_into_at_most_30_bands(season):
    given_standings(season, [0, 99 * 100, 3000])

    bars = charts.level_distribution(season)

    assert len(bars) == 25  # 100 levels in bands of 4
    assert (bars[0].label, bars[0].count) == ("0–3", 1)
    assert (bars[-1].label, bars[-1].count) == ("96–99", 1)
    assert sum(bar.count for bar in bars) == 3


def test_percentiles_are_by_nearest_rank_over_every_cluster_of_the_season(season):
    given_standings(season, list(range(1, 101)))  # 1..100
    SeasonProgressFactory(season=SeasonFactory(), points=10_000)  # another season's

    stats = charts.points_percentiles(season)

    assert (stats.clusters, stats.p50, stats.p90, stats.p99, stats.top) == (100, 50, 90, 99, 100)


def test_percentiles_of_one_cluster_are_its_points(season):
    given_standings(season, [7])

    stats = charts.points_percentiles(season)

    assert (stats.p50, stats.p90, stats.p99, stats.top) == (7, 7, 7, 7)


def test_clusters_changed_in_the_last_update_are_those_stamped_since_the_watermark(season):
    synced = timezone.now() - datetime.timedelta(minutes=5)
    season.points_synced_through = synced
    season.save()
    given_standings(season, [10, 20], updated_at=synced + datetime.timedelta(seconds=1))
    SeasonProgressFactory(season=season, cluster_id="old", updated_at=synced - datetime.timedelta(hours=1))

    assert charts.clusters_changed_in_last_update(season) == 2
    assert charts.clusters_changed_in_last_update(SeasonFactory()) is None


def test_the_page_shows_the_standings_in_a_fixed_number_of_queries(admin_client, season, django_assert_num_queries):
    def page():
        # Each chart is one or two aggregates: so the page costs the same for 6 clusters or 60.
        response = admin_client.get(PAGE)
        assert response.status_code == 200
        return response

    page()  # what a process loads once (content types, the session's user) is not the page's cost
    given_standings(season, [0, 150, 250])
    with django_assert_num_queries(PAGE_QUERIES):
        page()
    given_standings(season, list(range(1000, 5000, 70)), prefix="more")
    with django_assert_num_queries(PAGE_QUERIES):
        response = page()

    content = response.content.decode()
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="hedge-chart"' in content
    assert "<th>p50</th><th>p90</th><th>p99</th><th>max</th>" in content


def test_a_season_without_progress_says_so_instead_of_charting(admin_client, season):
    content = admin_client.get(PAGE).content.decode()

    assert "No clusters to chart yet." in content
    assert "No cluster has progress in this season yet." in content


def test_the_recompute_button_recomputes_this_season_and_returns_to_its_page(admin_client):
    season = SeasonFactory(id="S1-TEST", scoring="LIFETIME")
    alpha = ChallengeFactory(code="alpha")
    SeasonChallengeWeightFactory(season=season, challenge=alpha, weight=2)

    ChallengeProgressFactory(cluster_id="c1", challenge=alpha, value=5)

    page = admin_client.get(PAGE).content.decode()
    response = admin_client.post("/admin/seasons/season/S1-TEST/recompute/")

    assert 'action="/admin/seasons/season/S1-TEST/recompute/"' in page
    assert response.status_code == 302 and response["Location"] == PAGE
    assert [text for _, text in messages_of(response)] == [
        "Recomputed season S1-TEST: 1 clusters computed, 1 inserted, 0 updated, 0 unchanged."
    ]
    assert list(season.progress.values_list("cluster_id", "points")) == [("c1", 10)]
    assert admin_client.get("/admin/seasons/season/S1-TEST/recompute/").status_code == 405


def test_the_progress_csv_streams_every_row_most_points_first_with_a_header(
    admin_client, season, django_assert_num_queries
):
    given_standings(season, [5, 500, 50])
    SeasonProgressFactory(season=season, cluster_id="=HYPERLINK(1)", points=1)

    with django_assert_num_queries(3):  # session, user, the season; the rows are read while streaming
        response = admin_client.get("/admin/seasons/season/S1-TEST/progress.csv")
    with django_assert_num_queries(1):  # one query, however many rows: a cursor read in chunks
        body = b"".join(response.streaming_content).decode()

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="S1-TEST-progress.csv"'
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == ["cluster_id", "points", "level", "updated_at"]
    assert [(r[0], r[1]) for r in rows[1:]] == [
        ("c0001", "500"),
        ("c0002", "50"),
        ("c0000", "5"),
        ("'=HYPERLINK(1)", "1"),
    ]
