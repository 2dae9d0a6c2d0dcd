"""The cache of a run's serialized entries behind /latest and /runs/{runId}: never stale, one query once warm."""

import datetime

import pytest

from leaderboards.services import generate_leaderboard_run, prune_leaderboard_runs
from tests.factories import LeaderboardDefFactory, LeaderboardEntryFactory, LeaderboardRunFactory, given_progress

pytestmark = pytest.mark.django_db


def entry_clusters(api, url: str, **params) -> list[str]:
    return [entry["clusterId"] for entry in api.get(url, params).json()["entries"]]


def test_each_limit_is_served_its_own_entries(api, published):
    url = "/leaderboards/top_wins/latest"

    assert entry_clusters(api, url, limit=2) == ["bob", "alice"]
    assert entry_clusters(api, url, limit=4) == ["bob", "alice", "carol", "dave"]
    assert entry_clusters(api, url, limit=2) == ["bob", "alice"]


def test_a_newly_published_run_is_served_at_once_though_the_previous_one_is_cached(api, wins):
    given_progress(wins, {"alice": 1})
    LeaderboardDefFactory(key="wins", challenge=wins)
    generate_leaderboard_run("wins")
    assert entry_clusters(api, "/leaderboards/wins/latest") == ["alice"]
    given_progress(wins, {"bob": 5})

    newer = generate_leaderboard_run("wins")

    response = api.get("/leaderboards/wins/latest").json()
    assert response["leaderboard"]["runId"] == newer.pk
    assert [entry["clusterId"] for entry in response["entries"]] == ["bob", "alice"]


def test_a_pruned_run_is_not_found_though_its_entries_were_cached(api, wins):
    given_progress(wins, {"alice": 1})
    LeaderboardDefFactory(key="wins", challenge=wins)
    pruned = generate_leaderboard_run("wins")
    kept = generate_leaderboard_run("wins")
    assert entry_clusters(api, f"/leaderboards/wins/runs/{pruned.pk}") == ["alice"]

    prune_leaderboard_runs(keep=1)

    assert api.get(f"/leaderboards/wins/runs/{pruned.pk}").status_code == 404
    assert api.get(f"/leaderboards/wins/runs/{kept.pk}").status_code == 200


def test_a_deactivated_leaderboard_is_not_found_though_its_entries_were_cached(api, published):
    assert api.get("/leaderboards/top_wins/latest").status_code == 200
    published.leaderboard.is_active = False
    published.leaderboard.save()

    assert api.get("/leaderboards/top_wins/latest").status_code == 404
    assert api.get(f"/leaderboards/top_wins/runs/{published.pk}").status_code == 404


def test_a_renamed_leaderboard_shows_its_new_name_at_once(api, published):
    assert api.get("/leaderboards/top_wins/latest").json()["leaderboard"]["name"] == "Top wins"
    published.leaderboard.name = "PvP wins"
    published.leaderboard.save()

    assert api.get("/leaderboards/top_wins/latest").json()["leaderboard"]["name"] == "PvP wins"


def test_a_run_id_that_comes_round_again_is_served_its_own_entries(api, wins):
    # As after restoring an older backup, or on SQLite, where a rolled-back insert frees its id.
    definition = LeaderboardDefFactory(key="lb", challenge=wins)
    gone = LeaderboardRunFactory(leaderboard=definition)
    LeaderboardEntryFactory(run=gone, cluster_id="gone", position=1)
    run_id = gone.pk
    assert entry_clusters(api, f"/leaderboards/lb/runs/{run_id}") == ["gone"]
    gone.entries.all().delete()
    gone.delete()

    reborn = LeaderboardRunFactory(
        id=run_id, leaderboard=definition, finished_at=gone.finished_at + datetime.timedelta(seconds=1)
    )
    LeaderboardEntryFactory(run=reborn, cluster_id="reborn", position=1)

    assert entry_clusters(api, f"/leaderboards/lb/runs/{run_id}") == ["reborn"]


@pytest.fixture
def twenty_entries(wins):
    """A COMPLETE run of leaderboard `lb` with 20 entries."""
    run = LeaderboardRunFactory(leaderboard=LeaderboardDefFactory(key="lb", challenge=wins), row_count=20)
    for position in range(1, 21):
        LeaderboardEntryFactory(run=run, position=position)
    return run


@pytest.mark.parametrize("limit", [1, 1000])
@pytest.mark.parametrize("path", ["latest", "run"])
def test_a_run_costs_two_queries_then_one_whatever_the_limit(
    api, twenty_entries, path, limit, django_assert_num_queries
):
    url = "/leaderboards/lb/latest" if path == "latest" else f"/leaderboards/lb/runs/{twenty_entries.pk}"

    # 1. the (latest) COMPLETE run of the active leaderboard, with its definition; 2. the display names of the
    # page (issue #24: profiles.sql.NAMES_OF_PAGE, read before the ETag, never cached); 3. its entries
    with django_assert_num_queries(3):
        first = api.get(url, {"limit": limit})
    # 1. the run again (a newer or deleted run shows at once) 2. the display names (a name changes without a
    # new run: issue #24); its entries come from the cache
    with django_assert_num_queries(2):
        second = api.get(url, {"limit": limit})

    assert len(first.json()["entries"]) == min(limit, 20)
    assert second.content == first.content


def test_the_latest_and_the_same_run_by_id_share_the_cached_entries(api, twenty_entries, django_assert_num_queries):
    latest = api.get("/leaderboards/lb/latest")

    # 1. the run 2. the display names (issue #24); its entries were cached by the request for the latest
    with django_assert_num_queries(2):
        by_id = api.get(f"/leaderboards/lb/runs/{twenty_entries.pk}")

    assert by_id.content == latest.content
