"""GET /leaderboards/{key}/runs/{runId}/awards: a final run's awards by position, never the reference."""

import pytest

from leaderboards.services import generate_final_run, generate_leaderboard_run
from prizes.models import LeaderboardAward
from prizes.services import settle_award
from tests.factories import APIKeyFactory, LeaderboardPrizeFactory, given_gains

pytestmark = pytest.mark.django_db


@pytest.fixture
def final(wins, board, yesterday):
    # a 9, b 9 (rank 1), c 7, d 5, e 3
    given_gains(wins, {"a": 9, "b": 9, "c": 7, "d": 5, "e": 3}, period=yesterday)
    LeaderboardPrizeFactory(leaderboard=board, rank_from=1, rank_to=1, name="Gold", quantity=100, data={"t": 1})
    LeaderboardPrizeFactory(leaderboard=board, rank_from=1, rank_to=3, name="Badge", kind="badge")
    return generate_final_run("lb_daily", **yesterday)


def test_the_awards_of_a_final_run_by_position_with_their_status(api, final):
    award = LeaderboardAward.objects.get(cluster_id="a", name="Gold")
    settle_award(award.pk, reference="0xsecret", api_key=APIKeyFactory())

    response = api.get(f"/leaderboards/lb_daily/runs/{final.pk}/awards?limit=2")

    assert response.status_code == 200
    body = response.json()
    assert (body["leaderboard"], body["runId"], body["periodStart"]) == ("lb_daily", final.pk, body["periodStart"])
    assert body["awards"][:2] == [
        {
            "clusterId": "a",
            "rank": 1,
            "position": 1,
            "score": 9,
            "prize": {"name": "Gold", "kind": "token", "quantity": 100, "data": {"t": 1}},
            "status": "SETTLED",
        },
        {
            "clusterId": "a",
            "rank": 1,
            "position": 1,
            "score": 9,
            "prize": {"name": "Badge", "kind": "badge", "quantity": 1, "data": {}},
            "status": "PENDING",
        },
    ]
    assert "0xsecret" not in response.content.decode()


def test_pages_count_clusters_and_never_split_a_clusters_stacked_awards(api, final):
    seen, url = [], f"/leaderboards/lb_daily/runs/{final.pk}/awards?limit=1"
    while url:
        body = api.get(url).json()
        seen.append([(a["clusterId"], a["prize"]["name"]) for a in body["awards"]])
        url = body["next"]

    assert seen == [
        [("a", "Gold"), ("a", "Badge")],
        [("b", "Gold"), ("b", "Badge")],
        [("c", "Badge")],
        [("d", "Badge")],
        [],
    ]


def test_a_run_that_is_not_final_is_a_json_404(api, final):
    scheduled = generate_leaderboard_run("lb_daily")

    for url in [
        f"/leaderboards/lb_daily/runs/{scheduled.pk}/awards",
        "/leaderboards/lb_daily/runs/999999/awards",
        "/leaderboards/lb_daily/runs/abc/awards",
        f"/leaderboards/other/runs/{final.pk}/awards",
    ]:
        response = api.get(url)
        assert response.status_code == 404, url
        assert "detail" in response.json()


def test_a_malformed_page_is_a_400_naming_the_parameter(api, final):
    response = api.get(f"/leaderboards/lb_daily/runs/{final.pk}/awards?limit=1001")

    assert response.status_code == 400
    assert "limit" in response.json()


def test_a_page_reads_two_queries(api, final, django_assert_num_queries):
    with django_assert_num_queries(2):  # the final run with its definition; the page of awards
        api.get(f"/leaderboards/lb_daily/runs/{final.pk}/awards")
