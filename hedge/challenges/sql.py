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
# DEFAULT partition takes every row no month partition covers, so no write waits for one.

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
# Uses index: none (the DEFAULT partition holds the few rows carried past their month, see below)
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

# Before a month partition wholly older than the cutoff is dropped, the rows of it that a gain still
# needs are carried into the DEFAULT partition (their month has no partition any more), with their
# id and time unchanged: the rows DELETE_PRUNABLE_HISTORY would keep, i.e. of each (challenge,
# cluster) the newest row before the cutoff and the first row ever.
HISTORY_CARRY = "hedge_history_carry"
HISTORY_CARRY_COLUMNS = (
    f"id bigint, cluster_id varchar({CLUSTER_ID_MAX_LENGTH}), value bigint, "
    "recorded_at timestamptz, challenge_id bigint"
)
# The same rows, found set-wise: a row of the month [start, end) is the newest of its pair before
# the cutoff when it is the newest of the month and the pair has no row in [end, cutoff); it is the
# pair's first row when it is the oldest of the month and the pair has no row before `start`. Only
# those two rows per pair are looked up, not every row of the month.
# Uses index: progress_history_lookup_idx (both NOT EXISTS, in the other partitions)
STAGE_HISTORY_STILL_NEEDED = """
INSERT INTO hedge_history_carry (id, cluster_id, value, recorded_at, challenge_id)
SELECT e.id, e.cluster_id, e.value, e.recorded_at, e.challenge_id
FROM (
    SELECT h.id, h.cluster_id, h.value, h.recorded_at, h.challenge_id,
           ROW_NUMBER() OVER (PARTITION BY h.challenge_id, h.cluster_id
                              ORDER BY h.recorded_at DESC, h.id DESC) AS newest,
           ROW_NUMBER() OVER (PARTITION BY h.challenge_id, h.cluster_id
                              ORDER BY h.recorded_at, h.id) AS oldest
    FROM {partition} h
) e
WHERE (e.newest = 1 AND NOT EXISTS (SELECT 1 FROM challenge_progress_history n
                                    WHERE n.challenge_id = e.challenge_id AND n.cluster_id = e.cluster_id
                                      AND n.recorded_at >= %(end)s AND n.recorded_at < %(cutoff)s))
   OR (e.oldest = 1 AND NOT EXISTS (SELECT 1 FROM challenge_progress_history o
                                    WHERE o.challenge_id = e.challenge_id AND o.cluster_id = e.cluster_id
                                      AND o.recorded_at < %(start)s))
"""
LOCK_HISTORY_PARTITION_AGAINST_WRITES = "LOCK TABLE {partition} IN SHARE MODE"
COUNT_HISTORY_PARTITION = "SELECT COUNT(*) FROM {partition}"
DETACH_HISTORY_PARTITION = "ALTER TABLE challenge_progress_history DETACH PARTITION {partition}"
DROP_HISTORY_PARTITION = "DROP TABLE {partition}"
INSERT_CARRIED_HISTORY = """
INSERT INTO challenge_progress_history (id, cluster_id, value, recorded_at, challenge_id)
SELECT id, cluster_id, value, recorded_at, challenge_id FROM hedge_history_carry
"""

# DELETE_PRUNABLE_HISTORY for the rows of the DEFAULT partition only (rows carried earlier, rows of
# months without a partition): the month partitions go whole, when their month is before the cutoff.
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
