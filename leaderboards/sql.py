"""The ranking statements: each writes every entry of one run in one `INSERT ... SELECT`.

Slots filled by `str.format`: `{rank_function}` (DENSE_RANK or RANK, from the definition's rank
mode) and `{binary}` (hedge.db.BINARY_COLLATION, so ties are ordered by cluster id byte by byte on
every database). Values are always named parameters:

- `%(run)s` the run, `%(challenge)s` / `%(fallback)s` the ranked challenge and its tiebreaker
  challenge (NULL: none), `%(limit)s` the definition's max_entries (hedge.db.sql_limit: no limit for 0);
- for gains, `%(start)s` the period's start and `%(until)s` min(period end, now) (hedge.challenges.history_sql).

The inner `ORDER BY ... LIMIT` cuts the top N before the window functions run: the first N rows in
the full order are the top N whatever the rank mode, and their ranks are the same as over every
row, so the window functions see N rows (a top-N sort instead of sorting every cluster).
"""

from hedge.challenges.history_sql import PERIOD_GAINS

# ALL_TIME: each cluster's current value, ranked; clusters without a progress row are not ranked.
# Uses index: challenge_progress_rank_idx (challenge, value desc), challenge_progress_unique_cluster (fallback).
RANK_CURRENT_VALUES = """
INSERT INTO leaderboard_entries (run_id, cluster_id, rank, position, score, tiebreaker, fallback_value)
SELECT %(run)s, r.cluster_id,
       {rank_function}() OVER (ORDER BY r.score DESC, r.tiebreaker DESC),
       ROW_NUMBER() OVER (ORDER BY r.score DESC, r.tiebreaker DESC, r.cluster_id{binary}),
       r.score, r.tiebreaker, r.fallback_value
FROM (
    SELECT p.cluster_id AS cluster_id, p.value AS score,
           COALESCE(f.value, 0) AS tiebreaker, f.value AS fallback_value
    FROM challenge_progress p
    LEFT JOIN challenge_progress f ON f.challenge_id = %(fallback)s AND f.cluster_id = p.cluster_id
    WHERE p.challenge_id = %(challenge)s
    ORDER BY p.value DESC, COALESCE(f.value, 0) DESC, p.cluster_id{binary}
    LIMIT %(limit)s
) r
"""

# DAILY / WEEKLY / MONTHLY / SEASON: what each cluster gained inside the period (PERIOD_GAINS; the
# tiebreaker is the fallback challenge's gain). Clusters that gained nothing (or lost) are not ranked.
# Uses index: see PERIOD_GAINS.
RANK_GAINS = """
INSERT INTO leaderboard_entries (run_id, cluster_id, rank, position, score, tiebreaker, fallback_value)
SELECT %(run)s, r.cluster_id,
       {rank_function}() OVER (ORDER BY r.score DESC, r.tiebreaker DESC),
       ROW_NUMBER() OVER (ORDER BY r.score DESC, r.tiebreaker DESC, r.cluster_id{binary}),
       r.score, r.tiebreaker, r.fallback_value
FROM (
    SELECT g.cluster_id AS cluster_id, g.score AS score, COALESCE(g.fallback_gain, 0) AS tiebreaker,
           CASE WHEN CAST(%(fallback)s AS bigint) IS NULL THEN NULL ELSE COALESCE(g.fallback_gain, 0) END
               AS fallback_value
    FROM (
        SELECT v.cluster_id AS cluster_id,
               MAX(CASE WHEN v.challenge_id = %(challenge)s AND v.gain > 0 THEN v.gain END) AS score,
               MAX(CASE WHEN v.challenge_id = %(fallback)s AND v.gain > 0 THEN v.gain END) AS fallback_gain
        FROM ({gains}) v
        GROUP BY v.cluster_id
    ) g
    WHERE g.score IS NOT NULL
    ORDER BY g.score DESC, COALESCE(g.fallback_gain, 0) DESC, g.cluster_id{binary}
    LIMIT %(limit)s
) r
""".format(
    gains=PERIOD_GAINS.format(challenges="%(challenge)s, %(fallback)s", clusters=""),
    rank_function="{rank_function}",
    binary="{binary}",
)
