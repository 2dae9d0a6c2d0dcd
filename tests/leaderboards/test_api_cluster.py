"""GET /leaderboards/{key}/{run}/clusters/{clusterId}?around=N: one cluster, its neighbours, its percentile."""

import pytest

from leaderboards.services import generate_leaderboard_run
from tests.factories import (
    ExclusionFactory,
    LeaderboardDefFactory,
    LeaderboardEntryFactory,
    LeaderboardRunFactory,
    given_progress,
)
from tests.helpers import cluster_ids

pytestmark = pytest.mark.django_db


def a_run_with_ranks(wins, ranks: list[int], *, key: str = "lb"):
    """A COMPLETE run whose entry at position i + 1 has rank ranks[i], cluster c{position:03d}."""
    run = LeaderboardRunFactory(leaderboard=LeaderboardDefFactory(key=key, challenge=wins), row_count=len(ranks))
    for position, rank in enumerate(ranks, start=1):
        LeaderboardEntryFactory(run=run, position=position, cluster_id=f"c{position:03d}", rank=rank, score=1000 - rank)
    return run


def test_a_cluster_is_shown_with_its_neighbours_and_the_run(api, published):
    body = api.get("/leaderboards/top_wins/latest/clusters/carol", {"around": 1}).json()

    assert body["leaderboard"]["runId"] == published.pk
    assert body["entry"] == {
        "rank": 3,
        "position": 3,
        "clusterId": "carol",
        "score": 7,
        "tiebreaker": 0,
        "previousRank": None,
        "rankChange": None,
        "payload": {"challengeCode": "wins", "fallbackChallengeCode": "streak", "fallbackValue": None},
        "displayName": None,
        "avatarUrl": None,
        "percentile": 40.0,
    }
    assert (cluster_ids(body["above"]), cluster_ids(body["below"])) == (["alice"], ["dave"])


def test_around_defaults_to_no_neighbours(api, published):
    body = api.get("/leaderboards/top_wins/latest/clusters/carol").json()

    assert (body["entry"]["clusterId"], body["above"], body["below"]) == ("carol", [], [])


def test_neighbours_stop_at_the_top_and_the_bottom_of_the_run(api, published):
    top = api.get("/leaderboards/top_wins/latest/clusters/bob", {"around": 50}).json()
    bottom = api.get("/leaderboards/top_wins/latest/clusters/erin", {"around": 2}).json()

    assert (cluster_ids(top["above"]), cluster_ids(top["below"])) == ([], ["alice", "carol", "dave", "erin"])
    assert (cluster_ids(bottom["above"]), cluster_ids(bottom["below"])) == (["carol", "dave"], [])


@pytest.mark.parametrize("cluster_id", ["nobody", " carol", "carol ", "Carol"])
def test_a_cluster_that_is_not_in_the_run_is_a_200_with_no_entry(api, published, cluster_id):
    response = api.get(f"/leaderboards/top_wins/latest/clusters/{cluster_id}", {"around": 5})

    assert response.status_code == 200
    assert response.json()["leaderboard"]["runId"] == published.pk
    assert (response.json()["entry"], response.json()["above"], response.json()["below"]) == (None, [], [])


def test_a_cluster_outside_max_entries_has_no_entry(api, wins):
    given_progress(wins, {"first": 3, "second": 2, "third": 1})
    LeaderboardDefFactory(key="top2", challenge=wins, max_entries=2)
    generate_leaderboard_run("top2")

    assert api.get("/leaderboards/top2/latest/clusters/second").json()["entry"]["position"] == 2
    assert api.get("/leaderboards/top2/latest/clusters/third").json()["entry"] is None


def test_an_excluded_cluster_has_no_entry_and_is_nobody_s_neighbour(api, wins):
    given_progress(wins, {"first": 3, "cheater": 2, "third": 1})
    definition = LeaderboardDefFactory(key="lb", challenge=wins)
    ExclusionFactory(cluster_id="cheater", leaderboard=definition)
    generate_leaderboard_run("lb")

    assert api.get("/leaderboards/lb/latest/clusters/cheater", {"around": 5}).json()["entry"] is None
    body = api.get("/leaderboards/lb/latest/clusters/first", {"around": 5}).json()
    assert cluster_ids(body["below"]) == ["third"]
    assert body["entry"]["percentile"] == 50.0


def test_percentile_counts_only_the_clusters_strictly_behind_ties_included(api, wins):
    # positions 1..8 with ranks 1, 2, 2, 2, 5, 6, 6, 8 (competition ranking)
    a_run_with_ranks(wins, [1, 2, 2, 2, 5, 6, 6, 8])

    def percentile(cluster_id):
        return api.get(f"/leaderboards/lb/latest/clusters/{cluster_id}").json()["entry"]["percentile"]

    assert percentile("c001") == 87.5  # 7 of 8 behind
    assert percentile("c002") == percentile("c004") == 50.0  # the tie is not behind its own members
    assert percentile("c006") == percentile("c007") == 12.5
    assert percentile("c008") == 0.0


def test_a_lone_cluster_has_nobody_behind(api, wins):
    a_run_with_ranks(wins, [1])

    assert api.get("/leaderboards/lb/latest/clusters/c001").json()["entry"]["percentile"] == 0.0


def test_percentile_is_rounded_down_to_one_decimal(api, wins):
    a_run_with_ranks(wins, list(range(1, 1001)))

    # 998 of 1000 behind is 99.8; 2 of 3 behind would be 66.666... -> 66.6, never 66.7
    assert api.get("/leaderboards/lb/latest/clusters/c002").json()["entry"]["percentile"] == 99.8
    a_run_with_ranks(wins, [1, 2, 3], key="small")
    assert api.get("/leaderboards/small/latest/clusters/c001").json()["entry"]["percentile"] == 66.6


@pytest.mark.parametrize(
    "ranks",
    [
        [1] * 97,  # everybody tied
        [1] + [2] * 95 + [3],  # one huge tie in the middle
        [1, 1, 3] + [4] * 60 + list(range(64, 101)),  # ties at the top and a long tail
        [rank for rank in range(1, 34) for _ in range(3)],  # many small ties (dense-like blocks of three)
    ],
    ids=["all tied", "huge middle tie", "top tie and tail", "small ties"],
)
def test_percentile_matches_a_count_of_the_clusters_behind_for_every_cluster(api, wins, ranks):
    a_run_with_ranks(wins, ranks)

    for position, rank in enumerate(ranks, start=1):
        behind = sum(1 for other in ranks if other > rank)
        body = api.get(f"/leaderboards/lb/latest/clusters/c{position:03d}").json()
        assert body["entry"]["percentile"] == (1000 * behind // len(ranks)) / 10, position


@pytest.mark.parametrize("around", ["0", "10", "50"])
def test_a_lookup_costs_the_run_and_one_statement_whatever_around_and_the_tie(
    api, wins, around, django_assert_num_queries
):
    a_run_with_ranks(wins, [1] + [2] * 500 + [3])

    # 1. the latest COMPLETE run with its definition;
    # 2. the display names of the cluster and its neighbours (issue #24: profiles.sql.NAMES_AROUND, before the ETag)
    # 3. the cluster, its neighbours and its percentile (sql.CLUSTER_NEIGHBOURHOOD)
    with django_assert_num_queries(3):
        response = api.get("/leaderboards/lb/latest/clusters/c250", {"around": around})

    assert response.json()["entry"]["percentile"] == 0.1
    assert len(response.json()["above"]) == len(response.json()["below"]) == int(around)


def test_a_cluster_without_an_entry_costs_one_more_query_for_its_reason(api, published, django_assert_num_queries):
    # 1. the run, 2. the display names (issue #24: none, it has no entry), 3. the neighbourhood (empty),
    # 4. whether an exclusion of the run names it (the reason)
    with django_assert_num_queries(4):
        assert api.get("/leaderboards/top_wins/latest/clusters/nobody").json()["reason"] == "no_score"


def test_the_same_lookup_works_on_a_run_by_id_and_on_the_previous_final_run(api, published, wins):
    by_id = api.get(f"/leaderboards/top_wins/runs/{published.pk}/clusters/carol/", {"around": 1})

    assert by_id.status_code == 200
    assert by_id.json()["entry"]["position"] == 3
    assert by_id.json()["above"][0]["clusterId"] == "alice"
    assert api.get("/leaderboards/top_wins/finals/previous/clusters/carol").status_code == 404


@pytest.mark.parametrize(
    ("around", "message"),
    [
        ("51", "Ensure this value is less than or equal to 50."),
        ("-1", "A whole number written in the digits 0-9 is required."),
        ("\u0663", "A whole number written in the digits 0-9 is required."),  # Arabic-Indic 3
        ("", "A whole number written in the digits 0-9 is required."),
        ("2.0", "A whole number written in the digits 0-9 is required."),
    ],
    ids=["51", "-1", "arabic-indic 3", "empty", "2.0"],
)
def test_a_bad_around_is_a_400_naming_it_without_a_query(api, published, around, message, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = api.get("/leaderboards/top_wins/latest/clusters/carol", {"around": around})

    assert response.status_code == 400
    assert response.json() == {"around": [message]}


@pytest.mark.parametrize(
    ("quoted", "message"),
    [
        ("a%00b", "Null characters are not allowed."),
        ("x" * 129, "Ensure this field has no more than 128 characters."),
    ],
    ids=["nul", "too long"],
)
def test_a_cluster_id_no_cluster_can_have_is_a_400_naming_it(api, published, quoted, message):
    response = api.get(f"/leaderboards/top_wins/latest/clusters/{quoted}")

    assert response.status_code == 400
    assert response.json() == {"clusterId": [message]}


def test_the_longest_cluster_id_is_looked_up(api, wins):
    run = LeaderboardRunFactory(leaderboard=LeaderboardDefFactory(key="lb", challenge=wins), row_count=1)
    LeaderboardEntryFactory(run=run, cluster_id="x" * 128, position=1)

    assert api.get(f"/leaderboards/lb/latest/clusters/{'x' * 128}").json()["entry"]["clusterId"] == "x" * 128


def test_an_unknown_leaderboard_is_a_404(api, db):
    response = api.get("/leaderboards/nope/latest/clusters/carol")

    assert (response.status_code, response.json()) == (404, {"detail": "No active leaderboard 'nope'."})
