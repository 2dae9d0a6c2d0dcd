"""The ranking statements: each writes every entry of one run in one `INSERT ... SELECT`.

A statement is composed when this module is imported from three named parts, so each finished
statement is one constant (print it to read it whole):

- the scores (`_CURRENT_VALUES`, `_GAINS`, `_SEASON_POINTS`): one row `(cluster_id, score,
  tiebreaker, fallback_value[, reached_at])` per ranked cluster, in ranking order, cut to the top
  `%(limit)s` before the window functions run (the first N rows in the full order are the top N
  whatever the rank mode, and their ranks are the same as over every row, so the window functions
  see N rows);
- the excluded clusters (`_EXCLUDED_BY_RUN`: the exclusions recorded on the run, so a run uses one
  consistent set whatever is lifted or added meanwhile; `_EXCLUDED_NOW` for previews);
- `_RANKED`: ranks, positions, and each cluster's rank in the previous run (`%(previous_run)s`); ties
  on the score are ordered by `{tie_order}` (the tiebreaker, or for season points who reached them first).

Slots filled by `str.format` at run time: `{rank_function}` (DENSE_RANK or RANK) and `{binary}`
(hedge.db.binary_collation(), so ties are ordered by cluster id byte by byte on every database).
Parameters: `%(run)s`, `%(leaderboard)s`, `%(challenge)s` / `%(fallback)s` (NULL: none),
`%(limit)s` (hedge.db.sql_limit), `%(previous_run)s` (NULL: none), `%(now)s`; for gains `%(start)s`
and `%(until)s` = min(period end, now) (hedge.challenges.history_sql); for season points `%(season)s`.
The finished statements of each score source are in RANK, PREVIEW and COUNT, by source.
"""

from hedge.challenges.history_sql import PERIOD_GAINS

# The `{rank_function}` slot for each rank mode (leaderboards.models.RankMode).
RANK_FUNCTIONS = {"DENSE": "DENSE_RANK", "COMPETITION": "RANK"}

# Exclusions recorded on the run (RECORD_RUN_EXCLUSIONS). Uses index: leaderboard_run_exclusions_unique.
_EXCLUDED_BY_RUN = """
SELECT x.cluster_id FROM leaderboard_run_exclusions re
JOIN leaderboard_exclusions x ON x.id = re.exclusion_id
WHERE re.run_id = %(run)s
"""

# Exclusions of this leaderboard (or of every one) active at `now`. Uses index: lb_exclusions_active_idx.
_ACTIVE_EXCLUSIONS = """
SELECT x.id, x.cluster_id FROM leaderboard_exclusions x
WHERE (x.leaderboard_key = %(leaderboard)s OR x.leaderboard_key IS NULL)
  AND x.created_at <= %(now)s
  AND (x.lifted_at IS NULL OR x.lifted_at > %(now)s)
  AND (x.expires_at IS NULL OR x.expires_at > %(now)s)
"""
_EXCLUDED_NOW = f"SELECT a.cluster_id FROM ({_ACTIVE_EXCLUSIONS}) a"

# The exclusions a run applies, recorded before it ranks.
RECORD_RUN_EXCLUSIONS = f"""
INSERT INTO leaderboard_run_exclusions (run_id, exclusion_id)
SELECT %(run)s, a.id FROM ({_ACTIVE_EXCLUSIONS}) a
"""

# ALL_TIME: each cluster's current value; clusters without a progress row are not ranked.
# Uses index: challenge_progress_rank_idx (challenge, value desc), challenge_progress_unique_cluster (fallback).
_CURRENT_VALUES = """
SELECT p.cluster_id AS cluster_id, p.value AS score,
       COALESCE(f.value, 0) AS tiebreaker, f.value AS fallback_value, COUNT(*) OVER () AS ranked_total
FROM challenge_progress p
LEFT JOIN challenge_progress f ON f.challenge_id = %(fallback)s AND f.cluster_id = p.cluster_id
WHERE p.challenge_id = %(challenge)s
  AND NOT EXISTS (SELECT 1 FROM ({excluded}) e WHERE e.cluster_id = p.cluster_id)
ORDER BY p.value DESC, COALESCE(f.value, 0) DESC, p.cluster_id{binary}
LIMIT %(limit)s
"""

# DAILY / WEEKLY / MONTHLY / SEASON: what each cluster gained inside the period (PERIOD_GAINS); the
# tiebreaker is the fallback challenge's gain. Clusters that gained nothing (or lost) are not ranked.
# Uses index: see PERIOD_GAINS.
_GAINS = """
SELECT g.cluster_id AS cluster_id, g.score AS score, COALESCE(g.fallback_gain, 0) AS tiebreaker,
       CASE WHEN CAST(%(fallback)s AS bigint) IS NULL THEN NULL ELSE COALESCE(g.fallback_gain, 0) END
           AS fallback_value,
       COUNT(*) OVER () AS ranked_total
FROM (
    SELECT v.cluster_id AS cluster_id,
           MAX(CASE WHEN v.challenge_id = %(challenge)s AND v.gain > 0 THEN v.gain END) AS score,
           MAX(CASE WHEN v.challenge_id = %(fallback)s AND v.gain > 0 THEN v.gain END) AS fallback_gain
    FROM ({gains}) v
    GROUP BY v.cluster_id
) g
WHERE g.score IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM ({excluded}) e WHERE e.cluster_id = g.cluster_id)
ORDER BY g.score DESC, COALESCE(g.fallback_gain, 0) DESC, g.cluster_id{binary}
LIMIT %(limit)s
"""

# SEASON boards of season points: the points stored for the season (season_progress, kept current by
# the season engine; final once the season is finalized). Ties: the cluster that reached its points
# first (points_reached_at; rows written before it existed fall back to updated_at), then cluster id.
# Uses index: season_progress_rank_idx (season, points desc, cluster_id).
_SEASON_POINTS = """
SELECT s.cluster_id AS cluster_id, s.points AS score, 0 AS tiebreaker, CAST(NULL AS bigint) AS fallback_value,
       COALESCE(s.points_reached_at, s.updated_at) AS reached_at, COUNT(*) OVER () AS ranked_total
FROM season_progress s
WHERE s.season_id = %(season)s AND s.points > 0
  AND NOT EXISTS (SELECT 1 FROM ({excluded}) e WHERE e.cluster_id = s.cluster_id)
ORDER BY s.points DESC, COALESCE(s.points_reached_at, s.updated_at), s.cluster_id{binary}
LIMIT %(limit)s
"""

# Ranks and positions of the scores, and each cluster's rank in the previous run: one probe per
# entry, a plan that does not depend on the statistics (they never know the newest runs, and a join
# planned from them can go badly wrong).
# Uses index: leaderboard_entries_unique_cluster (the previous run's entry of each cluster).
_RANKED = """
SELECT r.cluster_id AS cluster_id,
       {rank_function}() OVER (ORDER BY r.score DESC, {tie_order}) AS rank,
       ROW_NUMBER() OVER (ORDER BY r.score DESC, {tie_order}, r.cluster_id{binary}) AS position,
       r.score AS score, r.tiebreaker AS tiebreaker, r.fallback_value AS fallback_value,
       r.ranked_total AS ranked_total,
       (SELECT pe.rank FROM leaderboard_entries pe
        WHERE pe.run_id = %(previous_run)s AND pe.cluster_id = r.cluster_id) AS previous_rank
FROM ({scores}) r
"""

# The run's ranked_total (clusters ranked before the cut) rides on its first entry only, so the one
# ranking statement records it; generation copies it onto the run (RANKED_TOTAL_OF_RUN).
_INSERT = """
INSERT INTO leaderboard_entries (run_id, cluster_id, rank, position, score, tiebreaker, fallback_value, previous_rank,
                                 ranked_total)
SELECT %(run)s, k.cluster_id, k.rank, k.position, k.score, k.tiebreaker, k.fallback_value, k.previous_rank,
       CASE WHEN k.position = 1 THEN k.ranked_total END
FROM ({ranked}) k
"""

# How many clusters the run ranked before the max_entries cut, as the ranking statement recorded it on
# the run's first entry (none: 0). Uses index: leaderboard_entries_unique_position (one probe).
RANKED_TOTAL_OF_RUN = """
SELECT e.ranked_total FROM leaderboard_entries e WHERE e.run_id = %(run)s AND e.position = 1
"""

# The entries of run %(run)s that moved most, each direction's top %(movers)s by rank change (previous_rank - rank;
# UP descending, DOWN ascending), ties by position; entries without a previous rank are not movers. Written when the
# run is generated, so a request reads a few rows instead of the run. Uses index: leaderboard_entries_unique_position
# (the run's entries: one read of the run, sorted top-N).
RECORD_RUN_MOVERS = """
INSERT INTO leaderboard_run_movers (run_id, direction, place, position)
SELECT m.run_id, m.direction, m.place, m.position
FROM (
    SELECT e.run_id AS run_id, 'UP' AS direction, e.position AS position,
           ROW_NUMBER() OVER (ORDER BY e.previous_rank - e.rank DESC, e.position) AS place
    FROM leaderboard_entries e
    WHERE e.run_id = %(run)s AND e.previous_rank IS NOT NULL
    UNION ALL
    SELECT e.run_id, 'DOWN', e.position,
           ROW_NUMBER() OVER (ORDER BY e.previous_rank - e.rank, e.position)
    FROM leaderboard_entries e
    WHERE e.run_id = %(run)s AND e.previous_rank IS NOT NULL
) m
WHERE m.place <= %(movers)s
"""

# A run's movers of one direction, the first %(limit)s by place, as entries.
# Uses index: leaderboard_run_movers_unique_place, then leaderboard_entries_unique_position.
MOVERS = """
SELECT e.rank, e.position, e.cluster_id, e.score, e.tiebreaker, e.fallback_value, e.previous_rank
FROM leaderboard_run_movers m
JOIN leaderboard_entries e ON e.run_id = m.run_id AND e.position = m.position
WHERE m.run_id = %(run)s AND m.direction = %(direction)s AND m.place <= %(limit)s
ORDER BY m.place
"""

# A preview: the top of what a run would rank now, written nowhere. Extra parameter: %(shown)s.
_PREVIEW = """
SELECT k.cluster_id, k.rank, k.position, k.score, k.tiebreaker, k.fallback_value
FROM ({ranked}) k
ORDER BY k.position
LIMIT %(shown)s
"""

# How many clusters a run would rank now (its row count).
_COUNT = "SELECT COUNT(*) FROM ({scores}) s"


def _compose(template: str, **parts: str) -> str:
    """Fill named parts into a template, leaving the run-time slots `{rank_function}` and `{binary}` in place."""
    return template.format(rank_function="{rank_function}", binary="{binary}", **parts)


_GAINS_OF_BOTH = PERIOD_GAINS.format(challenges="%(challenge)s, %(fallback)s", clusters="")

# Each score source with how its ties on the score are ordered (`{tie_order}` of _RANKED).
_SOURCES = {
    "CURRENT_VALUES": (_CURRENT_VALUES, "r.tiebreaker DESC"),
    "GAINS": (_GAINS, "r.tiebreaker DESC"),
    "SEASON_POINTS": (_SEASON_POINTS, "r.reached_at"),
}


def _ranked(source: str, excluded: str) -> str:
    scores, tie_order = _SOURCES[source]
    return _compose(_RANKED, scores=_compose(scores, excluded=excluded, gains=_GAINS_OF_BOTH), tie_order=tie_order)


# The finished statements, by score source (leaderboards.services.score_source).
RANK = {source: _compose(_INSERT, ranked=_ranked(source, _EXCLUDED_BY_RUN)) for source in _SOURCES}
PREVIEW = {source: _compose(_PREVIEW, ranked=_ranked(source, _EXCLUDED_NOW)) for source in _SOURCES}
COUNT = {
    source: _compose(_COUNT, scores=_compose(scores, excluded=_EXCLUDED_NOW, gains=_GAINS_OF_BOTH))
    for source, (scores, _) in _SOURCES.items()
}

# The admin's score histogram of one run: entries counted per 1-2-5 logarithmic bucket, read from the
# decimal digits (exact on every database, no floating-point logarithm). `digits` 0 holds scores <= 0;
# otherwise the bucket is [lead x 10^(digits-1), next) with lead 1, 2 or 5.
# Uses index: leaderboard_entries_unique_position (run_id, position): the run's entries only.
SCORE_HISTOGRAM = """
SELECT d.digits, d.lead, COUNT(*) AS entries
FROM (
    SELECT CASE WHEN e.score <= 0 THEN 0 ELSE LENGTH(CAST(e.score AS VARCHAR(20))) END AS digits,
           CASE WHEN e.score <= 0 THEN 0
                WHEN CAST(SUBSTR(CAST(e.score AS VARCHAR(20)), 1, 1) AS INTEGER) < 2 THEN 1
                WHEN CAST(SUBSTR(CAST(e.score AS VARCHAR(20)), 1, 1) AS INTEGER) < 5 THEN 2
                ELSE 5 END AS lead
    FROM leaderboard_entries e
    WHERE e.run_id = %(run)s
) d
GROUP BY d.digits, d.lead
ORDER BY d.digits, d.lead
"""

# One cluster of a run, its neighbours within %(around)s positions, and how many entries rank
# strictly behind it, in one round trip (the public cluster lookup). Ranks never decrease with
# position, so the last position tied with the cluster is found by a binary search over positions
# (`tied`: [lo, hi] always holds it and lo always has the cluster's rank): about log2(rows) probes of
# one entry each, whatever the size of the tie, instead of counting the run.
# Parameters: %(run)s, %(cluster)s, %(around)s.
# Uses index: leaderboard_entries_unique_cluster (run_id, cluster_id) for the cluster;
# leaderboard_entries_unique_position (run_id, position) for the last position, each probe and the neighbours.
CLUSTER_NEIGHBOURHOOD = """
WITH RECURSIVE me AS (
    SELECT e.position AS position, e.rank AS rank,
           (SELECT MAX(l.position) FROM leaderboard_entries l WHERE l.run_id = %(run)s) AS last_position
    FROM leaderboard_entries e
    WHERE e.run_id = %(run)s AND e.cluster_id = %(cluster)s
),
tied (lo, hi) AS (
    SELECT me.position, me.last_position FROM me
    UNION ALL
    SELECT CASE WHEN p.rank = me.rank THEN (t.lo + t.hi + 1) / 2 ELSE t.lo END,
           CASE WHEN p.rank = me.rank THEN t.hi ELSE (t.lo + t.hi + 1) / 2 - 1 END
    FROM tied t
    CROSS JOIN me
    JOIN leaderboard_entries p ON p.run_id = %(run)s AND p.position = (t.lo + t.hi + 1) / 2
    WHERE t.lo < t.hi
)
SELECT n.rank, n.position, n.cluster_id, n.score, n.tiebreaker, n.fallback_value, n.previous_rank,
       me.position AS cluster_position,
       me.last_position AS last_position,
       me.last_position - (SELECT t.lo FROM tied t WHERE t.lo = t.hi) AS behind
FROM me
JOIN leaderboard_entries n
  ON n.run_id = %(run)s AND n.position BETWEEN me.position - %(around)s AND me.position + %(around)s
ORDER BY n.position
"""

# Whether an exclusion the run applied names the cluster (why it has no entry).
# Uses index: lb_exclusions_cluster_idx, then leaderboard_run_exclusions_unique.
CLUSTER_EXCLUDED_FROM_RUN = """
SELECT 1 FROM leaderboard_exclusions x
JOIN leaderboard_run_exclusions re ON re.exclusion_id = x.id AND re.run_id = %(run)s
WHERE x.cluster_id = %(cluster)s
"""

# A keyset page of a run (the public reads): its entries after position %(after)s, by position, so
# position 900,001 costs what position 1 costs. Uses index: leaderboard_entries_unique_position.
ENTRIES_PAGE = """
SELECT e.rank, e.position, e.cluster_id, e.score, e.tiebreaker, e.fallback_value, e.previous_rank
FROM leaderboard_entries e
WHERE e.run_id = %(run)s AND e.position > %(after)s
ORDER BY e.position
LIMIT %(limit)s
"""

# The entries of several clusters of a run, by position. `{ids}` is hedge.db.json_strings("ids"):
# the ids, sent as one JSON array in %(ids)s, as a one-column subquery.
# Uses index: leaderboard_entries_unique_cluster (one probe per id).
ENTRIES_OF_CLUSTERS = """
SELECT e.rank, e.position, e.cluster_id, e.score, e.tiebreaker, e.fallback_value, e.previous_rank
FROM leaderboard_entries e
WHERE e.run_id = %(run)s AND e.cluster_id IN ({ids})
ORDER BY e.position
"""

# The lines a run's checksum is the SHA-256 of (leaderboards.checksum), one per entry in position
# order: "position,clusterId,rank,score,tiebreaker". Uses index: leaderboard_entries_unique_position.
CHECKSUM_LINES = """
SELECT CAST(e.position AS TEXT) || ',' || e.cluster_id || ',' || CAST(e.rank AS TEXT) || ','
       || CAST(e.score AS TEXT) || ',' || CAST(e.tiebreaker AS TEXT)
FROM leaderboard_entries e
WHERE e.run_id = %(run)s
ORDER BY e.position
"""


# PROCESSING runs of a leaderboard whose generation is gone: `{marker_gone}` is
# hedge.db.run_marker_gone_sql() (the run's session marker is no longer held; on SQLite, an age).
# Uses index: leaderboard_runs_latest_idx (the leaderboard's runs).
FAIL_ABANDONED_RUNS = """
UPDATE leaderboard_runs
SET status = 'FAILED', error = %(error)s, finished_at = %(now)s, updated_at = %(now)s
WHERE leaderboard_key = %(leaderboard)s AND status = 'PROCESSING' AND {marker_gone}
"""


# A cluster excluded from every leaderboard and the season pass at `%(now)s` (exclusions.active_q, no
# leaderboard): registered with seasons.selectors.withhold_progress_where, so the season progress
# read answers it inside its own statement. Uses index: lb_exclusions_cluster_idx.
EXCLUDED_EVERYWHERE = """EXISTS (
    SELECT 1 FROM leaderboard_exclusions x
    WHERE x.cluster_id = %(cluster)s AND x.leaderboard_key IS NULL AND x.created_at <= %(now)s
      AND (x.lifted_at IS NULL OR x.lifted_at > %(now)s)
      AND (x.expires_at IS NULL OR x.expires_at > %(now)s)
)"""
