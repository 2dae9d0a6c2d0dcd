import datetime
import random

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hedge.challenges.models import ChallengeProgress
from seasons.errors import SeasonEndedError
from seasons.models import SeasonProgress
from seasons.services import (
    RecomputeResult,
    compute_season_points_for_cluster,
    recompute_changed_since,
    recompute_clusters,
    recompute_season,
)
from tests.factories import (
    ChallengeFactory,
    ChallengeProgressFactory,
    SeasonChallengeWeightFactory,
    SeasonFactory,
    SeasonProgressFactory,
    given_history,
)
from tests.helpers import points_and_levels
from tests.levels_reference import LevelCurve

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2025, 3, 1, 12, 0, tzinfo=datetime.UTC)


def progress(cluster_id, challenge, value, *, at=T0):
    return ChallengeProgressFactory(cluster_id=cluster_id, challenge=challenge, value=value, updated_at=at)


# --- one cluster ---------------------------------------------------------------------------------
#
# compute_season_points_for_cluster is the original request's computeSeasonPointsForCluster: a game
# server may ask for one cluster's points on demand. hedge itself recomputes in bulk (the ETL hook,
# the admin), so these tests are what keeps the named entry point working.


def test_cluster_points_are_the_sum_of_value_times_weight(season, weighted):
    progress("c1", weighted["alpha"], 500)
    progress("c1", weighted["beta"], 40)
    progress("c1", weighted["gamma"], 700)
    progress("c1", weighted["unweighted"], 99_999)

    row = compute_season_points_for_cluster("c1")

    assert (row.season_id, row.cluster_id) == ("S1-TEST", "c1")
    assert row.points == 500 * 1 + 40 * 2 + 700 * 3 == 2680
    assert row.level == 2
    assert points_and_levels(season) == {"c1": (2680, 2)}


def test_a_cluster_without_progress_gets_a_row_with_zero_points(season, weighted):
    progress("c1", weighted["unweighted"], 5000)

    row = compute_season_points_for_cluster("c1")

    assert (row.points, row.level) == (0, 0)
    assert SeasonProgress.objects.filter(season=season, cluster_id="c1").exists()


def test_level_is_points_divided_by_points_per_level_rounded_down(weighted):
    SeasonFactory(is_active=False)  # another season, not active, is not touched
    progress("c1", weighted["alpha"], 2999)

    assert compute_season_points_for_cluster("c1").level == 2
    progress("c2", weighted["alpha"], 3000)
    assert compute_season_points_for_cluster("c2").level == 3


def test_cluster_points_follow_progress_down_as_well_as_up(season, weighted):
    row = progress("c1", weighted["alpha"], 1500)
    assert compute_season_points_for_cluster("c1").points == 1500

    ChallengeProgress.objects.filter(pk=row.pk).update(value=20)

    assert (compute_season_points_for_cluster("c1").points, points_and_levels(season)["c1"]) == (20, (20, 0))


def test_no_season_flagged_active_computes_and_writes_nothing():
    season = SeasonFactory(is_active=False)  # running now, but not flagged
    challenge = ChallengeFactory()
    SeasonChallengeWeightFactory(season=season, challenge=challenge, weight=2)
    progress("c1", challenge, 5000)

    assert compute_season_points_for_cluster("c1") is None
    assert not SeasonProgress.objects.exists()


@pytest.mark.parametrize(
    ("starts", "ends"),
    [
        (datetime.timedelta(days=-30), datetime.timedelta(days=-1)),
        (datetime.timedelta(hours=1), datetime.timedelta(days=30)),
    ],
    ids=["ended", "not started"],
)
def test_an_active_season_outside_its_dates_computes_and_writes_nothing(starts, ends):
    now = timezone.now()
    season = SeasonFactory(is_active=True, starts_at=now + starts, ends_at=now + ends)
    challenge = ChallengeFactory()
    SeasonChallengeWeightFactory(season=season, challenge=challenge, weight=2)
    progress("c1", challenge, 5000)

    assert compute_season_points_for_cluster("c1") is None
    assert not SeasonProgress.objects.exists()


# --- many clusters -------------------------------------------------------------------------------


def test_recompute_without_scope_computes_every_cluster_with_weighted_progress(season, weighted):
    progress("c1", weighted["alpha"], 10)
    progress("c1", weighted["gamma"], 1000)
    progress("c2", weighted["beta"], 600)
    progress("c3", weighted["unweighted"], 7)

    result = recompute_season(season)

    assert points_and_levels(season) == {"c1": (3010, 3), "c2": (1200, 1)}
    assert result == RecomputeResult("S1-TEST", considered=2, inserted=2, updated=0)


def test_recompute_rewrites_only_rows_that_changed_and_counts_them(season, weighted):
    for n, value in enumerate([100, 200, 300]):
        progress(f"c{n}", weighted["alpha"], value)
    first = timezone.now() - datetime.timedelta(minutes=5)
    recompute_season(season, now=first)
    ChallengeProgress.objects.filter(cluster_id="c0").update(value=150)
    progress("c9", weighted["beta"], 1)

    result = recompute_season(season)

    assert (result.considered, result.inserted, result.updated, result.unchanged) == (4, 1, 1, 2)
    stamps = dict(SeasonProgress.objects.values_list("cluster_id", "updated_at"))
    assert stamps["c1"] == stamps["c2"] == first
    assert stamps["c0"] > first and stamps["c9"] > first


def test_a_second_recompute_changes_nothing_and_keeps_updated_at(season, weighted):
    progress("c1", weighted["alpha"], 1234)
    first = timezone.now() - datetime.timedelta(hours=1)
    recompute_season(season, now=first)

    result = recompute_season(season)

    assert (result.considered, result.changed, result.unchanged) == (1, 0, 1)
    assert SeasonProgress.objects.get().updated_at == first


def test_recompute_brings_points_down_when_a_weight_is_removed(season, weighted):
    progress("c1", weighted["alpha"], 100)
    progress("c1", weighted["beta"], 1000)
    progress("c2", weighted["beta"], 1000)
    recompute_season(season)
    assert points_and_levels(season) == {"c1": (2100, 2), "c2": (2000, 2)}

    season.weights.filter(challenge=weighted["beta"]).delete()
    result = recompute_season(season)

    assert points_and_levels(season) == {"c1": (100, 0), "c2": (0, 0)}
    assert (result.considered, result.updated) == (2, 2)


def test_recompute_follows_a_new_points_per_level(season, weighted):
    progress("c1", weighted["alpha"], 900)
    recompute_season(season)
    season.points_per_level = 300
    season.save()

    recompute_season(season)

    assert points_and_levels(season) == {"c1": (900, 3)}


def test_recompute_of_given_clusters_touches_only_those(season, weighted):
    for cluster_id in ("c1", "c2", "c3"):
        progress(cluster_id, weighted["alpha"], 10)

    result = recompute_clusters(season, ["c1", "c3", "c1", "nobody"])

    assert points_and_levels(season) == {"c1": (10, 0), "c3": (10, 0), "nobody": (0, 0)}
    assert (result.considered, result.inserted) == (3, 3)


def test_recompute_of_no_clusters_writes_nothing(season, weighted):
    progress("c1", weighted["alpha"], 10)

    assert recompute_clusters(season, []) == RecomputeResult("S1-TEST")
    assert not SeasonProgress.objects.exists()


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("", "cluster id is blank"),
        ("   ", "cluster id is blank"),
        ("x" * 129, "cluster id 'xxxxxxxxxxxxxxxxxxxx'... is longer than 128 characters"),
        (None, "cluster id None is not text"),
        (42, "cluster id 42 is not text"),
        ("a\x00b", "cluster id 'a\\x00b' contains a NUL character"),
    ],
    ids=["empty", "spaces", "too long", "None", "number", "nul"],
)
def test_a_bad_cluster_id_is_refused_before_anything_is_written(season, weighted, bad, message):
    progress("c1", weighted["alpha"], 10)

    with pytest.raises(ValueError) as raised:
        recompute_clusters(season, ["c1", bad])

    assert str(raised.value) == message

    assert not SeasonProgress.objects.exists()


def test_recompute_since_a_moment_touches_only_clusters_whose_weighted_progress_changed(season, weighted):
    t1 = T0 + datetime.timedelta(hours=1)
    progress("changed", weighted["alpha"], 100)
    progress("changed", weighted["gamma"], 10, at=t1)  # the change; its other challenge still counts
    stale = progress("stale", weighted["alpha"], 100)
    progress("elsewhere", weighted["unweighted"], 100, at=t1)
    recompute_clusters(season, ["stale"])
    # Changed before t1: a recompute since t1 must leave the stored 100 alone.
    ChallengeProgress.objects.filter(pk=stale.pk).update(value=999)

    result = recompute_changed_since(season, t1)

    assert points_and_levels(season) == {"changed": (130, 0), "stale": (100, 0)}
    assert result == RecomputeResult("S1-TEST", considered=1, inserted=1, updated=0)


def test_recompute_since_a_moment_with_no_changes_writes_nothing(season, weighted):
    progress("c1", weighted["alpha"], 100)

    result = recompute_changed_since(season, T0 + datetime.timedelta(seconds=1))

    assert result.considered == 0
    assert not SeasonProgress.objects.exists()


def test_a_season_that_has_ended_is_computed_once_more_from_values_as_of_its_end_then_never_again():
    now = timezone.now()
    ends = now - datetime.timedelta(days=1)
    season = SeasonFactory(starts_at=now - datetime.timedelta(days=30), ends_at=ends, scoring="LIFETIME")
    challenge = ChallengeFactory()
    SeasonChallengeWeightFactory(season=season, challenge=challenge, weight=1)
    given_history(challenge, {"c1": 500}, at=ends - datetime.timedelta(days=2))
    given_history(challenge, {"c1": 900}, at=ends + datetime.timedelta(hours=1))  # after the end: not counted
    SeasonProgressFactory(season=season, cluster_id="c1", points=40)

    recompute_season(season)

    assert points_and_levels(season) == {"c1": (500, 0)}
    with pytest.raises(SeasonEndedError, match="final"):
        recompute_season(season)
    with pytest.raises(SeasonEndedError):
        recompute_clusters(season, ["c1"])
    assert points_and_levels(season) == {"c1": (500, 0)}


def test_recompute_leaves_other_seasons_alone(season, weighted):
    other = SeasonFactory()
    SeasonChallengeWeightFactory(season=other, challenge=weighted["alpha"], weight=10)
    progress("c1", weighted["alpha"], 5)

    recompute_season(season)

    assert points_and_levels(season) == {"c1": (5, 0)}
    assert points_and_levels(other) == {}


def test_bulk_recompute_gives_exactly_what_the_per_cluster_function_gives_on_random_data(season):
    rng = random.Random(20250301)
    season.points_per_level = 250
    season.save()
    challenges = [ChallengeFactory() for _ in range(5)]
    weights = {challenges[i].pk: rng.randint(1, 9) for i in range(4)}  # the fifth is not weighted
    for challenge in challenges[:4]:
        SeasonChallengeWeightFactory(season=season, challenge=challenge, weight=weights[challenge.pk])
    rows = []
    clusters = [f"cluster-{n:04d}" for n in range(300)]
    for cluster_id in clusters:
        for challenge in challenges:
            if rng.random() < 0.7:
                value = rng.choice([0, rng.randint(1, 50), rng.randint(1, 10**6), rng.randint(1, 10**12)])
                rows.append(ChallengeProgressFactory.build(cluster_id=cluster_id, challenge=challenge, value=value))
    ChallengeProgress.objects.bulk_create(rows)
    expected = {}
    for row in rows:
        if row.challenge_id in weights:
            expected[row.cluster_id] = expected.get(row.cluster_id, 0) + row.value * weights[row.challenge_id]
    without_any = [cluster_id for cluster_id in clusters if cluster_id not in expected] + ["no-progress"]
    assert len(expected) > 250 and len(without_any) > 1

    recompute_season(season)
    bulk = points_and_levels(season)
    recompute_clusters(season, without_any)
    bulk_by_id = {k: v for k, v in points_and_levels(season).items() if k in without_any}

    SeasonProgress.objects.all().delete()
    one_by_one = {cluster_id: compute_season_points_for_cluster(cluster_id) for cluster_id in [*expected, *without_any]}

    assert bulk == {c: (points, LevelCurve(points_per_level=250).level_for(points)) for c, points in expected.items()}
    assert bulk_by_id == dict.fromkeys(without_any, (0, 0))
    assert {c: (row.points, row.level) for c, row in one_by_one.items()} == bulk | bulk_by_id


@pytest.mark.parametrize("scope", ["whole season", "cluster ids", "changed since"])
def test_recompute_runs_the_same_queries_for_three_clusters_as_for_sixty(season, weighted, scope):
    def queries_for(clusters):
        ChallengeProgress.objects.bulk_create(
            ChallengeProgressFactory.build(cluster_id=f"c{n}", challenge=weighted["alpha"], value=n, updated_at=T0)
            for n in range(clusters)
        )
        recompute = {
            "whole season": lambda: recompute_season(season),
            "cluster ids": lambda: recompute_clusters(season, [f"c{n}" for n in range(clusters)]),
            "changed since": lambda: recompute_changed_since(season, T0),
        }[scope]
        with CaptureQueriesContext(connection) as captured:
            result = recompute()
        ChallengeProgress.objects.all().delete()
        SeasonProgress.objects.all().delete()
        assert result.inserted == clusters
        return len(captured)

    assert queries_for(3) == queries_for(60)


@pytest.mark.parametrize("form", ["LIFETIME_SCOPE_BY_INDEX", "LIFETIME_SCOPE"])
def test_both_ways_of_computing_a_scope_give_what_a_whole_season_recompute_gives(season, monkeypatch, form):
    # Which way is taken depends on the scope's share of challenge_progress by the planner's estimate of
    # its rows: here a few clusters of a huge table (by index), or of a tiny one (one scan).
    estimate = {"LIFETIME_SCOPE_BY_INDEX": 10**9, "LIFETIME_SCOPE": 1}[form]
    asked = []
    monkeypatch.setattr("seasons.services.estimated_rows", lambda table: asked.append(table) or estimate)
    rng = random.Random(20250302)
    challenges = [ChallengeFactory() for _ in range(4)]
    for weight, challenge in enumerate(challenges[:3], start=1):
        SeasonChallengeWeightFactory(season=season, challenge=challenge, weight=weight)
    for n in range(40):
        for challenge in challenges[:2] if n < 4 else rng.sample(challenges, rng.randint(1, 4)):
            progress(f"c{n:02d}", challenge, rng.randint(1000, 10**9))
    recompute_season(season)
    later = T0 + datetime.timedelta(hours=1)
    ChallengeProgress.objects.filter(cluster_id__in=["c00", "c01", "c02"]).update(value=7, updated_at=later)
    progress("c01", challenges[3], 5, at=later)  # unweighted: worth nothing
    progress("new", challenges[0], 11, at=later)
    ChallengeProgress.objects.filter(cluster_id="c03").update(updated_at=later)  # touched, same value

    result = recompute_changed_since(season, later)
    scoped = points_and_levels(season)

    assert (result.considered, result.inserted, result.updated, result.unchanged) == (5, 1, 3, 1)
    assert scoped["new"] == (11, 0) and scoped["c01"] == (7 * 1 + 7 * 2, 0)
    assert recompute_season(season).changed == 0
    assert points_and_levels(season) == scoped
    assert recompute_clusters(season, ["c05", "nobody"]) == RecomputeResult(
        "S1-TEST", considered=2, inserted=1, updated=0
    )
    assert points_and_levels(season) == scoped | {"nobody": (0, 0)}
    assert asked  # the scoped recomputes chose their form by the estimate set above


# --- the watermark (points_synced_through) -------------------------------------------------------


def synced_through(season):
    season.refresh_from_db(fields=["points_synced_through"])
    return season.points_synced_through


def test_a_whole_season_recompute_marks_every_change_until_it_started_as_applied(season, weighted):
    progress("c1", weighted["alpha"], 10)
    started = timezone.now()

    recompute_season(season, now=started)

    assert synced_through(season) == started


def test_recomputing_given_clusters_leaves_the_watermark_alone(season, weighted):
    progress("c1", weighted["alpha"], 10)
    season.points_synced_through = T0 - datetime.timedelta(days=1)
    season.save()

    recompute_clusters(season, ["c1"])

    assert synced_through(season) == T0 - datetime.timedelta(days=1)


def test_catch_up_without_a_watermark_computes_from_the_moment_given_and_sets_the_watermark(season, weighted):
    progress("before", weighted["alpha"], 10, at=T0 - datetime.timedelta(hours=1))
    progress("run", weighted["alpha"], 20)

    result = recompute_changed_since(season, T0)

    assert points_and_levels(season) == {"run": (20, 0)}
    assert result.considered == 1
    assert synced_through(season) == T0


def test_catch_up_also_computes_the_changes_after_an_older_watermark(season, weighted):
    earlier = T0 - datetime.timedelta(hours=1)
    season.points_synced_through = earlier - datetime.timedelta(hours=1)
    season.save()
    progress("applied", weighted["alpha"], 5, at=season.points_synced_through)
    progress("missed", weighted["alpha"], 10, at=earlier)  # a run whose hook failed
    progress("run", weighted["alpha"], 20)

    result = recompute_changed_since(season, T0)

    assert points_and_levels(season) == {"missed": (10, 0), "run": (20, 0)}
    assert result.considered == 2
    assert synced_through(season) == T0


def test_catch_up_does_not_compute_the_previous_run_again(season, weighted):
    progress("previous", weighted["alpha"], 10, at=T0)
    recompute_changed_since(season, T0)
    later = T0 + datetime.timedelta(hours=1)
    progress("run", weighted["alpha"], 20, at=later)

    result = recompute_changed_since(season, later)

    assert result.considered == 1
    assert synced_through(season) == later


def test_catch_up_with_nothing_to_compute_still_moves_the_watermark(season, weighted):
    season.points_synced_through = T0 - datetime.timedelta(hours=1)
    season.save()

    result = recompute_changed_since(season, T0)

    assert result.considered == 0
    assert synced_through(season) == T0


def test_a_recompute_that_fails_in_the_database_leaves_the_watermark_and_the_points(season, weighted, monkeypatch):
    progress("c1", weighted["alpha"], 10)
    SeasonProgressFactory(season=season, cluster_id="c1", points=3)
    season.points_synced_through = T0 - datetime.timedelta(hours=1)
    season.save()
    for name in ("LIFETIME_SEASON", "LIFETIME_SCOPE", "LIFETIME_SCOPE_BY_INDEX"):
        monkeypatch.setattr(f"seasons.sql.{name}", "UPDATE no_such_table SET x = 1")

    with pytest.raises(DatabaseError):
        recompute_season(season)
    with pytest.raises(DatabaseError):
        recompute_changed_since(season, T0)

    assert synced_through(season) == T0 - datetime.timedelta(hours=1)
    assert points_and_levels(season) == {"c1": (3, 0)}
