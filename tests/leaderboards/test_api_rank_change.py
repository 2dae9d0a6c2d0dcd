"""previousRank and rankChange in every endpoint's entries: what a Discord bot posts as "biggest movers"."""

import pytest
from django.utils import timezone

from leaderboards.services import generate_leaderboard_run
from tests.factories import LeaderboardDefFactory, given_history, given_progress

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_runs(wins):
    """Run 1: alice 10, bob 5, carol 1. Then bob reaches 20 and dave arrives with 3. Run 2 ranks them again."""
    given_progress(wins, {"alice": 10, "bob": 5, "carol": 1})
    LeaderboardDefFactory(key="lb", challenge=wins)
    first = generate_leaderboard_run("lb")
    given_history(wins, {"bob": 20, "dave": 3}, at=timezone.now())
    return first, generate_leaderboard_run("lb")


def moves(entries) -> dict[str, tuple]:
    return {entry["clusterId"]: (entry["rank"], entry["previousRank"], entry["rankChange"]) for entry in entries}


EXPECTED = {
    "bob": (1, 2, 1),  # moved up one
    "alice": (2, 1, -1),
    "dave": (3, None, None),  # new: no previous rank
    "carol": (4, 3, -1),
}


def test_the_page_shows_each_cluster_s_previous_rank_and_its_change(api, two_runs):
    assert moves(api.get("/leaderboards/lb/latest").json()["entries"]) == EXPECTED


def test_a_cluster_lookup_shows_them_for_the_cluster_and_its_neighbours(api, two_runs):
    body = api.get("/leaderboards/lb/latest/clusters/alice", {"around": 1}).json()

    assert moves([body["entry"], *body["above"], *body["below"]]) == {
        name: EXPECTED[name] for name in ("alice", "bob", "dave")
    }


def test_several_clusters_show_them_too(api, two_runs):
    body = api.get("/leaderboards/lb/latest/clusters", {"ids": "carol,dave"}).json()

    assert moves(body["entries"]) == {"dave": EXPECTED["dave"], "carol": EXPECTED["carol"]}


def test_the_first_run_has_no_previous_ranks(api, two_runs):
    first, _ = two_runs

    entries = api.get(f"/leaderboards/lb/runs/{first.pk}").json()["entries"]

    assert {(entry["previousRank"], entry["rankChange"]) for entry in entries} == {(None, None)}
