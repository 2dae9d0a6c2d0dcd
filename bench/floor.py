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
from django.utils import timezone

from hedge.challenges.history_sql import PERIOD_GAINS, SCOPE_GAINS
from hedge.db import binary_collation, sql_datetime, sql_limit
from leaderboards import sql as lb_sql
from leaderboards.models import RankMode
from seasons import sql as season_sql_module

FLOOR_PREFIX = "bench_floor_"
ENTRIES = f"{FLOOR_PREFIX}leaderboard_entries"
LEGACY_ENTRIES = f"{FLOOR_PREFIX}legacy_entries"
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


def _retarget(statement: str, table: str, clone: str) -> str:
    """`statement` writing into (and reading) `clone` instead of `table`; fails loudly if it names no `table`."""
    retargeted, count = re.subn(rf"\b{re.escape(table)}\b", clone, statement)
    if not count:
        raise RuntimeError(f"the product's statement no longer names {table}: the floor cannot follow it")
    return retargeted


# Only the target: anything else the ranking reads from leaderboard_entries stays hedge's table.
_INSERT_ENTRIES = "INSERT INTO leaderboard_entries"


def _format_ranking(statement: str, *, rank_mode: str) -> str:
    rank_function = "RANK" if rank_mode == RankMode.COMPETITION else "DENSE_RANK"
    return statement.format(rank_function=rank_function, binary=binary_collation())


def current_values_sql(*, rank_mode: str = RankMode.DENSE) -> str:
    """hedge's own ALL_TIME ranking statement (leaderboards.sql.RANK["CURRENT_VALUES"]), into the floor's entries.

    The ranking is the statement, not a copy: the floor differs from hedge only in what is its
    point, the run's bookkeeping (run row, statuses, lock, commits).
    """
    statement = _retarget(lb_sql.RANK["CURRENT_VALUES"], _INSERT_ENTRIES, f"INSERT INTO {ENTRIES}")
    return _format_ranking(statement, rank_mode=rank_mode)


def ranking_params(
    *, run_id: int, challenge, fallback, limit: int, start=None, until=None, previous_run: int | None = None
) -> dict:
    # The leaderboard is given its "nothing" value: the floor's run records no exclusions, so the
    # statement's anti-join finds none (an operation that measures exclusions records them itself).
    # `previous_run`: the run whose ranks the entries carry as previous_rank (None: no join partner).
    now = timezone.now()
    return {
        "leaderboard": None,
        "previous_run": previous_run,
        "now": sql_datetime(now),
        "run": run_id,
        "challenge": challenge.pk,
        "fallback": fallback.pk if fallback else None,
        "limit": sql_limit(limit),
        "start": sql_datetime(start) if start else None,
        "until": sql_datetime(until) if until else None,
    }


def generate(*, run_id: int, challenge, fallback, limit: int, previous_run: int | None = None) -> int:
    """Rank current values into the floor's entries table for `run_id`; returns the rows written.

    With `previous_run`, each entry's previous_rank comes from that run's entries (hedge's table),
    by the same LEFT JOIN hedge's statement does.
    """
    params = ranking_params(
        run_id=run_id, challenge=challenge, fallback=fallback, limit=limit, previous_run=previous_run
    )
    with connection.cursor() as cursor:
        cursor.execute(current_values_sql(), params)
        return cursor.rowcount


# The old entries layout (before the lean one): a payload jsonb and created_at per row, and a
# checked foreign key to the run. Only its storage (and one timing) is reported, for before/after.
LEGACY_COLUMNS = (
    "ADD COLUMN payload jsonb NOT NULL DEFAULT '{}'::jsonb, ADD COLUMN created_at timestamptz NOT NULL DEFAULT now()"
)


def create_legacy_entries() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {LEGACY_ENTRIES} (LIKE leaderboard_entries INCLUDING ALL)")
        cursor.execute(f"ALTER TABLE {LEGACY_ENTRIES} {LEGACY_COLUMNS}")
        cursor.execute(
            f"ALTER TABLE {LEGACY_ENTRIES} ADD CONSTRAINT {LEGACY_ENTRIES}_run_fk FOREIGN KEY (run_id)"
            " REFERENCES leaderboard_runs (id) DEFERRABLE INITIALLY DEFERRED"
        )


def legacy_generate(*, run_id: int, challenge, fallback, limit: int, now) -> int:
    """The same ranking into the old layout, with the payload each row used to carry."""
    lean = current_values_sql()
    # The lean columns, as hedge's statement names them.
    insert = re.search(rf"INSERT INTO {ENTRIES} \(([^)]*)\)", lean)
    columns = insert[1]
    select = lean[insert.end() :]
    statement = (
        f"INSERT INTO {LEGACY_ENTRIES} ({columns}, payload, created_at)"
        f" SELECT l.*, jsonb_build_object('challengeCode', CAST(%(code)s AS text),"
        " 'fallbackChallengeCode', CAST(%(fallback_code)s AS text), 'fallbackValue', l.fallback_value), %(now)s"
        f" FROM ({select}) l"
    )
    params = ranking_params(run_id=run_id, challenge=challenge, fallback=fallback, limit=limit)
    params |= {"code": challenge.code, "fallback_code": fallback.code if fallback else None, "now": sql_datetime(now)}
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def bytes_per_row(table: str) -> dict:
    """pg_total_relation_size (heap, TOAST and every index) per row of `table`."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT pg_total_relation_size(%s::regclass), pg_relation_size(%s::regclass), count(*) FROM {table}",
            [table, table],
        )
        total, heap, rows = cursor.fetchone()
    return {
        "table": table,
        "rows": rows,
        "total_bytes": total,
        "heap_bytes": heap,
        "bytes_per_row": round(total / rows, 1) if rows else None,
    }


# --- gains: the as-of floor (PostgreSQL) --------------------------------------------------------

# The gain rule of hedge.challenges.history_sql.PERIOD_GAINS, written as the fastest plain as-of SQL
# found (same slots {challenges} and {clusters}, same parameters, same rows out):
# - the newest row of each pair inside (start, until] by DISTINCT ON over the period's rows
#   (progress_history_window_idx), instead of ROW_NUMBER() over them;
# - the baseline by one backward probe of progress_history_lookup_idx per pair, as a LATERAL join:
#   computed once per pair however often the outer statement uses the gain (a scalar subquery
#   inside the gain's expression is pulled up into every place the gain appears, e.g. both
#   `WHERE gain > 0` and `SUM(gain x weight)`, and probed each time);
# - each challenge's first history moment once per challenge, not once per pair.
FLOOR_GAINS = """
SELECT e.challenge_id AS challenge_id, e.cluster_id AS cluster_id, e.value - COALESCE(b.value,
    CASE WHEN %(start)s >= f.first_at THEN 0
         ELSE (SELECT a.value FROM challenge_progress_history a
               WHERE a.challenge_id = e.challenge_id AND a.cluster_id = e.cluster_id
               ORDER BY a.recorded_at, a.id LIMIT 1)
    END) AS gain
FROM (
    SELECT DISTINCT ON (h.challenge_id, h.cluster_id) h.challenge_id, h.cluster_id, h.value
    FROM challenge_progress_history h
    WHERE h.challenge_id IN ({challenges}) {clusters}
      AND h.recorded_at > %(start)s AND h.recorded_at <= %(until)s
    ORDER BY h.challenge_id, h.cluster_id, h.recorded_at DESC, h.id DESC
) e
JOIN (SELECT fc.id AS challenge_id,
             (SELECT MIN(m.recorded_at) FROM challenge_progress_history m WHERE m.challenge_id = fc.id) AS first_at
      FROM challenges fc WHERE fc.id IN ({challenges})) f ON f.challenge_id = e.challenge_id
LEFT JOIN LATERAL (
    SELECT b.value FROM challenge_progress_history b
    WHERE b.challenge_id = e.challenge_id AND b.cluster_id = e.cluster_id AND b.recorded_at <= %(start)s
    ORDER BY b.recorded_at DESC, b.id DESC LIMIT 1
) b ON true
"""


# The gains of the clusters of `{scope}` only (hedge.challenges.history_sql.SCOPE_GAINS, same slots
# {scope} and {challenges}, same rows out), as the fastest plain form found: per (cluster, challenge)
# pair a LATERAL probe of progress_history_lookup_idx for its newest row inside (start, until] and
# one for its baseline, and each challenge's first history moment once per challenge.
FLOOR_SCOPE_GAINS = """
SELECT k.id AS challenge_id, s.cluster_id AS cluster_id, e.value - COALESCE(b.value,
    CASE WHEN %(start)s >= k.first_at THEN 0
         ELSE (SELECT a.value FROM challenge_progress_history a
               WHERE a.challenge_id = k.id AND a.cluster_id = s.cluster_id
               ORDER BY a.recorded_at, a.id LIMIT 1)
    END) AS gain
FROM {scope} s
CROSS JOIN (SELECT fc.id AS id,
                   (SELECT MIN(m.recorded_at) FROM challenge_progress_history m WHERE m.challenge_id = fc.id)
                       AS first_at
            FROM challenges fc WHERE fc.id IN ({challenges})) k
JOIN LATERAL (
    SELECT h.value FROM challenge_progress_history h
    WHERE h.challenge_id = k.id AND h.cluster_id = s.cluster_id
      AND h.recorded_at > %(start)s AND h.recorded_at <= %(until)s
    ORDER BY h.recorded_at DESC, h.id DESC LIMIT 1
) e ON true
LEFT JOIN LATERAL (
    SELECT b.value FROM challenge_progress_history b
    WHERE b.challenge_id = k.id AND b.cluster_id = s.cluster_id AND b.recorded_at <= %(start)s
    ORDER BY b.recorded_at DESC, b.id DESC LIMIT 1
) b ON true
"""

_SLOTS = re.compile(r"\{(challenges|clusters|scope)\}")


def _template_pattern(template: str) -> re.Pattern:
    """A regex that finds `template` formatted with any values of its slots, capturing each by name."""
    parts = _SLOTS.split(template)
    pattern = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.*?)" for i, part in enumerate(parts))
    return re.compile(pattern, re.DOTALL)


def _swap(statement: str, hedge_template: str, floor_template: str) -> str:
    """`statement` with hedge's embedded `hedge_template` (formatted) replaced by `floor_template`, same slots."""
    matches = list(_template_pattern(hedge_template).finditer(statement))
    if len(matches) != 1:
        raise RuntimeError(f"expected hedge's gains subquery once in the statement, found it {len(matches)} times")
    found = matches[0]
    floor_gains = floor_template.format(**found.groupdict())
    return statement[: found.start()] + floor_gains + statement[found.end() :]


def swap_gains(statement: str) -> str:
    """`statement` with hedge's embedded gains subquery (PERIOD_GAINS) replaced by FLOOR_GAINS.

    Everything around it (the ranking or the season upsert) stays hedge's own statement, so the
    floor differs only in the as-of SQL, which is its point.
    """
    return _swap(statement, PERIOD_GAINS, FLOOR_GAINS)


def swap_scope_gains(statement: str) -> str:
    """`statement` with hedge's embedded gains of a scope of clusters (SCOPE_GAINS) replaced by FLOOR_SCOPE_GAINS."""
    return _swap(statement, SCOPE_GAINS, FLOOR_SCOPE_GAINS)


def gains_sql(*, rank_mode: str = RankMode.DENSE) -> str:
    """hedge's gains ranking (leaderboards.sql.RANK["GAINS"]) with the floor's as-of SQL, into the floor's entries."""
    statement = swap_gains(_retarget(lb_sql.RANK["GAINS"], _INSERT_ENTRIES, f"INSERT INTO {ENTRIES}"))
    return _format_ranking(statement, rank_mode=rank_mode)


def generate_gains(*, run_id: int, challenge, fallback, limit: int, start, until) -> int:
    params = ranking_params(
        run_id=run_id, challenge=challenge, fallback=fallback, limit=limit, start=start, until=until
    )
    with connection.cursor() as cursor:
        cursor.execute(gains_sql(), params)
        return cursor.rowcount


# --- seasons ------------------------------------------------------------------------------------


def _changed_clusters_cte() -> str:
    """hedge's own "clusters changed since" query (seasons.sql.CHANGED_CLUSTERS) as a CTE named `changed`.

    MATERIALIZED: as an inline `IN (subquery)` the planner re-joins the whole subquery per challenge
    (2.0 s instead of 0.8 s at a million clusters); computed once, it is the fastest plain form.
    hedge fills a temporary table with it instead (and ANALYZEs it), which the floor skips.
    """
    statement = season_sql_module.CHANGED_CLUSTERS
    select = statement[statement.index("SELECT") :]
    return f"WITH changed AS MATERIALIZED ({select}) "


def season_sql(*, changed_only: bool) -> str:
    """The bare `INSERT ... SELECT ... GROUP BY ... ON CONFLICT DO UPDATE` of LIFETIME season points.

    points = SUM(value x weight) over the season's weighted challenges, level = points //
    points_per_level; only rows whose points or level differ are rewritten. `changed_only`
    restricts it to the clusters with a weighted progress row changed since `%(since)s`.
    Its own statement (no zero rows for clusters that have a row but no progress: every seeded
    cluster has progress in every challenge), the fastest plain form of the v1 formula.
    """
    # `WHERE true` lets SQLite's parser tell the ON CONFLICT clause from a join constraint.
    scope = " WHERE p.cluster_id IN (SELECT cluster_id FROM changed)" if changed_only else " WHERE true"
    # SUM of bigint is numeric on PostgreSQL: cast before dividing, as hedge does.
    total = "CAST(SUM(p.value * w.weight) AS BIGINT)"
    return (
        f"{_changed_clusters_cte() if changed_only else ''}"
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


def season_params(season, *, now, changed_since=None) -> dict:
    return {
        "season": season.pk,
        "points_per_level": season.points_per_level,
        "now": sql_datetime(now),
        "since": sql_datetime(changed_since) if changed_since else None,
        "start": sql_datetime(season.starts_at),
        "until": sql_datetime(min(season.ends_at, now)),
    }


def recompute_season(*, season, now, changed_since=None) -> int:
    """LIFETIME season points into the floor's table, for every cluster or those changed since `changed_since`."""
    with connection.cursor() as cursor:
        cursor.execute(
            season_sql(changed_only=changed_since is not None),
            season_params(season, now=now, changed_since=changed_since),
        )
        return cursor.rowcount


def gains_season_sql(*, changed_only: bool) -> str:
    """hedge's GAINS season upsert (seasons.sql.GAINS_SEASON / GAINS_SCOPE) with the floor's as-of SQL.

    Into the floor's season_progress; the changed-clusters scope is a MATERIALIZED CTE of hedge's
    own query instead of hedge's temporary table.
    """
    if not changed_only:
        return swap_gains(_retarget(season_sql_module.GAINS_SEASON, "season_progress", SEASON_PROGRESS))
    statement = _retarget(season_sql_module.GAINS_SCOPE, "season_progress", SEASON_PROGRESS)
    statement = _retarget(statement, season_sql_module.SCOPE_TABLE, "changed")
    return _changed_clusters_cte() + swap_scope_gains(statement)


def recompute_gains_season(*, season, now, changed_since=None) -> int:
    """GAINS season points into the floor's table, for every cluster or those changed since `changed_since`."""
    with connection.cursor() as cursor:
        cursor.execute(
            gains_season_sql(changed_only=changed_since is not None),
            season_params(season, now=now, changed_since=changed_since),
        )
        return cursor.rowcount
