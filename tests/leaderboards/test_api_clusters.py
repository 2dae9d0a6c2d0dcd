"""GET /leaderboards/{key}/{run}/clusters?ids=a,b,c: several clusters' entries (a friends list, a Discord channel)."""

import pytest

from tests.factories import LeaderboardDefFactory, LeaderboardEntryFactory, LeaderboardRunFactory

pytestmark = pytest.mark.django_db


def clusters(entries) -> list[str]:
    return [entry["clusterId"] for entry in entries]


def test_the_entries_found_come_by_position_and_the_others_are_missing_in_the_order_asked(api, published):
    response = api.get("/leaderboards/top_wins/latest/clusters", {"ids": "erin,zed,bob,yan,carol"})

    assert response.status_code == 200
    body = response.json()
    assert body["leaderboard"]["runId"] == published.pk
    assert clusters(body["entries"]) == ["bob", "carol", "erin"]
    assert body["entries"][0] == {
        "rank": 1,
        "position": 1,
        "clusterId": "bob",
        "score": 10,
        "tiebreaker": 3,
        "previousRank": None,
        "rankChange": None,
        "payload": {"challengeCode": "wins", "fallbackChallengeCode": "streak", "fallbackValue": 3},
    }
    assert body["missing"] == ["zed", "yan"]


def test_duplicates_are_answered_once(api, published):
    body = api.get("/leaderboards/top_wins/latest/clusters/", {"ids": "bob,zed,bob,zed"}).json()

    assert (clusters(body["entries"]), body["missing"]) == (["bob"], ["zed"])


def test_ids_are_taken_verbatim(api, published):
    body = api.get("/leaderboards/top_wins/latest/clusters", {"ids": " bob,carol ,Carol,dave"}).json()

    assert (clusters(body["entries"]), body["missing"]) == (["dave"], [" bob", "carol ", "Carol"])


@pytest.mark.parametrize("source", ["latest", "run"])
def test_a_hundred_ids_cost_the_run_and_one_query(api, wins, source, django_assert_num_queries):
    run = LeaderboardRunFactory(leaderboard=LeaderboardDefFactory(key="lb", challenge=wins), row_count=150)
    for position in range(1, 151):
        LeaderboardEntryFactory(run=run, position=position, cluster_id=f"c{position:03d}")
    present = [f"c{position:03d}" for position in range(150, 0, -3)]
    absent = [f"gone{n}" for n in range(50)]
    ids = [cluster_id for pair in zip(present, absent, strict=True) for cluster_id in pair]
    url = "/leaderboards/lb/latest/clusters" if source == "latest" else f"/leaderboards/lb/runs/{run.pk}/clusters"

    # 1. the run with its definition; 2. the entries of the ids, by the (run, cluster_id) index
    with django_assert_num_queries(2):
        body = api.get(url, {"ids": ",".join(ids)}).json()

    assert clusters(body["entries"]) == sorted(present)
    assert body["missing"] == absent


def test_exactly_a_hundred_ids_are_accepted(api, published):
    ids = ",".join(f"id{n}" for n in range(100))

    assert api.get("/leaderboards/top_wins/latest/clusters", {"ids": ids}).status_code == 200


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        (None, "This field is required."),
        ("", "This field may not be blank."),
        ("bob,,carol", "Id 2: This field may not be blank."),
        ("bob,", "Id 2: This field may not be blank."),
        ("bob,a\x00b", "Id 2: Null characters are not allowed."),
        ("bob," + "x" * 129, "Id 2: Ensure this field has no more than 128 characters."),
        (",".join(["bob"] * 101), "At most 100 ids, got 101."),
    ],
    ids=["missing", "empty", "empty id", "trailing comma", "nul", "too long", "101 ids"],
)
def test_bad_ids_are_a_400_naming_ids_without_a_query(api, published, ids, message, django_assert_num_queries):
    query = {} if ids is None else {"ids": ids}

    with django_assert_num_queries(0):
        response = api.get("/leaderboards/top_wins/latest/clusters", query)

    assert response.status_code == 400
    assert response.json() == {"ids": [message]}


def test_the_previous_final_run_answers_the_same_way(api, published):
    response = api.get("/leaderboards/top_wins/finals/previous/clusters", {"ids": "bob"})

    assert response.status_code == 404
    assert response.json() == {"detail": "Leaderboard 'top_wins' has no final run of its previous period yet."}
