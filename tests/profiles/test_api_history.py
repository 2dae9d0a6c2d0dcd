"""GET /leaderboards/{key}/clusters/{clusterId}/history: the cluster in each final run, newest period first."""

import pytest
from django.utils import timezone

from tests.factories import LeaderboardDefFactory
from tests.profiles.conftest import a_final, a_run

pytestmark = pytest.mark.django_db


def test_history_lists_the_finals_that_rank_the_cluster_newest_period_first(api, weekly):
    first = a_final(weekly, 0, {"x": 1, "me": 2}, ranked_total=8)
    a_final(weekly, 1, {"x": 1})  # not ranked that week: left out
    third = a_final(weekly, 2, {"me": 1, "x": 2})
    a_run(weekly, {"me": 1})  # the current run is not a final

    body = api.get("/leaderboards/weekly/clusters/me/history").json()

    assert [(item["runId"], item["rank"], item["total"]) for item in body["results"]] == [
        (third.pk, 1, 2),
        (first.pk, 2, 8),
    ]
    assert body["results"][1]["percentile"] == 75.0  # 6 of the 8 ranked are behind
    assert body["results"][1]["periodStart"] == "2025-01-06T00:00:00Z"
    assert body["best"] == {
        "rank": 1,
        "runId": third.pk,
        "periodStart": "2025-01-20T00:00:00Z",
        "periodEnd": "2025-01-27T00:00:00Z",
    }
    assert body["next"] is None


def test_history_pages_by_run_and_best_is_over_every_final(api, weekly):
    finals = [a_final(weekly, week, {"x": 1, "y": 2, "me": 3} if week else {"me": 1}) for week in range(5)]

    page = api.get("/leaderboards/weekly/clusters/me/history/", {"limit": 2}).json()
    seen = [item["runId"] for item in page["results"]]
    while page["next"]:
        page = api.get(page["next"]).json()
        seen += [item["runId"] for item in page["results"]]

    assert seen == [run.pk for run in reversed(finals)]
    assert page["best"]["runId"] == finals[0].pk


def test_a_superseded_final_is_never_listed_nor_best(api, weekly):
    corrected = a_final(weekly, 0, {"x": 1, "y": 2, "me": 3})
    a_final(weekly, 0, {"me": 1}, status="SUPERSEDED", superseded_by=corrected, finished_at=timezone.now())

    body = api.get("/leaderboards/weekly/clusters/me/history").json()

    assert [item["runId"] for item in body["results"]] == [corrected.pk]
    assert body["best"]["rank"] == 3


def test_a_cluster_never_in_a_final_has_an_empty_history(api, weekly):
    a_final(weekly, 0, {"x": 1})

    assert api.get("/leaderboards/weekly/clusters/me/history").json() == {
        "clusterId": "me",
        "displayName": None,
        "avatarUrl": None,
        "results": [],
        "best": None,
        "next": None,
    }


def test_an_unknown_or_inactive_leaderboard_is_a_404(api, wins):
    LeaderboardDefFactory(key="paused", challenge=wins, is_active=False)

    assert api.get("/leaderboards/nope/clusters/me/history").status_code == 404
    assert api.get("/leaderboards/paused/clusters/me/history").status_code == 404


@pytest.mark.parametrize(
    ("query", "name"), [({"limit": "0"}, "limit"), ({"limit": "101"}, "limit"), ({"before": "x"}, "before")]
)
def test_a_bad_parameter_is_a_400_naming_it(api, weekly, query, name):
    response = api.get("/leaderboards/weekly/clusters/me/history", query)

    assert response.status_code == 400
    assert name in response.json()


def test_history_costs_two_queries_whatever_the_page(api, weekly, django_assert_num_queries):
    for week in range(30):
        a_final(weekly, week, {"x": 1, "me": 2})

    # 1. the leaderboard's window, the cluster's display name and its best final (profiles.sql.HISTORY_HEAD)
    # 2. the page (profiles.sql.HISTORY_PAGE)
    for limit in (1, 25):
        with django_assert_num_queries(2):
            assert len(api.get("/leaderboards/weekly/clusters/me/history", {"limit": limit}).json()["results"]) == limit
