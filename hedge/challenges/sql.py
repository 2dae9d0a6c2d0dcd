"""The raw SQL of the challenge substrate: one statement per constant, placeholders named."""

from .models import CLUSTER_ID_MAX_LENGTH

PROGRESS_STAGE = "hedge_progress_stage"
PROGRESS_STAGE_COLUMNS = f"""
cluster_id varchar({CLUSTER_ID_MAX_LENGTH}) NOT NULL CHECK (length(cluster_id) BETWEEN 1 AND {CLUSTER_ID_MAX_LENGTH}),
challenge_id bigint NOT NULL, value bigint NOT NULL CHECK (value >= 0), PRIMARY KEY (challenge_id, cluster_id)"""

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
