"""GET /seasons/{id}/progress explains the points (weight x value per challenge, summing to them), and
withholds the progress of a cluster excluded from everything, keeping its points for when it is lifted."""

import datetime

import pytest
from django.utils import timezone

from leaderboards.exclusions import lift_exclusions
from leaderboards.models import Exclusion
from seasons import selectors
from seasons.models import SeasonProgress
from seasons.services import recompute_season
from tests.factories import ExclusionFactory, LeaderboardDefFactory, SeasonFactory, given_history

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def progress(client, season_id: str, cluster_id: str):
    return client.get(f"/seasons/{season_id}/progress", {"clusterId": cluster_id})


def shares(body) -> list[tuple]:
    return [(row["challengeCode"], row["weight"], row["value"], row["points"]) for row in body["breakdown"]]


@pytest.mark.parametrize("scoring", ["GAINS", "LIFETIME"])
def test_the_breakdown_sums_to_the_points_in_a_fixed_number_of_queries(
    client, weighted, season, scoring, django_assert_num_queries
):
    season.scoring = scoring
    season.save()
    alpha, beta, gamma, unweighted = weighted.values()
    before, during = season.starts_at - DAY, timezone.now() - DAY
    for challenge, (then, now) in zip(
        [alpha, beta, gamma, unweighted], [(10, 25), (4, 4), (0, 7), (1, 99)], strict=True
    ):
        given_history(challenge, {"c1": then}, at=before)
        given_history(challenge, {"c1": now}, at=during)
    given_history(alpha, {"c2": 1_000}, at=during)  # another cluster: not in c1's breakdown
    recompute_season(season)

    # 1. the season with the cluster's points and standing, and whether the cluster is excluded; 2. its
    # points per challenge
    with django_assert_num_queries(2):
        body = progress(client, season.pk, "c1").json()

    if scoring == "GAINS":  # what each gained inside the season (beta gained nothing)
        assert shares(body) == [("gamma", 3, 7, 21), ("alpha", 1, 15, 15), ("beta", 2, 0, 0)]
    else:  # the lifetime value
        assert shares(body) == [("alpha", 1, 25, 25), ("gamma", 3, 7, 21), ("beta", 2, 4, 8)]
    assert sum(row["points"] for row in body["breakdown"]) == body["points"]
    assert body["points"] == SeasonProgress.objects.get(season=season, cluster_id="c1").points
    assert {row["challengeName"] for row in body["breakdown"]} == {"Alpha", "Beta", "Gamma"}


def test_an_ended_lifetime_season_is_explained_with_the_values_as_of_its_end(client, weighted):
    now = timezone.now()
    ended = SeasonFactory(id="S0", starts_at=now - 30 * DAY, ends_at=now - 10 * DAY, scoring="LIFETIME")
    ended.weights.create(challenge=weighted["alpha"], weight=2)
    given_history(weighted["alpha"], {"c1": 5}, at=now - 20 * DAY)
    given_history(weighted["alpha"], {"c1": 500}, at=now - DAY)  # after the season: not counted
    recompute_season(ended)  # finalizes it

    body = progress(client, "S0", "c1").json()

    assert shares(body) == [("alpha", 2, 5, 10)]
    assert body["points"] == 10


def test_a_season_that_has_not_started_counts_nothing_yet(client, weighted):
    now = timezone.now()
    future = SeasonFactory(id="S9", starts_at=now + DAY, ends_at=now + 30 * DAY)
    future.weights.create(challenge=weighted["beta"], weight=5)
    given_history(weighted["beta"], {"c1": 40}, at=now - DAY)

    body = progress(client, "S9", "c1").json()

    assert (body["points"], shares(body)) == (0, [("beta", 5, 0, 0)])


def test_a_cluster_excluded_from_everything_is_a_404_and_its_points_come_back_when_lifted(
    client, weighted, season, admin_user
):
    given_history(weighted["alpha"], {"c1": 30}, at=timezone.now() - DAY)
    recompute_season(season)
    exclusion = ExclusionFactory(cluster_id="c1", created_by=admin_user)

    excluded = progress(client, season.pk, "c1")
    recompute_season(season)  # the recompute goes on: the stored points are kept
    lift_exclusions(Exclusion.objects.filter(pk=exclusion.pk), lifted_by=admin_user)
    restored = progress(client, season.pk, "c1")

    assert (excluded.status_code, excluded.json()) == (404, {"detail": "excluded"})
    assert (restored.status_code, restored.json()["points"]) == (200, 30)


def test_an_exclusion_from_one_leaderboard_leaves_the_season_progress_served(client, weighted, season):
    ExclusionFactory(cluster_id="c1", leaderboard=LeaderboardDefFactory(key="lb", challenge=weighted["alpha"]))

    assert progress(client, season.pk, "c1").status_code == 200


def test_an_unknown_season_is_still_a_404_for_an_excluded_cluster(client, season):
    ExclusionFactory(cluster_id="c1")

    response = progress(client, "S9-NONE", "c1")

    assert response.status_code == 404 and "does not exist" in response.json()["detail"]


@pytest.fixture
def withheld_by_conditions_only():
    """The hook as an app sees it that withholds through a SQL condition; what the test registers is withdrawn after."""
    registered = []

    def withhold_progress_where(condition: str) -> None:
        registered.append(condition)
        selectors.withhold_progress_where(condition)

    yield withhold_progress_where
    for condition in registered:
        selectors.stop_withholding_progress_where(condition)


def test_conditions_registered_by_other_apps_withhold_progress_inside_the_read_itself(
    client, weighted, season, withheld_by_conditions_only, django_assert_num_queries
):
    withhold_progress_where = withheld_by_conditions_only
    given_history(weighted["alpha"], {"c1": 30, "c2": 20, "c3": 10}, at=timezone.now() - DAY)
    recompute_season(season)
    # Two apps' rules over data of their own (here: seasons' tables), on the cluster and the moment of the read.
    withhold_progress_where("%(cluster)s = 'c1' AND %(now)s IS NOT NULL")
    withhold_progress_where(
        "EXISTS (SELECT 1 FROM season_progress x"
        " WHERE x.cluster_id = %(cluster)s AND x.points = 20 AND x.updated_at <= %(now)s)"
    )
    withhold_progress_where("%(cluster)s = 'c1' AND %(now)s IS NOT NULL")  # again: no change

    with django_assert_num_queries(1):  # the season with the cluster's standing, withheld: nothing more is read
        first = progress(client, season.pk, "c1")
    second = progress(client, season.pk, "c2")
    with django_assert_num_queries(2):  # the season with the cluster's standing; its points per challenge
        served = progress(client, season.pk, "c3")

    assert (first.status_code, first.json()) == (404, {"detail": "excluded"})
    assert (second.status_code, second.json()) == (404, {"detail": "excluded"})
    assert (served.status_code, served.json()["points"], shares(served.json())[0]) == (200, 10, ("alpha", 1, 10, 10))
