"""A corrected final run: the old run stays readable by its id, marked SUPERSEDED; /finals names the correction."""

import datetime

import pytest
from django.utils import timezone

from leaderboards.periods import calendar_period
from leaderboards.services import generate_final_run
from tests.factories import ExclusionFactory, LeaderboardDefFactory, given_history
from tests.helpers import iso

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture
def corrected(wins, admin_user):
    """Yesterday's final run of a DAILY board (alice ahead of bob), then its correction leaving alice out."""
    today = calendar_period("DAILY", now=timezone.now())
    given_history(wins, {"alice": 100, "bob": 100}, at=today.start - 2 * DAY)
    given_history(wins, {"alice": 105, "bob": 102}, at=today.start - DAY / 2)
    LeaderboardDefFactory(key="lb_daily", challenge=wins, time_window="DAILY")
    period = {"period_start": today.start - DAY, "period_end": today.start}
    old = generate_final_run("lb_daily", **period)
    ExclusionFactory(cluster_id="alice", created_by=admin_user)
    new = generate_final_run("lb_daily", **period, note="alice botted", requested_by=admin_user)
    old.refresh_from_db()
    return old, new


def test_a_superseded_run_is_still_served_by_id_and_says_what_replaced_it(api, corrected, django_assert_num_queries):
    old, new = corrected

    with django_assert_num_queries(3):  # the run with its replacement, the display names (issue #24), its entries
        response = api.get(f"/leaderboards/lb_daily/runs/{old.pk}")

    assert response.status_code == 200
    header = response.json()["leaderboard"]
    assert (header["runId"], header["status"], header["supersededBy"], header["correctionNote"]) == (
        old.pk,
        "SUPERSEDED",
        new.pk,
        "alice botted",
    )
    assert [entry["clusterId"] for entry in response.json()["entries"]] == ["alice", "bob"]  # as it was published


def test_a_superseded_run_answers_cluster_lookups_too(api, corrected):
    old, new = corrected

    one = api.get(f"/leaderboards/lb_daily/runs/{old.pk}/clusters/alice").json()
    several = api.get(f"/leaderboards/lb_daily/runs/{old.pk}/clusters", {"ids": "alice,carol"}).json()

    assert (one["leaderboard"]["status"], one["entry"]["rank"]) == ("SUPERSEDED", 1)
    assert ([e["clusterId"] for e in several["entries"]], several["missing"]) == (["alice"], ["carol"])
    assert several["leaderboard"]["supersededBy"] == new.pk


def test_the_correction_itself_is_complete_and_replaced_by_nothing(api, corrected):
    _, new = corrected

    header = api.get(f"/leaderboards/lb_daily/runs/{new.pk}").json()["leaderboard"]

    assert (header["status"], header["supersededBy"], header["correctionNote"]) == ("COMPLETE", None, None)


def test_a_cached_copy_of_the_old_run_is_not_current_after_the_correction(api, wins, admin_user):
    today = calendar_period("DAILY", now=timezone.now())
    given_history(wins, {"alice": 105}, at=today.start - DAY / 2)
    LeaderboardDefFactory(key="lb_daily", challenge=wins, time_window="DAILY")
    period = {"period_start": today.start - DAY, "period_end": today.start}
    old = generate_final_run("lb_daily", **period)
    etag = api.get(f"/leaderboards/lb_daily/runs/{old.pk}").headers["ETag"]

    generate_final_run("lb_daily", **period, note="recount")

    response = api.get(f"/leaderboards/lb_daily/runs/{old.pk}", HTTP_IF_NONE_MATCH=etag)
    assert (response.status_code, response.json()["leaderboard"]["status"]) == (200, "SUPERSEDED")


def test_finals_name_the_runs_a_correction_replaced_and_when(api, corrected):
    old, new = corrected

    [item] = api.get("/leaderboards/lb_daily/finals").json()["results"]

    assert (item["runId"], item["supersedes"], item["correctedAt"], item["correctionNote"]) == (
        new.pk,
        [old.pk],
        iso(new.finished_at),
        "alice botted",
    )


def test_a_second_correction_lists_only_the_run_it_replaced_and_the_chain_stays_readable(api, corrected):
    old, first = corrected
    second = generate_final_run(
        "lb_daily", period_start=first.period_start, period_end=first.period_end, note="recount"
    )

    [item] = api.get("/leaderboards/lb_daily/finals").json()["results"]

    assert (item["runId"], item["supersedes"]) == (second.pk, [first.pk])
    assert api.get(f"/leaderboards/lb_daily/runs/{old.pk}").json()["leaderboard"]["supersededBy"] == first.pk
    assert api.get(f"/leaderboards/lb_daily/runs/{first.pk}").json()["leaderboard"]["supersededBy"] == second.pk


def test_latest_and_the_previous_final_serve_only_the_correction(api, corrected):
    _, new = corrected

    previous = api.get("/leaderboards/lb_daily/finals/previous").json()["leaderboard"]

    assert (previous["runId"], previous["status"]) == (new.pk, "COMPLETE")
    latest = api.get("/leaderboards/lb_daily/latest")
    assert latest.status_code == 200 and latest.json()["leaderboard"]["runId"] == new.pk
