"""The bare-SQL floor: the fastest way to do hedge's data work on the same database, one statement each.

Each floor statement does what the matching hedge service computes, on the same rows with the
same join, window functions and ON CONFLICT, but none of the service's bookkeeping (run rows,
statuses, locks, counts). It writes into its own copy of hedge's target table
(`bench_floor_<table>`), created with the same columns, defaults, checks, indexes and foreign
keys, so hedge and the floor pay the same price for every row they write.
"""

from __future__ import annotations

import re

from django.db import connection

FLOOR_PREFIX = "bench_floor_"
ENTRIES = f"{FLOOR_PREFIX}leaderboard_entries"
SEASON_PROGRESS = f"{FLOOR_PREFIX}season_progress"


def _clone_table_postgresql(cursor, table: str, clone: str) -> None:
    cursor.execute(f"CREATE TABLE {clone} (LIKE {table} INCLUDING ALL)")
    # LIKE copies everything but foreign keys, whose deferred checks are part of the cost of a row.
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'",
        [table],
    )
    for name, definition in cursor.fetchall():
        cursor.execute(
            f"ALTER TABLE {clone} ADD CONSTRAINT {connection.ops.quote_name(clone + '_' + name)} {definition}"
        )


def _clone_table_sqlite(cursor, table: str, clone: str) -> None:
    cursor.execute("SELECT type, name, sql FROM sqlite_master WHERE tbl_name = %s AND sql IS NOT NULL", [table])
    rows = cursor.fetchall()
    quoted = re.compile(rf'"{re.escape(table)}"')
    for kind, name, sql in sorted(rows, key=lambda row: row[0] != "table"):
        statement = quoted.sub(f'"{clone}"', sql)
        if kind == "index":
            statement = statement.replace(f'"{name}"', f'"{FLOOR_PREFIX}{name}"', 1)
        cursor.execute(statement)


def create_floor_tables() -> None:
    """`bench_floor_leaderboard_entries` and `bench_floor_season_progress`, shaped like hedge's tables."""
    clone = _clone_table_postgresql if connection.vendor == "postgresql" else _clone_table_sqlite
    with connection.cursor() as cursor:
        clone(cursor, "leaderboard_entries", ENTRIES)
        clone(cursor, "season_progress", SEASON_PROGRESS)


# --- leaderboards -------------------------------------------------------------------------------


def _score_source(*, fallback: bool) -> str:
    # leaderboards.services._score_source_sql: one row per cluster with progress in the challenge.
    if not fallback:
        return (
            "SELECT p.cluster_id AS cluster_id, p.value AS score, 0 AS tiebreaker,"
            " CAST(NULL AS bigint) AS fallback_value"
            " FROM challenge_progress p WHERE p.challenge_id = %(challenge)s"
        )
    return (
        "SELECT p.cluster_id AS cluster_id, p.value AS score, COALESCE(f.value, 0) AS tiebreaker,"
        " f.value AS fallback_value FROM challenge_progress p"
        " LEFT JOIN challenge_progress f ON f.challenge_id = %(fallback)s AND f.cluster_id = p.cluster_id"
        " WHERE p.challenge_id = %(challenge)s"
    )


def generation_sql(*, fallback: bool, limit: bool) -> str:
    """One INSERT ... SELECT that ranks every cluster (or the top `%(limit)s`) into the floor's entries.

    The same window functions, order and payload as hedge's generation. With a limit the top rows
    are cut before the window functions run (a top-N sort or an index scan instead of a full
    sort): the fastest correct form, and the one hedge uses too.
    """
    source = _score_source(fallback=fallback)
    order = "s.score DESC, s.tiebreaker DESC, s.cluster_id"
    ranked = f"(SELECT s.* FROM ({source}) s ORDER BY {order} LIMIT %(limit)s) r" if limit else f"({source}) r"
    build_object = "jsonb_build_object" if connection.vendor == "postgresql" else "json_object"
    return (
        f"INSERT INTO {ENTRIES} (run_id, cluster_id, rank, position, score, tiebreaker, payload, created_at)"
        " SELECT %(run)s, r.cluster_id,"
        " DENSE_RANK() OVER (ORDER BY r.score DESC, r.tiebreaker DESC),"
        " ROW_NUMBER() OVER (ORDER BY r.score DESC, r.tiebreaker DESC, r.cluster_id),"
        " r.score, r.tiebreaker,"
        f" {build_object}('challengeCode', CAST(%(code)s AS text),"
        " 'fallbackChallengeCode', CAST(%(fallback_code)s AS text), 'fallbackValue', r.fallback_value),"
        " %(now)s"
        f" FROM {ranked}"
    )


def generate(*, run_id: int, challenge, fallback, limit: int, now) -> int:
    """Rank into the floor's entries table for `run_id`; returns the rows written."""
    params = {
        "run": run_id,
        "challenge": challenge.pk,
        "fallback": fallback.pk if fallback else None,
        "code": challenge.code,
        "fallback_code": fallback.code if fallback else None,
        "limit": limit,
        "now": connection.ops.adapt_datetimefield_value(now),
    }
    with connection.cursor() as cursor:
        cursor.execute(generation_sql(fallback=fallback is not None, limit=bool(limit)), params)
        return cursor.rowcount


# --- seasons ------------------------------------------------------------------------------------

# The clusters with a progress row in one of the season's weighted challenges changed since a moment.
# MATERIALIZED: as an inline `IN (subquery)` the planner re-joins the whole subquery per challenge
# (2.0 s instead of 0.8 s at a million clusters); computed once, it is the fastest plain form.
_CHANGED_CLUSTERS = (
    "WITH changed AS MATERIALIZED (SELECT DISTINCT q.cluster_id FROM challenge_progress q"
    " JOIN challenges qc ON qc.id = q.challenge_id"
    " JOIN season_challenge_weights qw ON qw.challenge_code = qc.code AND qw.season_id = %(season)s"
    " WHERE q.updated_at >= %(since)s) "
)


def season_sql(*, changed_only: bool) -> str:
    """The bare `INSERT ... SELECT ... GROUP BY ... ON CONFLICT DO UPDATE` of season points.

    points = SUM(value x weight) over the season's weighted challenges, level = points //
    points_per_level; only rows whose points or level differ are rewritten. `changed_only`
    restricts it to the clusters with a weighted progress row changed since `%(since)s`.
    """
    # `WHERE true` lets SQLite's parser tell the ON CONFLICT clause from a join constraint.
    scope = " WHERE p.cluster_id IN (SELECT cluster_id FROM changed)" if changed_only else " WHERE true"
    # SUM of bigint is numeric on PostgreSQL: cast before dividing, as hedge does.
    total = "CAST(SUM(p.value * w.weight) AS BIGINT)"
    return (
        f"{_CHANGED_CLUSTERS if changed_only else ''}"
        f"INSERT INTO {SEASON_PROGRESS} (season_id, cluster_id, points, level, updated_at)"
        f" SELECT %(season)s, p.cluster_id, {total}, {total} / %(points_per_level)s, %(now)s"
        " FROM challenge_progress p"
        " JOIN challenges c ON c.id = p.challenge_id"
        " JOIN season_challenge_weights w ON w.challenge_code = c.code AND w.season_id = %(season)s"
        f"{scope}"
        " GROUP BY p.cluster_id"
        " ON CONFLICT (season_id, cluster_id) DO UPDATE SET"
        " points = excluded.points, level = excluded.level, updated_at = excluded.updated_at"
        f" WHERE {SEASON_PROGRESS}.points <> excluded.points OR {SEASON_PROGRESS}.level <> excluded.level"
    )


def recompute_season(*, season, now, changed_since=None) -> int:
    """Season points into the floor's table, for every cluster or those changed since `changed_since`."""
    adapt = connection.ops.adapt_datetimefield_value
    params = {
        "season": season.pk,
        "points_per_level": season.points_per_level,
        "now": adapt(now),
        "since": adapt(changed_since) if changed_since else None,
    }
    with connection.cursor() as cursor:
        cursor.execute(season_sql(changed_only=changed_since is not None), params)
        return cursor.rowcount
