"""The floor: the fastest plain SQL a PostgreSQL engineer would write for each result hedge computes.

Every statement here is written for the benchmark alone, never derived from the product's text:
it reads the same tables and must produce the same rows (the runner compares them row for row,
EXCEPT both ways, and fails loudly on any difference). What it leaves out is what makes hedge a
product: run rows and statuses (unless the operation's floor records a run), locks, exclusions,
checksums, level curves, overflow guards, zero rows for clusters that earned nothing. It writes into
its own copy of hedge's target table (`bench_floor_<table>`, same columns, defaults, checks,
indexes and foreign keys), so both sides pay the same price for every row they write.

The slots are `{entries}` (the table written) and `{binary}` (hedge.core.db.binary_collation(): cluster
ids compared byte by byte, on SQLite as on PostgreSQL); the benchmark's boards are all DENSE.
"""

from __future__ import annotations

import re

from django.db import connection, transaction
from django.utils import timezone

from hedge.core.db import binary_collation, sql_datetime, sql_limit

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


# --- leaderboards: current values -----------------------------------------------------------------

# Every cluster with a value, ranked: DENSE_RANK and ROW_NUMBER over one sort, the tiebreaker by a
# hash join on the second challenge, the previous rank by a hash join on the previous run's entries
# (none when %(previous_run)s is NULL).
RANK_ALL = """
INSERT INTO {entries} (run_id, cluster_id, rank, position, score, tiebreaker, fallback_value, previous_rank)
SELECT %(run)s, s.cluster_id,
       DENSE_RANK() OVER (ORDER BY s.score DESC, s.tiebreaker DESC),
       ROW_NUMBER() OVER (ORDER BY s.score DESC, s.tiebreaker DESC, s.cluster_id{binary}),
       s.score, s.tiebreaker, s.fallback_value, pe.rank
FROM (SELECT p.cluster_id AS cluster_id, p.value AS score, COALESCE(f.value, 0) AS tiebreaker,
             f.value AS fallback_value
      FROM challenge_progress p
      LEFT JOIN challenge_progress f ON f.challenge_id = %(fallback)s AND f.cluster_id = p.cluster_id
      WHERE p.challenge_id = %(challenge)s) s
LEFT JOIN leaderboard_entries pe ON pe.run_id = %(previous_run)s AND pe.cluster_id = s.cluster_id
"""

# The top %(limit)s only: the first rows of the index on (challenge, value desc), then the ranks. Every
# entry carries how many clusters the challenge ranks before the cut (a run records it): one COUNT(*)
# of the challenge's rows, evaluated once.
RANK_TOP = """
INSERT INTO {entries} (run_id, cluster_id, rank, position, score, tiebreaker, fallback_value, previous_rank,
                       ranked_total)
SELECT %(run)s, s.cluster_id,
       DENSE_RANK() OVER (ORDER BY s.score DESC, s.tiebreaker DESC),
       ROW_NUMBER() OVER (ORDER BY s.score DESC, s.tiebreaker DESC, s.cluster_id{binary}),
       s.score, s.tiebreaker, s.fallback_value, pe.rank,
       (SELECT COUNT(*) FROM challenge_progress c WHERE c.challenge_id = %(challenge)s)
FROM (SELECT p.cluster_id AS cluster_id, p.value AS score, COALESCE(f.value, 0) AS tiebreaker,
             f.value AS fallback_value
      FROM challenge_progress p
      LEFT JOIN challenge_progress f ON f.challenge_id = %(fallback)s AND f.cluster_id = p.cluster_id
      WHERE p.challenge_id = %(challenge)s
      ORDER BY p.value DESC, COALESCE(f.value, 0) DESC, p.cluster_id{binary}
      LIMIT %(limit)s) s
LEFT JOIN leaderboard_entries pe ON pe.run_id = %(previous_run)s AND pe.cluster_id = s.cluster_id
"""

# A run as plain SQL records it, committed: the run row, its entries (RANK_TOP into hedge's own
# entries table, of the floor's twin board), the row marked complete with its count and the count
# before the cut that its entries carry.
INSERT_RUN = """
INSERT INTO leaderboard_runs (leaderboard_key, period_start, period_end, status, row_count, challenge_id,
                              fallback_challenge_id, error, created_at, updated_at, is_backfill, is_final,
                              exclusions_applied, definition_snapshot, checksum, note, ranked_total)
VALUES (%(leaderboard)s, %(period_start)s, %(now)s, 'PROCESSING', 0, %(challenge)s, %(fallback)s, '', %(now)s, %(now)s,
        false, false, 0, '{}', '', '', 0)
RETURNING id
"""
# The checksum of a published run (leaderboards.checksum: SHA-256 of "position,clusterId,rank,score,
# tiebreaker\n" lines in position order), computed by PostgreSQL; SQLite has no sha256(), so a
# placeholder satisfies the constraint there.
COMPLETE_RUN = """
UPDATE leaderboard_runs SET status = 'COMPLETE', row_count = %(rows)s,
       ranked_total = COALESCE((SELECT MAX(e.ranked_total) FROM leaderboard_entries e WHERE e.run_id = %(run)s), 0),
       finished_at = %(now)s, updated_at = %(now)s, checksum = {checksum}
WHERE id = %(run)s
"""
_CHECKSUM_POSTGRESQL = """(
    SELECT encode(sha256(convert_to(string_agg(e.position || ',' || e.cluster_id || ',' || e.rank || ','
                                               || e.score || ',' || e.tiebreaker || chr(10), '' ORDER BY e.position),
                                    'UTF8')), 'hex')
    FROM leaderboard_entries e WHERE e.run_id = %(run)s)"""


def _formatted(statement: str, *, entries: str = ENTRIES) -> str:
    return statement.format(entries=entries, binary=binary_collation())


def ranking_params(
    *, run_id: int, challenge, fallback, limit: int, start=None, until=None, previous_run: int | None = None
) -> dict:
    return {
        "run": run_id,
        "previous_run": previous_run,
        "challenge": challenge.pk,
        "fallback": fallback.pk if fallback else None,
        "limit": sql_limit(limit),
        "start": sql_datetime(start) if start else None,
        "until": sql_datetime(until) if until else None,
    }


def generate(*, run_id: int, challenge, fallback, limit: int, previous_run: int | None = None) -> int:
    """Rank current values into the floor's entries for `run_id` (RANK_TOP, or RANK_ALL when `limit` is 0)."""
    params = ranking_params(
        run_id=run_id, challenge=challenge, fallback=fallback, limit=limit, previous_run=previous_run
    )
    with connection.cursor() as cursor:
        cursor.execute(_formatted(RANK_TOP if limit else RANK_ALL), params)
        return cursor.rowcount


def generate_recorded_run(
    *,
    leaderboard: str,
    challenge,
    fallback,
    limit: int,
    previous_run: int | None = None,
    start=None,
    until=None,
) -> int:
    """A top-`limit` run recorded in plain SQL, committed: run row, entries, marked complete. Returns its id.

    Current values (RANK_TOP), or with `start` and `until` the gains in that period (RANK_GAINS).
    """
    now = timezone.now()
    params = ranking_params(
        run_id=0,
        challenge=challenge,
        fallback=fallback,
        limit=limit,
        previous_run=previous_run,
        start=start,
        until=until,
    )
    params |= {
        "leaderboard": leaderboard,
        "now": sql_datetime(now),
        "period_start": sql_datetime(start or now.replace(year=1970)),
    }
    ranking = RANK_GAINS if start is not None else RANK_TOP
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(INSERT_RUN, params)
        params["run"] = cursor.fetchone()[0]
        cursor.execute(_formatted(ranking, entries="leaderboard_entries"), params)
        params["rows"] = cursor.rowcount
        checksum = _CHECKSUM_POSTGRESQL if connection.vendor == "postgresql" else "'not computed on SQLite'"
        cursor.execute(COMPLETE_RUN.format(checksum=checksum), params)
    return params["run"]


# The old entries layout (before the lean one): a payload jsonb and created_at per row, and a
# checked foreign key to the run. Only its storage (and one timing) is reported, for before/after.
LEGACY_COLUMNS = (
    "ADD COLUMN payload jsonb NOT NULL DEFAULT '{}'::jsonb, ADD COLUMN created_at timestamptz NOT NULL DEFAULT now()"
)

LEGACY_RANK_ALL = f"""
INSERT INTO {LEGACY_ENTRIES} (run_id, cluster_id, rank, position, score, tiebreaker, fallback_value,
                              previous_rank, payload, created_at)
SELECT %(run)s, s.cluster_id,
       DENSE_RANK() OVER (ORDER BY s.score DESC, s.tiebreaker DESC),
       ROW_NUMBER() OVER (ORDER BY s.score DESC, s.tiebreaker DESC, s.cluster_id COLLATE "C"),
       s.score, s.tiebreaker, s.fallback_value, NULL,
       jsonb_build_object('challengeCode', CAST(%(code)s AS text),
                          'fallbackChallengeCode', CAST(%(fallback_code)s AS text),
                          'fallbackValue', s.fallback_value),
       %(now)s
FROM (SELECT p.cluster_id AS cluster_id, p.value AS score, COALESCE(f.value, 0) AS tiebreaker,
             f.value AS fallback_value
      FROM challenge_progress p
      LEFT JOIN challenge_progress f ON f.challenge_id = %(fallback)s AND f.cluster_id = p.cluster_id
      WHERE p.challenge_id = %(challenge)s) s
"""


def create_legacy_entries() -> None:
    """The old layout's table, made again on each call (a kept database still has the last run's)."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {LEGACY_ENTRIES}")
        cursor.execute(f"CREATE TABLE {LEGACY_ENTRIES} (LIKE leaderboard_entries INCLUDING ALL)")
        cursor.execute(f"ALTER TABLE {LEGACY_ENTRIES} {LEGACY_COLUMNS}")
        cursor.execute(
            f"ALTER TABLE {LEGACY_ENTRIES} ADD CONSTRAINT {LEGACY_ENTRIES}_run_fk FOREIGN KEY (run_id)"
            " REFERENCES leaderboard_runs (id) DEFERRABLE INITIALLY DEFERRED"
        )


def legacy_generate(*, run_id: int, challenge, fallback, now) -> int:
    """The full ranking into the old layout, with the payload each row used to carry (PostgreSQL)."""
    params = ranking_params(run_id=run_id, challenge=challenge, fallback=fallback, limit=0)
    params |= {"code": challenge.code, "fallback_code": fallback.code if fallback else None, "now": sql_datetime(now)}
    with connection.cursor() as cursor:
        cursor.execute(LEGACY_RANK_ALL, params)
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


# --- leaderboards: gains (PostgreSQL) -------------------------------------------------------------

# What each cluster gained in (start, until] in the board's challenge (the score) and its fallback
# (the tiebreaker), counted above 0, ranked. The gain rule (docs/scores.md) in plain as-of SQL:
# the newest row of each pair in the period by DISTINCT ON over the period's rows; its baseline, the
# newest row at or before `start`, by one backward LATERAL probe per pair, else 0 when the
# challenge's history began at or before `start`, else the pair's first row. Every entry carries how
# many clusters gained before the cut (COUNT(*) OVER (): the gains are all computed anyway).
RANK_GAINS = """
INSERT INTO {entries} (run_id, cluster_id, rank, position, score, tiebreaker, fallback_value, previous_rank,
                       ranked_total)
SELECT %(run)s, s.cluster_id,
       DENSE_RANK() OVER (ORDER BY s.score DESC, s.tiebreaker DESC),
       ROW_NUMBER() OVER (ORDER BY s.score DESC, s.tiebreaker DESC, s.cluster_id COLLATE "C"),
       s.score, s.tiebreaker, s.fallback_value, pe.rank, s.ranked_total
FROM (
    SELECT t.cluster_id, t.score, COALESCE(t.fallback_gain, 0) AS tiebreaker,
           CASE WHEN CAST(%(fallback)s AS bigint) IS NULL THEN NULL ELSE COALESCE(t.fallback_gain, 0) END
               AS fallback_value,
           COUNT(*) OVER () AS ranked_total
    FROM (
        SELECT g.cluster_id,
               MAX(g.gain) FILTER (WHERE g.challenge_id = %(challenge)s AND g.gain > 0) AS score,
               MAX(g.gain) FILTER (WHERE g.challenge_id = %(fallback)s AND g.gain > 0) AS fallback_gain
        FROM (
            SELECT e.challenge_id, e.cluster_id, e.value - COALESCE(b.value,
                CASE WHEN %(start)s >= f.first_at THEN 0
                     ELSE (SELECT a.value FROM challenge_progress_history a
                           WHERE a.challenge_id = e.challenge_id AND a.cluster_id = e.cluster_id
                           ORDER BY a.recorded_at, a.id LIMIT 1)
                END) AS gain
            FROM (
                SELECT DISTINCT ON (h.challenge_id, h.cluster_id) h.challenge_id, h.cluster_id, h.value
                FROM challenge_progress_history h
                WHERE h.challenge_id IN (%(challenge)s, %(fallback)s)
                  AND h.recorded_at > %(start)s AND h.recorded_at <= %(until)s
                ORDER BY h.challenge_id, h.cluster_id, h.recorded_at DESC, h.id DESC
            ) e
            JOIN (SELECT c.id AS challenge_id,
                         (SELECT MIN(m.recorded_at) FROM challenge_progress_history m WHERE m.challenge_id = c.id)
                             AS first_at
                  FROM challenges c WHERE c.id IN (%(challenge)s, %(fallback)s)) f ON f.challenge_id = e.challenge_id
            LEFT JOIN LATERAL (
                SELECT b.value FROM challenge_progress_history b
                WHERE b.challenge_id = e.challenge_id AND b.cluster_id = e.cluster_id AND b.recorded_at <= %(start)s
                ORDER BY b.recorded_at DESC, b.id DESC LIMIT 1
            ) b ON true
        ) g
        GROUP BY g.cluster_id
    ) t
    WHERE t.score IS NOT NULL
    ORDER BY t.score DESC, COALESCE(t.fallback_gain, 0) DESC, t.cluster_id COLLATE "C"
    LIMIT %(limit)s
) s
LEFT JOIN leaderboard_entries pe ON pe.run_id = %(previous_run)s AND pe.cluster_id = s.cluster_id
"""


def generate_gains(*, run_id: int, challenge, fallback, limit: int, start, until) -> int:
    params = ranking_params(
        run_id=run_id, challenge=challenge, fallback=fallback, limit=limit, start=start, until=until
    )
    with connection.cursor() as cursor:
        cursor.execute(RANK_GAINS.format(entries=ENTRIES), params)
        return cursor.rowcount


# --- seasons --------------------------------------------------------------------------------------

# LIFETIME points of every cluster: SUM(value x weight) over the season's weighted challenges, one
# GROUP BY, one upsert that rewrites only rows whose points or level changed. `WHERE true` lets
# SQLite's parser tell the ON CONFLICT clause from a join constraint; SUM of bigint is numeric on
# PostgreSQL, so it is cast before dividing.
LIFETIME_ALL = f"""
INSERT INTO {SEASON_PROGRESS} (season_id, cluster_id, points, level, updated_at, points_reached_at)
SELECT %(season)s, t.cluster_id, t.points, t.points / %(points_per_level)s, %(now)s,
       CASE WHEN t.points > 0 THEN %(now)s END
FROM (SELECT p.cluster_id AS cluster_id, CAST(SUM(p.value * w.weight) AS BIGINT) AS points
      FROM challenge_progress p
      JOIN challenges c ON c.id = p.challenge_id
      JOIN season_challenge_weights w ON w.challenge_code = c.code AND w.season_id = %(season)s
      GROUP BY p.cluster_id) t
WHERE true
ON CONFLICT (season_id, cluster_id) DO UPDATE
SET points = excluded.points, level = excluded.level, updated_at = excluded.updated_at,
    points_reached_at = CASE WHEN excluded.points > {SEASON_PROGRESS}.points THEN excluded.updated_at
                             ELSE {SEASON_PROGRESS}.points_reached_at END
WHERE {SEASON_PROGRESS}.points <> excluded.points OR {SEASON_PROGRESS}.level <> excluded.level
"""

# The same for the clusters with a weighted progress row updated since %(since)s: found once (a
# MATERIALIZED CTE: as an inline IN (subquery) the planner re-joins it per challenge), their rows by
# challenge_progress_cluster_idx.
LIFETIME_CHANGED = f"""
WITH changed AS MATERIALIZED (
    SELECT p.cluster_id
    FROM challenge_progress p
    JOIN challenges c ON c.id = p.challenge_id
    JOIN season_challenge_weights w ON w.challenge_code = c.code AND w.season_id = %(season)s
    WHERE p.updated_at >= %(since)s
)
INSERT INTO {SEASON_PROGRESS} (season_id, cluster_id, points, level, updated_at, points_reached_at)
SELECT %(season)s, t.cluster_id, t.points, t.points / %(points_per_level)s, %(now)s,
       CASE WHEN t.points > 0 THEN %(now)s END
FROM (SELECT p.cluster_id AS cluster_id, CAST(SUM(p.value * w.weight) AS BIGINT) AS points
      FROM challenge_progress p
      JOIN challenges c ON c.id = p.challenge_id
      JOIN season_challenge_weights w ON w.challenge_code = c.code AND w.season_id = %(season)s
      WHERE p.cluster_id IN (SELECT k.cluster_id FROM changed k)
      GROUP BY p.cluster_id) t
WHERE true
ON CONFLICT (season_id, cluster_id) DO UPDATE
SET points = excluded.points, level = excluded.level, updated_at = excluded.updated_at,
    points_reached_at = CASE WHEN excluded.points > {SEASON_PROGRESS}.points THEN excluded.updated_at
                             ELSE {SEASON_PROGRESS}.points_reached_at END
WHERE {SEASON_PROGRESS}.points <> excluded.points OR {SEASON_PROGRESS}.level <> excluded.level
"""

# GAINS points of every cluster (PostgreSQL): SUM(gain x weight) over the gains above 0 in (start,
# until], the gains as in RANK_GAINS (DISTINCT ON over the period's rows, a LATERAL baseline probe).
GAINS_ALL = f"""
INSERT INTO {SEASON_PROGRESS} (season_id, cluster_id, points, level, updated_at, points_reached_at)
SELECT %(season)s, t.cluster_id, t.points, t.points / %(points_per_level)s, %(now)s,
       CASE WHEN t.points > 0 THEN %(now)s END
FROM (
    SELECT g.cluster_id, CAST(SUM(g.gain * g.weight) AS BIGINT) AS points
    FROM (
        SELECT e.cluster_id, f.weight, e.value - COALESCE(b.value,
            CASE WHEN %(start)s >= f.first_at THEN 0
                 ELSE (SELECT a.value FROM challenge_progress_history a
                       WHERE a.challenge_id = e.challenge_id AND a.cluster_id = e.cluster_id
                       ORDER BY a.recorded_at, a.id LIMIT 1)
            END) AS gain
        FROM (
            SELECT DISTINCT ON (h.challenge_id, h.cluster_id) h.challenge_id, h.cluster_id, h.value
            FROM challenge_progress_history h
            WHERE h.challenge_id IN (SELECT c.id FROM challenges c
                                     JOIN season_challenge_weights w
                                       ON w.challenge_code = c.code AND w.season_id = %(season)s)
              AND h.recorded_at > %(start)s AND h.recorded_at <= %(until)s
            ORDER BY h.challenge_id, h.cluster_id, h.recorded_at DESC, h.id DESC
        ) e
        JOIN (SELECT c.id AS challenge_id, w.weight,
                     (SELECT MIN(m.recorded_at) FROM challenge_progress_history m WHERE m.challenge_id = c.id)
                         AS first_at
              FROM challenges c
              JOIN season_challenge_weights w ON w.challenge_code = c.code AND w.season_id = %(season)s) f
          ON f.challenge_id = e.challenge_id
        LEFT JOIN LATERAL (
            SELECT b.value FROM challenge_progress_history b
            WHERE b.challenge_id = e.challenge_id AND b.cluster_id = e.cluster_id AND b.recorded_at <= %(start)s
            ORDER BY b.recorded_at DESC, b.id DESC LIMIT 1
        ) b ON true
    ) g
    WHERE g.gain > 0
    GROUP BY g.cluster_id
) t
ON CONFLICT (season_id, cluster_id) DO UPDATE
SET points = excluded.points, level = excluded.level, updated_at = excluded.updated_at,
    points_reached_at = CASE WHEN excluded.points > {SEASON_PROGRESS}.points THEN excluded.updated_at
                             ELSE {SEASON_PROGRESS}.points_reached_at END
WHERE {SEASON_PROGRESS}.points <> excluded.points OR {SEASON_PROGRESS}.level <> excluded.level
"""

# GAINS points of the clusters changed since %(since)s (PostgreSQL): per (cluster, weighted
# challenge) pair, one LATERAL probe of the history's lookup index for its newest row in the
# period and one for its baseline.
GAINS_CHANGED = f"""
WITH changed AS MATERIALIZED (
    SELECT DISTINCT p.cluster_id
    FROM challenge_progress p
    JOIN challenges c ON c.id = p.challenge_id
    JOIN season_challenge_weights w ON w.challenge_code = c.code AND w.season_id = %(season)s
    WHERE p.updated_at >= %(since)s
)
INSERT INTO {SEASON_PROGRESS} (season_id, cluster_id, points, level, updated_at, points_reached_at)
SELECT %(season)s, t.cluster_id, t.points, t.points / %(points_per_level)s, %(now)s,
       CASE WHEN t.points > 0 THEN %(now)s END
FROM (
    SELECT g.cluster_id, CAST(SUM(g.gain * g.weight) AS BIGINT) AS points
    FROM (
        SELECT k.cluster_id, f.weight, e.value - COALESCE(b.value,
            CASE WHEN %(start)s >= f.first_at THEN 0
                 ELSE (SELECT a.value FROM challenge_progress_history a
                       WHERE a.challenge_id = f.challenge_id AND a.cluster_id = k.cluster_id
                       ORDER BY a.recorded_at, a.id LIMIT 1)
            END) AS gain
        FROM changed k
        CROSS JOIN (SELECT c.id AS challenge_id, w.weight,
                           (SELECT MIN(m.recorded_at) FROM challenge_progress_history m WHERE m.challenge_id = c.id)
                               AS first_at
                    FROM challenges c
                    JOIN season_challenge_weights w ON w.challenge_code = c.code AND w.season_id = %(season)s) f
        JOIN LATERAL (
            SELECT h.value FROM challenge_progress_history h
            WHERE h.challenge_id = f.challenge_id AND h.cluster_id = k.cluster_id
              AND h.recorded_at > %(start)s AND h.recorded_at <= %(until)s
            ORDER BY h.recorded_at DESC, h.id DESC LIMIT 1
        ) e ON true
        LEFT JOIN LATERAL (
            SELECT b.value FROM challenge_progress_history b
            WHERE b.challenge_id = f.challenge_id AND b.cluster_id = k.cluster_id AND b.recorded_at <= %(start)s
            ORDER BY b.recorded_at DESC, b.id DESC LIMIT 1
        ) b ON true
    ) g
    WHERE g.gain > 0
    GROUP BY g.cluster_id
) t
ON CONFLICT (season_id, cluster_id) DO UPDATE
SET points = excluded.points, level = excluded.level, updated_at = excluded.updated_at,
    points_reached_at = CASE WHEN excluded.points > {SEASON_PROGRESS}.points THEN excluded.updated_at
                             ELSE {SEASON_PROGRESS}.points_reached_at END
WHERE {SEASON_PROGRESS}.points <> excluded.points OR {SEASON_PROGRESS}.level <> excluded.level
"""


def season_params(season, *, now, changed_since=None) -> dict:
    return {
        "season": season.pk,
        "points_per_level": season.points_per_level,
        "now": sql_datetime(now),
        "since": sql_datetime(changed_since) if changed_since else None,
        "start": sql_datetime(season.starts_at),
        "until": sql_datetime(min(season.ends_at, now)),
    }


def season_sql(*, gains: bool, changed_only: bool) -> str:
    if gains:
        return GAINS_CHANGED if changed_only else GAINS_ALL
    return LIFETIME_CHANGED if changed_only else LIFETIME_ALL


def recompute_season(*, season, now, changed_since=None, gains: bool = False) -> int:
    """Season points into the floor's table, for every cluster or those changed since `changed_since`."""
    with connection.cursor() as cursor:
        cursor.execute(
            season_sql(gains=gains, changed_only=changed_since is not None),
            season_params(season, now=now, changed_since=changed_since),
        )
        return cursor.rowcount
