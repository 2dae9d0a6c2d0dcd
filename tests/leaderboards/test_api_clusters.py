"""GET /leaderboards/{key}/{run}/clusters?ids=a&ids=b (or ids=a,b): several clusters' entries (a friends list)."""

import pytest

from tests.factories import LeaderboardDefFactory, LeaderboardEntryFactory, LeaderboardRunFactory
from tests.helpers import cluster_ids

pytestmark = pytest.mark.django_db


def test_the_entries_found_come_by_position_and_the_others_are_missing_in_the_order_asked(api, published):
    response = api.get("/leaderboards/top_wins/latest/clusters", {"ids": "erin,zed,bob,yan,carol"})

    assert response.status_code == 200
    body = response.json()
    assert body["leaderboard"]["runId"] == published.pk
    assert cluster_ids(body["entries"]) == ["bob", "carol", "erin"]
    assert body["entries"][0] == {
        "rank": 1,
        "position": 1,
        "clusterId": "bob",
        "score": 10,
        "tiebreaker": 3,
        "previousRank": None,
        "rankChange": None,
        "payload": {"challengeCode": "wins", "fallbackChallengeCode": "streak", "fallbackValue": 3},
        "displayName": None,
        "avatarUrl": None,
    }
    assert body["missing"] == ["zed", "yan"]


def test_repeated_ids_are_all_looked_up_as_generated_clients_send_them(api, published):
    repeated = api.get("/leaderboards/top_wins/latest/clusters?ids=erin&ids=zed&ids=bob&ids=yan").json()
    joined = api.get("/leaderboards/top_wins/latest/clusters?ids=erin,zed,bob,yan").json()

    assert (cluster_ids(repeated["entries"]), repeated["missing"]) == (["bob", "erin"], ["zed", "yan"])
    assert repeated == joined


def test_a_repeated_id_may_hold_spaces_but_not_be_blank(api, published):
    spaced = api.get("/leaderboards/top_wins/latest/clusters?ids=bob&ids=%20x").json()
    blank = api.get("/leaderboards/top_wins/latest/clusters?ids=bob&ids=")

    assert spaced["missing"] == [" x"]
    assert blank.json() == {"ids": ["Id 2: This field may not be blank."]}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("ids=bob&ids=carol,erin", "Send the ids either repeated (ids=a&ids=b) or comma-joined in one parameter "
         "(ids=a,b), not both."),
        ("&".join(f"ids=c{n}" for n in range(101)), "At most 100 ids, got 101."),
    ],
    ids=["mixed", "101 repeated"],
)  # fmt: skip
def test_a_mix_or_too_many_repeated_ids_is_a_400_never_a_shorter_list(api, published, query, message):
    response = api.get(f"/leaderboards/top_wins/latest/clusters?{query}")

    assert response.status_code == 400
    assert response.json() == {"ids": [message]}


def test_duplicates_are_answered_once(api, published):
    body = api.get("/leaderboards/top_wins/latest/clusters/", {"ids": "bob,zed,bob,zed"}).json()

    assert (cluster_ids(body["entries"]), body["missing"]) == (["bob"], ["zed"])


def test_ids_are_taken_verbatim(api, published):
    body = api.get("/leaderboards/top_wins/latest/clusters", {"ids": " bob,carol ,Carol,dave"}).json()

    assert (cluster_ids(body["entries"]), body["missing"]) == (["dave"], [" bob", "carol ", "Carol"])


@pytest.mark.parametrize("source", ["latest", "run"])
def test_a_hundred_ids_cost_the_run_and_one_query(api, wins, source, django_assert_num_queries):
    run = LeaderboardRunFactory(leaderboard=LeaderboardDefFactory(key="lb", challenge=wins), row_count=150)
    for position in range(1, 151):
        LeaderboardEntryFactory(run=run, position=position, cluster_id=f"c{position:03d}")
    present = [f"c{position:03d}" for position in range(150, 0, -3)]
    absent = [f"gone{n}" for n in range(50)]
    ids = [cluster_id for pair in zip(present, absent, strict=True) for cluster_id in pair]
    url = "/leaderboards/lb/latest/clusters" if source == "latest" else f"/leaderboards/lb/runs/{run.pk}/clusters"

    # 1. the run with its definition; 2. the display names of the ids (issue #24: profiles.sql.NAMES_OF_CLUSTERS,
    # before the ETag); 3. the entries of the ids, by the (run, cluster_id) index
    with django_assert_num_queries(3):
        body = api.get(url, {"ids": ",".join(ids)}).json()

    assert cluster_ids(body["entries"]) == sorted(present)
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
