"""The raw SQL of the challenge substrate: one statement per constant, placeholders named."""

from .models import CLUSTER_ID_MAX_LENGTH, MAX_PROGRESS_VALUE

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
