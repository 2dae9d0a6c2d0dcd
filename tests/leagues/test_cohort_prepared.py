"""The cohort read's two statements are planned once per connection (PostgreSQL) and answer as if planned each time."""

from decimal import Decimal

import pytest
from django.db import connection, transaction
from rest_framework.test import APIClient

from tests.factories import LeagueFactory, LeagueTierFactory
from tests.leagues.conftest import day

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="prepared statements are PostgreSQL's"),
]

# The cohort read's statements among the connection's prepared ones (psycopg names them _pg3_N).
PLANS = """
SELECT COALESCE(SUM(generic_plans), 0), COALESCE(SUM(custom_plans), 0) FROM pg_prepared_statements
WHERE statement LIKE '%%FROM leagues l%%' OR statement LIKE '%%COUNT(*) OVER (PARTITION BY q.level, q.cohort)%%'
"""


def plans() -> tuple[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(PLANS)
        return cursor.fetchone()


def test_the_cohort_read_runs_its_statements_prepared_with_generic_plans(board, race, django_assert_num_queries):
    league = LeagueFactory(leaderboard=board, key="daily", cohort_size=3)
    LeagueTierFactory(league=league, level=1, name="Bronze", promote_percent=Decimal("33.3333"))
    LeagueTierFactory(league=league, level=2, name="Silver", promote_count=5, demote_count=1)
    period = day(1)
    race.gain(period, {"a": 5, "b": 3, "c": 3, "d": 1})
    race.run(period)
    api = APIClient()
    with transaction.atomic():  # planned for this execution only: no session setting inside a transaction
        first = api.get("/leagues/daily/clusters/b").json()
    generic, custom = plans()

    # 1. the league, the board's latest run and the cluster's place in its period 2. its cohort's standings
    with django_assert_num_queries(2 * 6):
        answers = [api.get(f"/leagues/daily/clusters/{c}").json() for c in "bbbbbd"]

    assert answers[:5] == [first] * 5
    assert answers[5]["cohort"] == {"id": "1-2", "size": 1}
    assert first["standings"] == [
        {"clusterId": "a", "rank": 1, "score": 5, "zone": "promote"},
        {"clusterId": "b", "rank": 2, "score": 3, "zone": "stay"},
        {"clusterId": "c", "rank": 2, "score": 3, "zone": "stay"},
    ]
    # Each of the 12 executions ran a plan made once for the connection, none planned for its values.
    assert plans() == (generic + 12, custom)
