"""The run reads name their columns: a column a later migration adds never breaks code that does not know it."""

import pytest
from django.db import connection

from leaderboards import selectors
from leaderboards.services import generate_leaderboard_run
from tests.factories import LeaderboardDefFactory, given_progress

pytestmark = pytest.mark.django_db


def add_column(table: str) -> None:
    # What a deploy's migration does while the old code still serves (a new column, before any code reads it).
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's own rows: their foreign keys checked now
        cursor.execute(f"ALTER TABLE {table} ADD COLUMN added_later integer")


def test_the_latest_run_is_read_whole_after_its_table_gains_a_column(wins):
    LeaderboardDefFactory(key="lb", challenge=wins)
    given_progress(wins, {"a": 3, "b": 2})
    generated = generate_leaderboard_run("lb")
    assert selectors.latest_complete_run("lb").pk == generated.pk  # read (and prepared) before the migration

    add_column("leaderboard_runs")
    add_column("challenges")
    run = selectors.latest_complete_run("lb")

    assert (run.pk, run.row_count, run.leaderboard.key, run.challenge.code) == (generated.pk, 2, "lb", "wins")
    assert selectors.published_run("lb", generated.pk).checksum == generated.checksum
