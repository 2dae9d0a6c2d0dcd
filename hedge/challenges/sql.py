"""The raw SQL of the challenge substrate: one statement per constant, placeholders named."""

from hedge.core.clusters import CLUSTER_ID_MAX_LENGTH

from .models import MAX_PROGRESS_VALUE

# The rows an ETL run or an import is about to write: checked like challenge_progress itself, so a
# bad row fails the load before anything is written.
PROGRESS_STAGE = "hedge_progress_stage"
_STAGED_ROW = f"""
cluster_id varchar({CLUSTER_ID_MAX_LENGTH}) NOT NULL CHECK (length(cluster_id) BETWEEN 1 AND {CLUSTER_ID_MAX_LENGTH}),
challenge_id bigint NOT NULL, value bigint NOT NULL CHECK (value BETWEEN 0 AND {MAX_PROGRESS_VALUE})"""
PROGRESS_STAGE_COLUMNS = f"{_STAGED_ROW}, PRIMARY KEY (challenge_id, cluster_id)"
# An import stages its rows with their line numbers and without the primary key, so that a
# (challenge, cluster) given twice is found by DUPLICATE_STAGED_LINES and reported with both lines.
IMPORT_STAGE_COLUMNS = f"line bigint NOT NULL, {_STAGED_ROW}"

# Each line that repeats the (challenge, cluster) of an earlier line, with that first line; the
# first `limit` by line and how many there are in all.
# Uses index: none (a temp table read twice: one aggregate, one hash join)
DUPLICATE_STAGED_LINES = """
SELECT s.line, s.cluster_id, c.code, f.first_line, COUNT(*) OVER ()
FROM (SELECT challenge_id, cluster_id, MIN(line) AS first_line FROM hedge_progress_stage
      GROUP BY challenge_id, cluster_id HAVING COUNT(*) > 1) f
JOIN hedge_progress_stage s ON s.challenge_id = f.challenge_id AND s.cluster_id = f.cluster_id AND s.line > f.first_line
JOIN challenges c ON c.id = s.challenge_id
ORDER BY s.line
LIMIT %(limit)s
"""

# Uses index: challenge_progress_unique_cluster
COUNT_STAGED_CHANGES = """
SELECT COALESCE(SUM(CASE WHEN p.id IS NULL THEN 1 ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN p.value <> s.value THEN 1 ELSE 0 END), 0)
FROM hedge_progress_stage s
LEFT JOIN challenge_progress p ON p.challenge_id = s.challenge_id AND p.cluster_id = s.cluster_id
"""

# Uses index: challenge_progress_unique_cluster
INSERT_STAGED_HISTORY = """
INSERT INTO challenge_progress_history (cluster_id, challenge_id, value, recorded_at)
SELECT s.cluster_id, s.challenge_id, s.value, %(now)s
FROM hedge_progress_stage s
LEFT JOIN challenge_progress p ON p.challenge_id = s.challenge_id AND p.cluster_id = s.cluster_id
WHERE p.id IS NULL OR p.value <> s.value
"""

# Uses index: challenge_progress_unique_cluster (the conflict target), challenge_tiers_unique_tier (the tier)
UPSERT_STAGED_PROGRESS = """
INSERT INTO challenge_progress (cluster_id, challenge_id, value, current_tier, updated_at)
SELECT s.cluster_id, s.challenge_id, s.value, COALESCE((SELECT MAX(t.tier) FROM challenge_tiers t
       WHERE t.challenge_id = s.challenge_id AND t.threshold <= s.value), 0), %(now)s
FROM hedge_progress_stage s
WHERE true  -- lets the SQLite parser tell the ON CONFLICT clause from a join constraint
ON CONFLICT (challenge_id, cluster_id) DO UPDATE
SET value = excluded.value, current_tier = excluded.current_tier, updated_at = excluded.updated_at
WHERE challenge_progress.value <> excluded.value
"""

# Uses index: challenge_progress_unique_cluster, challenge_tiers_unique_tier; {challenge_ids}: a placeholder per id
RECOMPUTE_TIERS = """
UPDATE challenge_progress SET current_tier = COALESCE((SELECT MAX(t.tier) FROM challenge_tiers t
    WHERE t.challenge_id = challenge_progress.challenge_id AND t.threshold <= challenge_progress.value), 0)
WHERE challenge_id IN ({challenge_ids}) AND current_tier <> COALESCE((SELECT MAX(t.tier) FROM challenge_tiers t
    WHERE t.challenge_id = challenge_progress.challenge_id AND t.threshold <= challenge_progress.value), 0)
"""

# One batch of history rows that no kept period needs: recorded before the cutoff, yet neither
# the newest row of its (challenge, cluster) before the cutoff (a later period's baseline) nor its
# first row ever (the baseline of a period that started before history began).
# Uses index: progress_history_lookup_idx (both EXISTS), progress_history_window_idx (the scan).
DELETE_PRUNABLE_HISTORY = """
DELETE FROM challenge_progress_history
WHERE id IN (
    SELECT h.id FROM challenge_progress_history h
    WHERE h.challenge_id = %(challenge)s AND h.recorded_at < %(cutoff)s
      AND EXISTS (SELECT 1 FROM challenge_progress_history n
                  WHERE n.challenge_id = h.challenge_id AND n.cluster_id = h.cluster_id
                    AND n.recorded_at < %(cutoff)s
                    AND (n.recorded_at > h.recorded_at OR (n.recorded_at = h.recorded_at AND n.id > h.id)))
      AND EXISTS (SELECT 1 FROM challenge_progress_history o
                  WHERE o.challenge_id = h.challenge_id AND o.cluster_id = h.cluster_id
                    AND (o.recorded_at < h.recorded_at OR (o.recorded_at = h.recorded_at AND o.id < h.id)))
    LIMIT %(batch)s
)
"""

# --- challenge_progress_history's month partitions (PostgreSQL; migration 0004) ---------------------
# Month partitions are named challenge_progress_history_YYYY_MM and cover that month in UTC; the
# baseline partition (below) covers every month already dropped; the DEFAULT partition takes every row no
# other partition covers, so no write waits for one.

# Whether challenge_progress_history is partitioned (PostgreSQL after migration 0004).
HISTORY_IS_PARTITIONED = """
SELECT EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = 'challenge_progress_history'::regclass)
"""

# The month partitions, oldest first.
HISTORY_MONTH_PARTITIONS = """
SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = 'challenge_progress_history'::regclass
  AND c.relname ~ '^challenge_progress_history_[0-9]{4}_[0-9]{2}$'
ORDER BY c.relname
"""

# Creating and dropping partitions take this transaction-scoped advisory lock ("hpart" in ASCII), so
# the ETL, an import and the cron command creating the same month one after the other never collide.
LOCK_HISTORY_PARTITIONING = "SELECT pg_advisory_xact_lock(448562033268)"
HISTORY_PARTITION_EXISTS = "SELECT to_regclass(%(name)s) IS NOT NULL"

# A month partition is built beside the table, takes the rows the DEFAULT partition holds for its
# month (rows written before it existed), then is attached: attaching a new partition over rows
# the DEFAULT partition still holds would fail.
CREATE_HISTORY_PARTITION_TABLE = """
CREATE TABLE {partition} (LIKE challenge_progress_history INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
"""
# Uses index: none (the DEFAULT partition holds only the few rows no other partition covers)
MOVE_DEFAULT_HISTORY_INTO_PARTITION = """
WITH moved AS (
    DELETE FROM challenge_progress_history_default
    WHERE recorded_at >= %(start)s AND recorded_at < %(end)s
    RETURNING id, cluster_id, value, recorded_at, challenge_id
)
INSERT INTO {partition} (id, cluster_id, value, recorded_at, challenge_id)
SELECT id, cluster_id, value, recorded_at, challenge_id FROM moved
"""
ATTACH_HISTORY_PARTITION = """
ALTER TABLE challenge_progress_history ATTACH PARTITION {partition} FOR VALUES FROM (%(start)s) TO (%(end)s)
"""

# The baseline partition: of the months already dropped, the rows a gain still needs (DELETE_PRUNABLE_HISTORY's
# rule: of each (challenge, cluster) the newest row before the cutoff and the first row ever), ids and times
# unchanged, FOR VALUES FROM (MINVALUE) TO the end of the newest month dropped. Each prune of a month rebuilds it
# beside the table (..._base_next) and swaps it in: no row is ever deleted from it one by one. Its name does not
# match HISTORY_MONTH_PARTITIONS's pattern.
HISTORY_BASE = "challenge_progress_history_base"
HISTORY_BASE_NEXT = "challenge_progress_history_base_next"

# The end of the baseline partition's range, or NULL before the first month is dropped.
HISTORY_BASE_END = r"""
SELECT (SELECT (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \(''([^'']+)''\)'))[1]::timestamptz
        FROM pg_class c WHERE c.oid = to_regclass('challenge_progress_history_base'))
"""

# The next baseline, with the bound as a CHECK constraint: ATTACH then knows every row fits without scanning.
CREATE_HISTORY_BASE_TABLE = """
CREATE TABLE challenge_progress_history_base_next (
    LIKE challenge_progress_history INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
    CONSTRAINT challenge_progress_history_base_bound CHECK (recorded_at < %(end)s)
)
"""
# Rows recorded before `end` (the end of the month being dropped): the baseline, that month, and any rows the
# DEFAULT partition holds for months that never had a partition (or carried there by an earlier version).
# Uses index: none (every row before `end` is read once)
COUNT_HISTORY_BEFORE = "SELECT COUNT(*) FROM challenge_progress_history WHERE recorded_at < %(end)s"
# Of those rows, the ones a gain still needs, in one pass over them sorted by pair and time (the order
# progress_history_lookup_idx reads the new table in): the pair's first row (every row before it is gone
# already), and its last row before `end` unless the pair has a newer one before the cutoff.
# Uses index: progress_history_lookup_idx (the ordered read of the baseline and the month; the NOT EXISTS, in
# the partitions from `end` to the cutoff)
BUILD_HISTORY_BASE = """
INSERT INTO challenge_progress_history_base_next (id, cluster_id, value, recorded_at, challenge_id)
SELECT e.id, e.cluster_id, e.value, e.recorded_at, e.challenge_id
FROM (
    SELECT h.id, h.cluster_id, h.value, h.recorded_at, h.challenge_id,
           ROW_NUMBER() OVER w AS nth, LEAD(true) OVER w IS NULL AS last
    FROM challenge_progress_history h
    WHERE h.recorded_at < %(end)s
    WINDOW w AS (PARTITION BY h.challenge_id, h.cluster_id ORDER BY h.recorded_at, h.id)
) e
WHERE e.nth = 1
   OR (e.last AND NOT EXISTS (SELECT 1 FROM challenge_progress_history n
                              WHERE n.challenge_id = e.challenge_id AND n.cluster_id = e.cluster_id
                                AND n.recorded_at >= %(end)s AND n.recorded_at < %(cutoff)s))
"""
# For this transaction only: should the planner sort every row before `end` for the window (~30M at 1M clusters
# x 10 challenges) instead of reading the baseline and the month in order through progress_history_lookup_idx
# (its plan at 200k x 2), the sort would spill in many runs at the default 4MB; the index builds below sort the
# whole new baseline in maintenance_work_mem. The prune runs alone at night, one sort at a time.
SET_HISTORY_BASE_MEMORY = """
SELECT set_config('work_mem', '256MB', true), set_config('maintenance_work_mem', '256MB', true)
"""
# The parent's indexes and foreign key, built after the load (one sort each instead of a row-by-row insert)
# and before the swap, so readers do not wait for them: ATTACH adopts each one that matches the parent's
# and would build any missing one itself (the partition tests check that none is). Measured at 200k x 2
# (docs/benchmarks.md): 1.6 s here; left to ATTACH, about as long in all but inside the swap.
HISTORY_BASE_INDEXES = (
    "ALTER TABLE challenge_progress_history_base_next ADD PRIMARY KEY (id, recorded_at)",
    "CREATE INDEX ON challenge_progress_history_base_next (challenge_id, cluster_id, recorded_at)",
    "CREATE INDEX ON challenge_progress_history_base_next (challenge_id, recorded_at)",
    "CREATE INDEX ON challenge_progress_history_base_next (challenge_id)",
    "ALTER TABLE challenge_progress_history_base_next ADD FOREIGN KEY (challenge_id) REFERENCES challenges (id)"
    " DEFERRABLE INITIALLY DEFERRED",
)
# The rows folded into the next baseline leave the DEFAULT partition (ATTACH refuses a range it holds rows of).
# Uses index: none (the DEFAULT partition holds only rows no month covers: few, once folded)
DELETE_DEFAULT_HISTORY_BEFORE = "DELETE FROM challenge_progress_history_default WHERE recorded_at < %(end)s"
RENAME_HISTORY_BASE_NEXT = "ALTER TABLE challenge_progress_history_base_next RENAME TO challenge_progress_history_base"
ATTACH_HISTORY_BASE = """
ALTER TABLE challenge_progress_history ATTACH PARTITION challenge_progress_history_base
FOR VALUES FROM (MINVALUE) TO (%(end)s)
"""

LOCK_HISTORY_PARTITION_AGAINST_WRITES = "LOCK TABLE {partition} IN SHARE MODE"
DETACH_HISTORY_PARTITION = "ALTER TABLE challenge_progress_history DETACH PARTITION {partition}"
DROP_HISTORY_PARTITION = "DROP TABLE {partition}"

# DELETE_PRUNABLE_HISTORY for the rows of the DEFAULT partition only (rows of months without a partition, older
# than the cutoff with no month left to drop: rare): month partitions go whole, their needed rows into the baseline.
# Uses index: progress_history_window_idx (the batch), progress_history_lookup_idx (both EXISTS)
DELETE_PRUNABLE_DEFAULT_HISTORY = """
DELETE FROM challenge_progress_history_default
WHERE id IN (
    SELECT h.id FROM challenge_progress_history_default h
    WHERE h.challenge_id = %(challenge)s AND h.recorded_at < %(cutoff)s
      AND EXISTS (SELECT 1 FROM challenge_progress_history n
                  WHERE n.challenge_id = h.challenge_id AND n.cluster_id = h.cluster_id
                    AND n.recorded_at < %(cutoff)s
                    AND (n.recorded_at > h.recorded_at OR (n.recorded_at = h.recorded_at AND n.id > h.id)))
      AND EXISTS (SELECT 1 FROM challenge_progress_history o
                  WHERE o.challenge_id = h.challenge_id AND o.cluster_id = h.cluster_id
                    AND (o.recorded_at < h.recorded_at OR (o.recorded_at = h.recorded_at AND o.id < h.id)))
    LIMIT %(batch)s
)
"""
