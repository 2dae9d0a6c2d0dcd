"""leaderboards.extensions: another app adds a field to each item of GET /leaderboards, read once for all."""

import pytest
from rest_framework import serializers

from leaderboards import extensions
from tests.factories import LeaderboardDefFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def badge_field():
    calls = []

    def values(definitions):
        calls.append([d.key for d in definitions])
        return {"lb_a": "gold"}

    extensions.register_list_item_field(
        extensions.ListItemField(name="badge", field=serializers.CharField(), values=values, default=lambda: "none")
    )
    yield calls
    extensions._LIST_ITEM_FIELDS.pop("badge")


def test_an_added_field_is_read_once_for_every_board_and_defaults_where_it_has_no_value(api, wins, badge_field):
    LeaderboardDefFactory(key="lb_a", challenge=wins)
    LeaderboardDefFactory(key="lb_b", challenge=wins)

    items = api.get("/leaderboards").json()

    assert [(item["key"], item["badge"]) for item in items] == [("lb_a", "gold"), ("lb_b", "none")]
    assert badge_field == [["lb_a", "lb_b"]]
