"""displayName and avatarUrl on every entry, profile, history and movers item (issue #24), one query per response."""

import datetime

import pytest
from django.utils import timezone

from leaderboards.periods import calendar_period
from leaderboards.services import generate_final_run, generate_leaderboard_run
from tests.factories import ClusterProfileFactory, LeaderboardDefFactory, given_history
from tests.leaderboards.conftest import given_progress
from tests.profiles.conftest import a_final

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
ALICE = {"displayName": "Alice's crew", "avatarUrl": "https://cdn.example.com/alice.png"}
NO_NAME = {"displayName": None, "avatarUrl": None}


@pytest.fixture
def boards(wins):
    """`lb`: two runs (alice overtakes bob: movers); `daily`: yesterday's final run; alice has a name, bob none."""
    LeaderboardDefFactory(key="lb", challenge=wins, max_entries=0)
    given_progress(wins, {"alice": 1, "bob": 2})
    generate_leaderboard_run("lb")
    given_history(wins, {"alice": 10}, at=timezone.now())
    generate_leaderboard_run("lb")
    today = calendar_period("DAILY", now=timezone.now())
    given_history(wins, {"alice": 0, "bob": 0}, at=today.start - 2 * DAY)
    given_history(wins, {"alice": 20, "bob": 5}, at=today.start - DAY / 2)
    LeaderboardDefFactory(key="daily", challenge=wins, time_window="DAILY")
    generate_final_run("daily", period_start=today.start - DAY, period_end=today.start)
    ClusterProfileFactory(cluster_id="alice", display_name=ALICE["displayName"], avatar_url=ALICE["avatarUrl"])


def shown(entries) -> dict:
    return {e["clusterId"]: {"displayName": e["displayName"], "avatarUrl": e["avatarUrl"]} for e in entries}


RUN_READS = {
    "page": ("/leaderboards/lb/latest", lambda body: body["entries"]),
    "page with slash": ("/leaderboards/lb/latest/", lambda body: body["entries"]),
    "around me": ("/leaderboards/lb/latest/clusters/bob?around=1", lambda b: [b["entry"], *b["above"], *b["below"]]),
    "ids": ("/leaderboards/lb/latest/clusters?ids=alice,bob", lambda body: body["entries"]),
    "movers up": ("/leaderboards/lb/latest/movers?direction=up", lambda body: body["entries"]),
    "movers down": ("/leaderboards/lb/latest/movers?direction=down", lambda body: body["entries"]),
    "previous final": ("/leaderboards/daily/finals/previous", lambda body: body["entries"]),
    "previous final around": (
        "/leaderboards/daily/finals/previous/clusters/alice?around=5",
        lambda b: [b["entry"], *b["above"], *b["below"]],
    ),
}


@pytest.mark.parametrize("read", list(RUN_READS))
def test_every_entry_of_a_run_read_carries_the_display_name_and_avatar_null_when_unset(api, boards, read):
    path, entries_of = RUN_READS[read]

    found = shown(entries_of(api.get(path).json()))

    expected = {"alice": ALICE, "bob": NO_NAME}
    assert found == {cluster: expected[cluster] for cluster in found}
    assert "alice" in found or read == "movers down"


def test_a_run_read_by_id_carries_them_too(api, boards):
    run_id = api.get("/leaderboards/lb/latest").json()["leaderboard"]["runId"]

    assert shown(api.get(f"/leaderboards/lb/runs/{run_id}").json()["entries"]) == {"alice": ALICE, "bob": NO_NAME}


def test_the_profile_and_the_history_carry_the_cluster_s_own(api, weekly):
    a_final(weekly, 0, {"alice": 1, "bob": 2})
    ClusterProfileFactory(cluster_id="alice", display_name="Alice's crew", avatar_url=ALICE["avatarUrl"])

    for cluster_id, expected in (("alice", ALICE), ("bob", NO_NAME), ("nobody", NO_NAME)):
        profile = api.get(f"/clusters/{cluster_id}").json()
        history = api.get(f"/leaderboards/weekly/clusters/{cluster_id}/history").json()
        assert {k: profile[k] for k in expected} == expected, cluster_id
        assert {k: history[k] for k in expected} == expected, cluster_id
        assert history["clusterId"] == cluster_id


def test_a_name_set_or_cleared_changes_the_etag_of_the_reads_that_show_it(api, boards, django_assert_num_queries):
    paths = ["/leaderboards/lb/latest", "/leaderboards/lb/latest/clusters/bob?around=1", "/clusters/bob"]
    before = {path: api.get(path)["ETag"] for path in paths}
    ClusterProfileFactory(cluster_id="bob", display_name="Bob", avatar_url=None)

    for path in paths:
        response = api.get(path, HTTP_IF_NONE_MATCH=before[path])
        assert response.status_code == 200, path
        assert "Bob" in response.content.decode(), path


def test_a_name_of_a_cluster_not_shown_leaves_the_etag_alone(api, boards):
    etag = api.get("/leaderboards/lb/latest/clusters/bob?around=0")["ETag"]
    ClusterProfileFactory(cluster_id="alice-2", display_name="Elsewhere", avatar_url=None)

    assert api.get("/leaderboards/lb/latest/clusters/bob?around=0", HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_the_names_of_a_page_of_a_thousand_entries_are_one_query(api, wins, django_assert_num_queries):
    clusters = [f"c{n:04d}" for n in range(1000)]
    given_progress(wins, {cluster: n for n, cluster in enumerate(clusters)})
    LeaderboardDefFactory(key="big", challenge=wins, max_entries=0)
    generate_leaderboard_run("big")
    for cluster in clusters[::2]:
        ClusterProfileFactory(cluster_id=cluster, display_name=f"N{cluster}")

    # 1. the run 2. the names of the page (profiles.sql.NAMES_OF_PAGE) 3. the page (leaderboards.sql.ENTRIES_PAGE)
    with django_assert_num_queries(3):
        body = api.get("/leaderboards/big/latest?limit=1000").json()

    assert sum(entry["displayName"] is not None for entry in body["entries"]) == 500
    assert all(entry["displayName"] in (None, f"N{entry['clusterId']}") for entry in body["entries"])
