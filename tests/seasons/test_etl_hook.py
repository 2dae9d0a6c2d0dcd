"""The request's validation scenario, end to end: ETL -> post-ETL hook -> season_progress -> API."""

import datetime
import io

import pytest
from django.utils import timezone

from hedge.challenges.etl import run_challenge_etl
from hedge.challenges.models import Challenge
from hedge.challenges.services.imports import import_progress
from hedge.challenges.signals import ProgressChange, notify_progress_changed
from seasons import receivers
from seasons.models import SeasonProgress
from seasons.services import compute_season_points_for_cluster, recompute_changed_since
from tests.factories import ChallengeFactory, SeasonChallengeWeightFactory, SeasonFactory, given_history
from tests.helpers import season_points

pytestmark = pytest.mark.django_db

TEST_CLUSTER = "cluster-test"
# The test cluster's known values, by challenge code; the other challenges of these metric
# sources (pvp_wins, hero_collector, lp_days, ...) get values too but have no weight.
KNOWN_VALUES = {"hero_riser": 420, "hunters_triumph": 37, "lp_depth": 1250}
EXPECTED_POINTS = 420 * 1 + 37 * 2 + 1250 * 3  # 4244


def fake_extractors(values_by_cluster):
    """metric_source -> extractor yielding `(cluster_id, value)` of every cluster for a challenge."""

    def extractor(challenge):
        for cluster_id, values in values_by_cluster.items():
            yield cluster_id, values.get(challenge.code, 7)

    return dict.fromkeys(["onchain_pvp", "onchain_heroes", "onchain_liquidity"], extractor)


@pytest.fixture
def s1_test(catalogue):
    """Season S1-TEST, active around now, weighting Hero Riser 1, Hunter's Triumph 2, LP Depth 3.

    Computed up to its start (as its hooks leave a season active from its start): each hook recomputes what changed.
    """
    now = timezone.now()
    season = SeasonFactory(
        id="S1-TEST",
        is_active=True,
        starts_at=now - datetime.timedelta(days=1),
        ends_at=now + datetime.timedelta(days=1),
    )
    season.points_synced_through = season.starts_at
    season.save()
    for code, weight in {"hero_riser": 1, "hunters_triumph": 2, "lp_depth": 3}.items():
        SeasonChallengeWeightFactory(season=season, challenge=Challenge.objects.get(code=code), weight=weight)
    return season


def test_the_request_validation_scenario(s1_test, client):
    names = dict(s1_test.weights.values_list("challenge__code", "challenge__name"))
    assert names == {"hero_riser": "Hero Riser", "hunters_triumph": "Hunter's Triumph", "lp_depth": "LP Depth"}

    run = run_challenge_etl(extractors=fake_extractors({TEST_CLUSTER: KNOWN_VALUES}))

    assert not run.failed and not run.hook_errors
    row = SeasonProgress.objects.get(season=s1_test, cluster_id=TEST_CLUSTER)
    assert (row.points, row.level) == (EXPECTED_POINTS, 4)
    assert row.updated_at >= run.started_at
    response = client.get("/seasons/S1-TEST/progress", {"clusterId": TEST_CLUSTER})
    assert response.status_code == 200
    assert response.json() == {
        "seasonId": "S1-TEST",
        "clusterId": TEST_CLUSTER,
        "points": 4244,
        "level": 4,
        "maxLevel": None,
        "levelStartsAt": 4000,
        "nextLevelThreshold": 5000,
        "pointsToNextLevel": 756,
        "progressPercent": 24,
        "updatedAt": row.updated_at.isoformat().replace("+00:00", "Z"),
        "error": None,
        "stale": False,
        "known": True,
        # Explained: weight x value of each weighted challenge, most points first, summing to the points.
        "breakdown": [
            {"challengeCode": "lp_depth", "challengeName": "LP Depth", "weight": 3, "value": 1250, "points": 3750},
            {"challengeCode": "hero_riser", "challengeName": "Hero Riser", "weight": 1, "value": 420, "points": 420},
            {
                "challengeCode": "hunters_triumph",
                "challengeName": "Hunter's Triumph",
                "weight": 2,
                "value": 37,
                "points": 74,
            },
        ],
    }
    # The request's step 4: the per-cluster function agrees and changes nothing.
    again = compute_season_points_for_cluster(TEST_CLUSTER)
    assert (again.points, again.level, again.updated_at) == (row.points, row.level, row.updated_at)


def test_the_etl_hook_recomputes_only_the_clusters_the_run_changed(s1_test):
    run_challenge_etl(extractors=fake_extractors({"a": KNOWN_VALUES, "b": KNOWN_VALUES}))
    stamps = dict(SeasonProgress.objects.values_list("cluster_id", "updated_at"))

    second = run_challenge_etl(extractors=fake_extractors({"a": KNOWN_VALUES, "b": {**KNOWN_VALUES, "lp_depth": 0}}))

    rows = {r.cluster_id: r for r in SeasonProgress.objects.all()}
    assert (rows["a"].points, rows["a"].updated_at) == (EXPECTED_POINTS, stamps["a"])
    assert (rows["b"].points, rows["b"].level) == (420 + 74, 0)
    assert rows["b"].updated_at > stamps["b"] and rows["b"].updated_at >= second.started_at


def test_the_etl_hook_skips_runs_that_changed_no_weighted_challenge(s1_test):
    run = run_challenge_etl(source="onchain_quests", extractors={"onchain_quests": lambda c: [("a", 5)]})

    assert run.total.inserted == 1
    assert not SeasonProgress.objects.exists()


def test_the_etl_writes_no_season_progress_when_no_season_is_flagged_active(s1_test):
    s1_test.is_active = False
    s1_test.save()

    run = run_challenge_etl(extractors=fake_extractors({TEST_CLUSTER: KNOWN_VALUES}))

    assert run.total.inserted > 0
    assert not SeasonProgress.objects.exists()


def test_the_etl_writes_no_season_progress_when_the_active_season_is_not_running_now(s1_test):
    s1_test.starts_at = timezone.now() + datetime.timedelta(days=1)
    s1_test.ends_at = s1_test.starts_at + datetime.timedelta(days=30)
    s1_test.save()

    run = run_challenge_etl(extractors=fake_extractors({TEST_CLUSTER: KNOWN_VALUES}))

    assert run.total.inserted > 0
    assert not SeasonProgress.objects.exists()


def test_a_csv_import_reaches_season_progress_through_the_same_hook(s1_test):
    result = import_progress(io.StringIO("cluster_id,challenge_code,value\nc1,lp_depth,400\nc1,hero_riser,5\n"))

    assert not result.hook_errors
    row = SeasonProgress.objects.get()
    assert (row.cluster_id, row.points, row.level) == ("c1", 1205, 1)


@pytest.fixture
def recomputes(monkeypatch):
    """The hook's recompute, failing on the calls listed in `recomputes.fail` (1 = the first); records results."""

    class Spy:
        fail: tuple[int, ...] = ()
        calls = 0
        results = []

    def recompute(*args, **kwargs):
        Spy.calls += 1
        if Spy.calls in Spy.fail:
            raise RuntimeError("the database went away")
        Spy.results.append(recompute_changed_since(*args, **kwargs))
        return Spy.results[-1]

    monkeypatch.setattr(receivers, "recompute_changed_since", recompute)
    return Spy


def test_the_etl_hook_marks_the_season_synced_through_its_run(s1_test):
    run = run_challenge_etl(extractors=fake_extractors({"a": KNOWN_VALUES}))

    s1_test.refresh_from_db()
    assert s1_test.points_synced_through == run.started_at


def test_a_run_whose_hook_failed_is_caught_up_by_the_next_run(s1_test, recomputes):
    run_challenge_etl(extractors=fake_extractors({"a": KNOWN_VALUES}))
    recomputes.fail = (2,)
    lost = {**KNOWN_VALUES, "lp_depth": 0}

    failed = run_challenge_etl(extractors=fake_extractors({"a": lost}))
    assert failed.hook_errors and season_points(s1_test) == {"a": EXPECTED_POINTS}  # "a" is stale
    # The next run changes only "b"; "a" keeps the values of the failed run.
    after = run_challenge_etl(extractors=fake_extractors({"a": lost, "b": KNOWN_VALUES}))

    assert not after.hook_errors
    assert season_points(s1_test) == {"a": 420 + 74, "b": EXPECTED_POINTS}
    assert recomputes.results[-1].considered == 2
    s1_test.refresh_from_db()
    assert s1_test.points_synced_through == after.started_at


def test_after_a_successful_run_the_next_run_computes_only_its_own_clusters(s1_test, recomputes):
    run_challenge_etl(extractors=fake_extractors({"a": KNOWN_VALUES, "b": KNOWN_VALUES}))

    run_challenge_etl(extractors=fake_extractors({"a": KNOWN_VALUES, "b": {**KNOWN_VALUES, "lp_depth": 1}}))

    assert [result.considered for result in recomputes.results] == [2, 1]


def test_the_first_hook_of_a_season_created_after_its_start_computes_every_cluster(db):
    now = timezone.now()
    start = now - datetime.timedelta(days=1)
    wins = ChallengeFactory(code="wins")
    given_history(wins, {"a": 10, "b": 10}, at=start - datetime.timedelta(days=1))
    given_history(wins, {"a": 110, "b": 60}, at=start + datetime.timedelta(hours=1))  # both gained, then nothing
    end = now + datetime.timedelta(days=1)
    season = SeasonFactory(id="S-LATE", is_active=True, scoring="GAINS", starts_at=start, ends_at=end)
    SeasonChallengeWeightFactory(season=season, challenge=wins, weight=1)
    given_history(wins, {"b": 70}, at=now)  # the run after the season was created changes only b

    notify_progress_changed(None, ProgressChange(source="etl", changed_since=now, challenge_codes=frozenset({"wins"})))

    assert season_points(season) == {"a": 100, "b": 60}
    season.refresh_from_db()
    assert season.points_synced_through >= now
