"""The ranking statement's plan does not hang on statistics that have not seen the previous run."""

import json
import re

import pytest
from django.db import connection, transaction
from django.utils import timezone

from hedge.challenges.models import ChallengeProgress
from hedge.core.db import binary_collation, json_strings, ranking_plan, sql_datetime, sql_limit
from leaderboards import sql
from leaderboards.models import ANALYZED_RUN_ENTRIES, LeaderboardEntry
from leaderboards.services import generate_leaderboard_run
from tests.factories import ChallengeProgressFactory, LeaderboardDefFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="planner settings are PostgreSQL's"),
]


def _setting(cursor, name: str) -> str:
    cursor.execute(f"SHOW {name}")
    return cursor.fetchone()[0]


def test_ranking_plan_turns_materialize_memoize_and_jit_off_for_its_block_only():
    switches = ("enable_material", "enable_memoize", "jit")
    with transaction.atomic(), connection.cursor() as cursor:
        before = [_setting(cursor, name) for name in switches]
        with ranking_plan(cursor):
            assert [_setting(cursor, name) for name in switches] == ["off", "off", "off"]
        after = [_setting(cursor, name) for name in switches]
        assert after == before == ["on", "on", _setting(cursor, "jit")]


def many_clusters(challenge, count: int, *, distinct_values: int) -> None:
    """`count` clusters in `challenge`, their values repeating every `distinct_values` (ties)."""
    now = timezone.now()
    ChallengeProgress.objects.bulk_create(
        ChallengeProgressFactory.build(
            challenge=challenge, cluster_id=f"c{i:05d}", value=i % distinct_values, updated_at=now
        )
        for i in range(count)
    )


def test_the_previous_rank_is_never_a_rescanned_copy_of_a_previous_run_the_statistics_do_not_know(wins):
    many_clusters(wins, 2000, distinct_values=97)
    LeaderboardDefFactory(key="top_wins", challenge=wins, max_entries=1000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE leaderboard_entries")  # before the previous run exists
    previous = generate_leaderboard_run("top_wins")
    params = {
        "run": previous.pk,
        "leaderboard": "top_wins",
        "challenge": wins.pk,
        "fallback": None,
        "limit": sql_limit(1000),
        "previous_run": previous.pk,
        "now": sql_datetime(previous.finished_at),
    }
    statement = sql.RANK["CURRENT_VALUES"].format(rank_function="DENSE_RANK", binary=binary_collation())

    with transaction.atomic(), connection.cursor() as cursor:
        with ranking_plan(cursor):
            cursor.execute(f"EXPLAIN {statement}", params)
            plan = "\n".join(row for (row,) in cursor.fetchall())
        transaction.set_rollback(True)

    # Estimated at one row, the previous run's 1,000 entries would otherwise be materialized and
    # scanned once per entry (1,000 x 1,000 comparisons; 200,000 x 200,000 for a full ranking).
    assert "Materialize" not in plan
    assert LeaderboardEntry.objects.filter(run=previous).count() == 1000


def test_a_run_is_written_in_position_order_when_the_previous_run_is_larger_than_the_default_hash_memory(wins):
    many_clusters(wins, 5000, distinct_values=997)
    LeaderboardDefFactory(key="all_wins", challenge=wins, max_entries=0)
    with connection.cursor() as cursor:
        # A table the statistics know empty, in new files (no free space left behind by earlier tests' rows), so the
        # order the rows are stored in (ctid) is the order they were written in.
        cursor.execute("TRUNCATE leaderboard_entries CASCADE")
        cursor.execute("ANALYZE leaderboard_entries")
        # 64 kB: the default hash memory (2 x work_mem) would hash the previous run's 5,000 entries in batches.
        cursor.execute("SET work_mem = '64kB'")
    generate_leaderboard_run("all_wins")

    run = generate_leaderboard_run("all_wins")

    with connection.cursor() as cursor:
        cursor.execute("SELECT position FROM leaderboard_entries WHERE run_id = %s ORDER BY ctid", [run.pk])
        written = [position for (position,) in cursor.fetchall()]
    assert written == list(range(1, 5001))
    assert LeaderboardEntry.objects.filter(run=run, previous_rank__isnull=False).count() == 5000


def test_the_ranked_total_is_read_back_by_one_probe_even_when_the_statistics_do_not_know_the_run(wins):
    now = timezone.now()
    ChallengeProgress.objects.bulk_create(
        ChallengeProgressFactory.build(challenge=wins, cluster_id=f"c{i:04d}", value=i, updated_at=now)
        for i in range(3000)
    )
    LeaderboardDefFactory(key="all_wins", challenge=wins, max_entries=0)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE leaderboard_entries")  # before the run exists
    run = generate_leaderboard_run("all_wins")

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN ANALYZE {sql.RANKED_TOTAL_OF_RUN}", {"run": run.pk})
        plan = "\n".join(row for (row,) in cursor.fetchall())

    assert "leaderboard_entries_unique_position" in plan
    assert "Rows Removed by Filter" not in plan
    assert run.ranked_total == 3000


def _most_rows_of_any_node(statement: str, params: dict) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, TIMING OFF) {statement}", params)
        plan = "\n".join(row for (row,) in cursor.fetchall())
    return max(int(rows) * int(loops) for rows, loops in re.findall(r"actual rows=(\d+) loops=(\d+)", plan))


def _estimated_entries(run_id: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) SELECT 1 FROM leaderboard_entries WHERE run_id = %s", [run_id])
        return cursor.fetchone()[0][0]["Plan"]["Plan Rows"]


def test_the_statistics_know_a_large_run_as_soon_as_it_is_published(wins):
    many_clusters(wins, ANALYZED_RUN_ENTRIES, distinct_values=997)
    LeaderboardDefFactory(key="all_wins", challenge=wins, max_entries=0)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE leaderboard_entries")  # statistics from before the run: autovacuum has not come by
    run = generate_leaderboard_run("all_wins")

    # Statistics that did not know the run estimated it at one row, and the lookups read every entry of it
    # (a 9 s cluster lookup at a million entries, a 503) where they should probe the indexes.
    assert _estimated_entries(run.pk) > ANALYZED_RUN_ENTRIES // 2
    several = {"run": run.pk, "ids": json.dumps(["c00007", "c09999", "nobody"])}
    assert _most_rows_of_any_node(sql.ENTRIES_OF_CLUSTERS.format(ids=json_strings("ids")), several) < 100
