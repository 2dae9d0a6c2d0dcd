"""GET /leaderboards: each board shows its prize table before the period ends."""

import pytest

from tests.factories import LeaderboardDefFactory, LeaderboardPrizeFactory

pytestmark = pytest.mark.django_db


def test_each_board_lists_its_prize_table_and_an_empty_list_without_one(api, wins, django_assert_num_queries):
    weekly = LeaderboardDefFactory(key="lb_weekly", challenge=wins, time_window="WEEKLY")
    LeaderboardDefFactory(key="lb_plain", challenge=wins)
    LeaderboardPrizeFactory(leaderboard=weekly, rank_from=1, rank_to=10, name="Gold", quantity=50, min_score=3)
    LeaderboardPrizeFactory(leaderboard=weekly, top_percent="0.5", name="Badge", kind="badge", data={"id": 7})

    with django_assert_num_queries(2):  # the definitions with their latest runs; every board's prize rows
        items = {item["key"]: item for item in api.get("/leaderboards").json()}

    assert items["lb_plain"]["prizes"] == []
    assert items["lb_weekly"]["prizes"] == [
        {
            "rankFrom": 1,
            "rankTo": 10,
            "topPercent": None,
            "minScore": 3,
            "name": "Gold",
            "kind": "token",
            "quantity": 50,
            "data": {},
        },
        {
            "rankFrom": None,
            "rankTo": None,
            "topPercent": 0.5,
            "minScore": None,
            "name": "Badge",
            "kind": "badge",
            "quantity": 1,
            "data": {"id": 7},
        },
    ]
