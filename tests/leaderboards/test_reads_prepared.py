"""A board's public reads (a page, several clusters, one cluster and its neighbours) run every statement prepared
(PostgreSQL): planned once per connection, with generic plans, and answering as if planned for each request."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.helpers import prepared_plans

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="prepared statements are PostgreSQL's"),
]

READS = [
    "/leaderboards/top_wins/latest?limit=2&after=1",
    "/leaderboards/top_wins/latest?limit=2&after=3",
    "/leaderboards/top_wins/latest/clusters?ids=erin,alice,nobody",
    "/leaderboards/top_wins/latest/clusters/carol?around=1",
    "/leaderboards/top_wins/latest/clusters/alice?around=2",
]


def test_the_public_reads_of_a_board_run_their_statements_prepared_with_generic_plans(client, published, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}  # every page is read
    with transaction.atomic():  # planned for these executions only: no session setting inside a transaction
        first = [client.get(path).json() for path in READS]
    generic, custom = prepared_plans()

    with CaptureQueriesContext(connection) as queries:
        answers = [client.get(path).json() for path in READS * 2]

    assert answers == first * 2
    assert [e["clusterId"] for e in first[0]["entries"]] == ["alice", "carol"]
    assert [e["clusterId"] for e in first[2]["entries"]] == ["alice", "erin"] and first[2]["missing"] == ["nobody"]
    assert [e["clusterId"] for e in first[3]["above"] + [first[3]["entry"]] + first[3]["below"]] == [
        "alice",
        "carol",
        "dave",
    ]
    # Every statement of the ten requests (the run, its entries or the neighbourhood, the names) ran a plan made
    # once for the connection.
    assert len(queries) >= 3 * 10
    assert prepared_plans() == (generic + len(queries), custom)
