"""The statements that write season_progress: one `INSERT ... SELECT ... ON CONFLICT DO UPDATE` each.

A cluster's points are SUM over the season's weights of weight x what the challenge counts
(LIFETIME: its value; GAINS: its gain over the season, from challenge_progress_history, counted
only above 0); its level is read from the season's level curve, or is points // points_per_level
without one (seasons/levels.py is the same rule in Python). Only rows whose points or level differ
are rewritten, so `updated_at` says when they last changed.

`..._SEASON` statements compute every cluster that earned something plus every cluster that
already has a row (a removed weight or a corrected value brings stale points down). `..._SCOPE`
statements compute the clusters in the temporary table `seasons_recompute_scope`, each of which
gets a row (0 points when it earned nothing).

Each upsert is one constant, read as written. Its one slot, `{guard}`, is a clause filled by the
caller: OVERFLOW_GUARD for a season whose sums could overflow (services._can_overflow), else "".
The gain rule (hedge.challenges.history_sql) is embedded where a statement needs it.

Shared by every upsert: a cluster with a recorded error (FIND_OVERFLOWS) is left as it is (the
guard filters it before its sum is cast); `WHERE true` lets SQLite's parser tell the ON CONFLICT
clause from a join constraint; SUM of bigint is numeric on PostgreSQL, so it is cast before
dividing, or the level would be rounded. The level: with a level curve (season_levels), the
highest level whose threshold the points reach (0 below level 1; capped at the last level);
without one, points // points_per_level; the EXISTS is uncorrelated, evaluated once.
`points_reached_at` moves only when the points increase (the season board's tie-break); a row
with 0 points has reached nothing.

Parameters: `%(season)s`, `%(points_per_level)s`, `%(now)s` (the rows' updated_at); GAINS and
values as of a moment: `%(start)s`, `%(until)s` (see hedge.challenges.history_sql).
"""

from hedge.challenges.history_sql import PERIOD_GAINS, SCOPE_GAINS, VALUES_AS_OF

SCOPE_TABLE = "seasons_recompute_scope"

# The season's weighted challenges: the challenge set of the gain rule in this module's statements.
_WEIGHTED_CHALLENGES = (
    "SELECT wc.id FROM challenges wc"
    " JOIN season_challenge_weights ww ON ww.challenge_code = wc.code AND ww.season_id = %(season)s"
)
# The gain rule over the season's weighted challenges: for every cluster, for the scope's clusters
# (pair by pair), and the values as of a moment.
_SEASON_GAINS = PERIOD_GAINS.format(challenges=_WEIGHTED_CHALLENGES, clusters="")
_SCOPE_GAINS = SCOPE_GAINS.format(scope=SCOPE_TABLE, challenges=_WEIGHTED_CHALLENGES)
_SEASON_VALUES_AS_OF = VALUES_AS_OF.format(challenges=_WEIGHTED_CHALLENGES, clusters="")

# The `{guard}` of a season whose sums could overflow: clusters with a recorded error are left out
# before they are summed. Other seasons' statements go without it: no error can exist for them,
# and it costs a probe per progress row. Uses index: season_progress_errors_unique_cluster.
OVERFLOW_GUARD = """WHERE NOT EXISTS (SELECT 1 FROM season_progress_errors x
                      WHERE x.season_id = %(season)s AND x.cluster_id = r.cluster_id)"""

# LIFETIME, every cluster: current values x weight, summed per cluster (`e`), then joined to the clusters the season
# already stores (`s`), which get 0 when they no longer earn anything. Summed before the join, the sum reads the
# season's rows in cluster order from challenge_progress_cluster_idx alone and hands them on in that order, so the
# upsert probes and extends season_progress_unique_cluster page after page; a UNION ALL of the stored clusters with
# the progress rows was hashed instead (its groups unknown to the planner) and reached the indexes in hash order:
# 22 s against 17 s from empty at 1,000,000 clusters. The stored clusters are asked for in cluster order, which
# season_progress_unique_cluster gives as it reads them, so the join merges two ordered streams whatever the
# statistics say: when they had not seen the season's rows (estimated at one row), the planner read them through
# another index and sorted them on disk, 1.5 s more at 1,000,000. A cluster left out by the `{guard}` is left out
# of both sides, so its stored row stays as it is.
# Uses index: challenge_progress_cluster_idx (every row, in cluster order), season_progress_unique_cluster (the
# stored clusters in order, and the upsert), season_levels_threshold_idx (the level).
LIFETIME_SEASON = """
INSERT INTO season_progress (season_id, cluster_id, points, level, updated_at, points_reached_at)
SELECT %(season)s, t.cluster_id, t.points,
       CASE WHEN EXISTS (SELECT 1 FROM season_levels c WHERE c.season_id = %(season)s)
            THEN COALESCE((SELECT l.level FROM season_levels l
                           WHERE l.season_id = %(season)s AND l.points_required <= t.points
                           ORDER BY l.points_required DESC LIMIT 1), 0)
            ELSE t.points / %(points_per_level)s
       END,
       %(now)s,
       CASE WHEN t.points > 0 THEN %(now)s END
FROM (
    SELECT COALESCE(e.cluster_id, s.cluster_id) AS cluster_id, COALESCE(e.points, 0) AS points
    FROM (SELECT r.cluster_id AS cluster_id, CAST(SUM(r.points) AS BIGINT) AS points
          FROM (SELECT p.cluster_id AS cluster_id, p.value * w.weight AS points
                FROM challenge_progress p
                JOIN challenges c ON c.id = p.challenge_id
                JOIN season_challenge_weights w ON w.challenge_code = c.code AND w.season_id = %(season)s) r
          {guard}
          GROUP BY r.cluster_id) e
    FULL JOIN (SELECT r.cluster_id AS cluster_id
               FROM (SELECT sp.cluster_id AS cluster_id FROM season_progress sp WHERE sp.season_id = %(season)s
                     ORDER BY sp.cluster_id) r
               {guard}) s
      ON s.cluster_id = e.cluster_id
) t
WHERE true
ON CONFLICT (season_id, cluster_id) DO UPDATE
SET points = excluded.points, level = excluded.level, updated_at = excluded.updated_at,
    points_reached_at = CASE WHEN excluded.points > season_progress.points THEN excluded.updated_at
                             ELSE season_progress.points_reached_at END
WHERE season_progress.points <> excluded.points OR season_progress.level <> excluded.level
"""

# LIFETIME, the scope's clusters, by one scan of the season's challenges (a large scope).
# Uses index: challenge_progress_cluster_idx (the scope's rows), season_levels_threshold_idx.
LIFETIME_SCOPE = """
INSERT INTO season_progress (season_id, cluster_id, points, level, updated_at, points_reached_at)
SELECT %(season)s, t.cluster_id, t.points,
       CASE WHEN EXISTS (SELECT 1 FROM season_levels c WHERE c.season_id = %(season)s)
            THEN COALESCE((SELECT l.level FROM season_levels l
                           WHERE l.season_id = %(season)s AND l.points_required <= t.points
                           ORDER BY l.points_required DESC LIMIT 1), 0)
            ELSE t.points / %(points_per_level)s
       END,
       %(now)s,
       CASE WHEN t.points > 0 THEN %(now)s END
FROM (
    SELECT r.cluster_id AS cluster_id, CAST(SUM(r.points) AS BIGINT) AS points
    FROM (SELECT p.cluster_id AS cluster_id, p.value * w.weight AS points
          FROM challenge_progress p
          JOIN challenges c ON c.id = p.challenge_id
          JOIN season_challenge_weights w ON w.challenge_code = c.code AND w.season_id = %(season)s
          WHERE p.cluster_id IN (SELECT s.cluster_id FROM seasons_recompute_scope s)
          UNION ALL
          SELECT s.cluster_id AS cluster_id, 0 AS points FROM seasons_recompute_scope s) r
    {guard}
    GROUP BY r.cluster_id
) t
WHERE true
ON CONFLICT (season_id, cluster_id) DO UPDATE
SET points = excluded.points, level = excluded.level, updated_at = excluded.updated_at,
    points_reached_at = CASE WHEN excluded.points > season_progress.points THEN excluded.updated_at
                             ELSE season_progress.points_reached_at END
WHERE season_progress.points <> excluded.points OR season_progress.level <> excluded.level
"""

# LIFETIME, the scope's clusters one by one: each cluster's weighted values summed by one descent of
# challenge_progress_cluster_idx, so a few thousand changed clusters cost a few thousand probes whatever
# the table's size (joined to the scope, the planner scans every progress row of the season's
# challenges once the scope has more than a few hundred clusters; one probe per (cluster, challenge)
# pair costs ten times the descents). Uses index: challenge_progress_cluster_idx, season_levels_threshold_idx.
LIFETIME_SCOPE_BY_INDEX = """
INSERT INTO season_progress (season_id, cluster_id, points, level, updated_at, points_reached_at)
SELECT %(season)s, t.cluster_id, t.points,
       CASE WHEN EXISTS (SELECT 1 FROM season_levels c WHERE c.season_id = %(season)s)
            THEN COALESCE((SELECT l.level FROM season_levels l
                           WHERE l.season_id = %(season)s AND l.points_required <= t.points
                           ORDER BY l.points_required DESC LIMIT 1), 0)
            ELSE t.points / %(points_per_level)s
       END,
       %(now)s,
       CASE WHEN t.points > 0 THEN %(now)s END
FROM (
    SELECT r.cluster_id AS cluster_id, CAST(SUM(r.points) AS BIGINT) AS points
    FROM (SELECT s.cluster_id AS cluster_id,
                 (SELECT SUM(p.value * w.weight) FROM challenge_progress p
                  JOIN challenges c ON c.id = p.challenge_id
                  JOIN season_challenge_weights w ON w.challenge_code = c.code AND w.season_id = %(season)s
                  WHERE p.cluster_id = s.cluster_id) AS points
          FROM seasons_recompute_scope s
          UNION ALL
          SELECT s.cluster_id AS cluster_id, 0 AS points FROM seasons_recompute_scope s) r
    {guard}
    GROUP BY r.cluster_id
) t
WHERE true
ON CONFLICT (season_id, cluster_id) DO UPDATE
SET points = excluded.points, level = excluded.level, updated_at = excluded.updated_at,
    points_reached_at = CASE WHEN excluded.points > season_progress.points THEN excluded.updated_at
                             ELSE season_progress.points_reached_at END
WHERE season_progress.points <> excluded.points OR season_progress.level <> excluded.level
"""

# GAINS, every cluster: gains over the season (above 0) x weight. Uses index: see PERIOD_GAINS.
GAINS_SEASON = f"""
INSERT INTO season_progress (season_id, cluster_id, points, level, updated_at, points_reached_at)
SELECT %(season)s, t.cluster_id, t.points,
       CASE WHEN EXISTS (SELECT 1 FROM season_levels c WHERE c.season_id = %(season)s)
            THEN COALESCE((SELECT l.level FROM season_levels l
                           WHERE l.season_id = %(season)s AND l.points_required <= t.points
                           ORDER BY l.points_required DESC LIMIT 1), 0)
            ELSE t.points / %(points_per_level)s
       END,
       %(now)s,
       CASE WHEN t.points > 0 THEN %(now)s END
FROM (
    SELECT r.cluster_id AS cluster_id, CAST(SUM(r.points) AS BIGINT) AS points
    FROM (SELECT g.cluster_id AS cluster_id, g.gain * w.weight AS points
          FROM ({_SEASON_GAINS}) g
          JOIN challenges c ON c.id = g.challenge_id
          JOIN season_challenge_weights w ON w.challenge_code = c.code AND w.season_id = %(season)s
          WHERE g.gain > 0
          UNION ALL
          SELECT sp.cluster_id AS cluster_id, 0 AS points FROM season_progress sp WHERE sp.season_id = %(season)s) r
    {{guard}}
    GROUP BY r.cluster_id
) t
WHERE true
ON CONFLICT (season_id, cluster_id) DO UPDATE
SET points = excluded.points, level = excluded.level, updated_at = excluded.updated_at,
    points_reached_at = CASE WHEN excluded.points > season_progress.points THEN excluded.updated_at
                             ELSE season_progress.points_reached_at END
WHERE season_progress.points <> excluded.points OR season_progress.level <> excluded.level
"""

# GAINS, the scope's clusters, pair by pair through the history's lookup index. Uses index: see
# SCOPE_GAINS.
GAINS_SCOPE = f"""
INSERT INTO season_progress (season_id, cluster_id, points, level, updated_at, points_reached_at)
SELECT %(season)s, t.cluster_id, t.points,
       CASE WHEN EXISTS (SELECT 1 FROM season_levels c WHERE c.season_id = %(season)s)
            THEN COALESCE((SELECT l.level FROM season_levels l
                           WHERE l.season_id = %(season)s AND l.points_required <= t.points
                           ORDER BY l.points_required DESC LIMIT 1), 0)
            ELSE t.points / %(points_per_level)s
       END,
       %(now)s,
       CASE WHEN t.points > 0 THEN %(now)s END
FROM (
    SELECT r.cluster_id AS cluster_id, CAST(SUM(r.points) AS BIGINT) AS points
    FROM (SELECT g.cluster_id AS cluster_id, g.gain * w.weight AS points
          FROM ({_SCOPE_GAINS}) g
          JOIN challenges c ON c.id = g.challenge_id
          JOIN season_challenge_weights w ON w.challenge_code = c.code AND w.season_id = %(season)s
          WHERE g.gain > 0
          UNION ALL
          SELECT s.cluster_id AS cluster_id, 0 AS points FROM seasons_recompute_scope s) r
    {{guard}}
    GROUP BY r.cluster_id
) t
WHERE true
ON CONFLICT (season_id, cluster_id) DO UPDATE
SET points = excluded.points, level = excluded.level, updated_at = excluded.updated_at,
    points_reached_at = CASE WHEN excluded.points > season_progress.points THEN excluded.updated_at
                             ELSE season_progress.points_reached_at END
WHERE season_progress.points <> excluded.points OR season_progress.level <> excluded.level
"""

# Values as of the season's end x weight: the final points of an ended LIFETIME season.
# Uses index: see VALUES_AS_OF.
VALUES_AS_OF_SEASON = f"""
INSERT INTO season_progress (season_id, cluster_id, points, level, updated_at, points_reached_at)
SELECT %(season)s, t.cluster_id, t.points,
       CASE WHEN EXISTS (SELECT 1 FROM season_levels c WHERE c.season_id = %(season)s)
            THEN COALESCE((SELECT l.level FROM season_levels l
                           WHERE l.season_id = %(season)s AND l.points_required <= t.points
                           ORDER BY l.points_required DESC LIMIT 1), 0)
            ELSE t.points / %(points_per_level)s
       END,
       %(now)s,
       CASE WHEN t.points > 0 THEN %(now)s END
FROM (
    SELECT r.cluster_id AS cluster_id, CAST(SUM(r.points) AS BIGINT) AS points
    FROM (SELECT v.cluster_id AS cluster_id, v.value * w.weight AS points
          FROM ({_SEASON_VALUES_AS_OF}) v
          JOIN challenges c ON c.id = v.challenge_id
          JOIN season_challenge_weights w ON w.challenge_code = c.code AND w.season_id = %(season)s
          UNION ALL
          SELECT sp.cluster_id AS cluster_id, 0 AS points FROM season_progress sp WHERE sp.season_id = %(season)s) r
    {{guard}}
    GROUP BY r.cluster_id
) t
WHERE true
ON CONFLICT (season_id, cluster_id) DO UPDATE
SET points = excluded.points, level = excluded.level, updated_at = excluded.updated_at,
    points_reached_at = CASE WHEN excluded.points > season_progress.points THEN excluded.updated_at
                             ELSE season_progress.points_reached_at END
WHERE season_progress.points <> excluded.points OR season_progress.level <> excluded.level
"""

# Clusters with a progress row in a weighted challenge of the season changed since a moment, and
# the clusters whose points failed last time (they are tried again).
# Uses index: challenge_progress_updated_idx, season_progress_errors_unique_cluster.
CHANGED_CLUSTERS = """
INSERT INTO seasons_recompute_scope (cluster_id)
SELECT p.cluster_id
FROM challenge_progress p
JOIN challenges c ON c.id = p.challenge_id
JOIN season_challenge_weights w ON w.challenge_code = c.code AND w.season_id = %(season)s
WHERE p.updated_at >= %(since)s
UNION
SELECT x.cluster_id FROM season_progress_errors x WHERE x.season_id = %(season)s
"""

# Per-cluster errors: run only for a season whose weights could overflow (services._can_overflow).
# `{beyond_bigint}` is a clause, hedge.core.db.sum_beyond_bigint("r.points"). Extra parameter: %(error)s.
# Uses index: as the matching upsert.
FIND_OVERFLOWS_LIFETIME = """
INSERT INTO season_progress_errors (season_id, cluster_id, error, recorded_at)
SELECT %(season)s, r.cluster_id, %(error)s, %(now)s
FROM (SELECT p.cluster_id AS cluster_id, p.value * w.weight AS points
      FROM challenge_progress p
      JOIN challenges c ON c.id = p.challenge_id
      JOIN season_challenge_weights w ON w.challenge_code = c.code AND w.season_id = %(season)s) r
GROUP BY r.cluster_id
HAVING {beyond_bigint}
"""
# Uses index: see PERIOD_GAINS.
FIND_OVERFLOWS_GAINS = f"""
INSERT INTO season_progress_errors (season_id, cluster_id, error, recorded_at)
SELECT %(season)s, r.cluster_id, %(error)s, %(now)s
FROM (SELECT g.cluster_id AS cluster_id, g.gain * w.weight AS points
      FROM ({_SEASON_GAINS}) g
      JOIN challenges c ON c.id = g.challenge_id
      JOIN season_challenge_weights w ON w.challenge_code = c.code AND w.season_id = %(season)s
      WHERE g.gain > 0) r
GROUP BY r.cluster_id
HAVING {{beyond_bigint}}
"""
# Uses index: see VALUES_AS_OF.
FIND_OVERFLOWS_VALUES_AS_OF = f"""
INSERT INTO season_progress_errors (season_id, cluster_id, error, recorded_at)
SELECT %(season)s, r.cluster_id, %(error)s, %(now)s
FROM (SELECT v.cluster_id AS cluster_id, v.value * w.weight AS points
      FROM ({_SEASON_VALUES_AS_OF}) v
      JOIN challenges c ON c.id = v.challenge_id
      JOIN season_challenge_weights w ON w.challenge_code = c.code AND w.season_id = %(season)s) r
GROUP BY r.cluster_id
HAVING {{beyond_bigint}}
"""
# Uses index: challenge_progress_cluster_idx (the scope's rows).
FIND_OVERFLOWS_LIFETIME_SCOPE = """
INSERT INTO season_progress_errors (season_id, cluster_id, error, recorded_at)
SELECT %(season)s, r.cluster_id, %(error)s, %(now)s
FROM (SELECT p.cluster_id AS cluster_id, p.value * w.weight AS points
      FROM challenge_progress p
      JOIN challenges c ON c.id = p.challenge_id
      JOIN season_challenge_weights w ON w.challenge_code = c.code AND w.season_id = %(season)s) r
WHERE r.cluster_id IN (SELECT s.cluster_id FROM seasons_recompute_scope s)
GROUP BY r.cluster_id
HAVING {beyond_bigint}
"""
# Uses index: see SCOPE_GAINS.
FIND_OVERFLOWS_GAINS_SCOPE = f"""
INSERT INTO season_progress_errors (season_id, cluster_id, error, recorded_at)
SELECT %(season)s, r.cluster_id, %(error)s, %(now)s
FROM (SELECT g.cluster_id AS cluster_id, g.gain * w.weight AS points
      FROM ({_SCOPE_GAINS}) g
      JOIN challenges c ON c.id = g.challenge_id
      JOIN season_challenge_weights w ON w.challenge_code = c.code AND w.season_id = %(season)s
      WHERE g.gain > 0) r
GROUP BY r.cluster_id
HAVING {{beyond_bigint}}
"""
FIND_OVERFLOWS = {
    "LIFETIME": FIND_OVERFLOWS_LIFETIME,
    "GAINS": FIND_OVERFLOWS_GAINS,
    "VALUES_AS_OF": FIND_OVERFLOWS_VALUES_AS_OF,
}
FIND_OVERFLOWS_SCOPE = {"LIFETIME": FIND_OVERFLOWS_LIFETIME_SCOPE, "GAINS": FIND_OVERFLOWS_GAINS_SCOPE}

# Errors are recorded anew by each recompute of the clusters they are about.
CLEAR_ERRORS_SEASON = "DELETE FROM season_progress_errors WHERE season_id = %(season)s"
# Uses index: season_progress_errors_unique_cluster.
CLEAR_ERRORS_SCOPE = """
DELETE FROM season_progress_errors
WHERE season_id = %(season)s AND cluster_id IN (SELECT s.cluster_id FROM seasons_recompute_scope s)
"""

# How many rows of the season (in scope) exist: the counts of an upsert on SQLite.
# Uses index: season_progress_unique_cluster.
COUNT_SEASON = "SELECT COUNT(*) FROM season_progress sp WHERE sp.season_id = %(season)s"
# Uses index: season_progress_unique_cluster (one probe per scope cluster).
COUNT_SCOPE = """
SELECT COUNT(*) FROM season_progress sp JOIN seasons_recompute_scope s ON s.cluster_id = sp.cluster_id
WHERE sp.season_id = %(season)s
"""

# --- the admin's charts of a season (read only) --------------------------------------------------

# How many clusters have a row in the season, and their lowest and highest level.
# Uses index: season_progress_unique_cluster (season_id, cluster_id).
LEVEL_RANGE = """
SELECT COUNT(*), MIN(sp.level), MAX(sp.level)
FROM season_progress sp
WHERE sp.season_id = %(season)s
"""

# Clusters per band of `%(width)s` levels from `%(low)s` (band 0 starts at the lowest level).
# Uses index: season_progress_unique_cluster (season_id, cluster_id).
LEVEL_DISTRIBUTION = """
SELECT (sp.level - %(low)s) / %(width)s AS band, COUNT(*) AS clusters
FROM season_progress sp
WHERE sp.season_id = %(season)s
GROUP BY (sp.level - %(low)s) / %(width)s
ORDER BY band
"""

# The points at given places of the standings (0 = the most points): percentiles by nearest rank,
# each one an index-only walk down the standings, no sort.
# Uses index: season_progress_rank_idx (season_id, points desc, cluster_id).
POINTS_PERCENTILES = """
SELECT (SELECT sp.points FROM season_progress sp WHERE sp.season_id = %(season)s
        ORDER BY sp.points DESC, sp.cluster_id LIMIT 1 OFFSET %(p50)s),
       (SELECT sp.points FROM season_progress sp WHERE sp.season_id = %(season)s
        ORDER BY sp.points DESC, sp.cluster_id LIMIT 1 OFFSET %(p90)s),
       (SELECT sp.points FROM season_progress sp WHERE sp.season_id = %(season)s
        ORDER BY sp.points DESC, sp.cluster_id LIMIT 1 OFFSET %(p99)s),
       (SELECT sp.points FROM season_progress sp WHERE sp.season_id = %(season)s
        ORDER BY sp.points DESC, sp.cluster_id LIMIT 1 OFFSET %(top)s)
"""

# Clusters whose points or level changed at or after a moment (the season's last update).
# Uses index: season_progress_unique_cluster (season_id, cluster_id).
CHANGED_SINCE = """
SELECT COUNT(*) FROM season_progress sp
WHERE sp.season_id = %(season)s AND sp.updated_at >= %(since)s
"""

# One cluster's points, explained: a row per weighted challenge of the season (code, name, weight,
# what it counts), each computed for this cluster alone (`%(cluster)s`); the caller multiplies and
# sums in Python, so no sum can overflow. What a challenge counts per the season's scoring: the gain
# over the season (BREAKDOWN_GAINS), the current value (BREAKDOWN_LIFETIME), or the value as of the
# season's end (BREAKDOWN_VALUES_AS_OF).
# Uses index: season_weights_unique_challenge; progress_history_lookup_idx (GAINS, values as of the
# end), challenge_progress_cluster_idx (LIFETIME): the one cluster's rows.
_CLUSTER_GAINS = PERIOD_GAINS.format(challenges=_WEIGHTED_CHALLENGES, clusters="AND h.cluster_id = %(cluster)s")
_CLUSTER_VALUES_AS_OF = VALUES_AS_OF.format(challenges=_WEIGHTED_CHALLENGES, clusters="AND h.cluster_id = %(cluster)s")
# Uses index: season_weights_unique_challenge; progress_history_lookup_idx (the cluster's gains).
BREAKDOWN_GAINS = f"""
SELECT c.code, c.name, w.weight, COALESCE(v.counted, 0) AS counted
FROM season_challenge_weights w
JOIN challenges c ON c.code = w.challenge_code
LEFT JOIN (SELECT g.challenge_id AS challenge_id, CASE WHEN g.gain > 0 THEN g.gain ELSE 0 END AS counted
           FROM ({_CLUSTER_GAINS}) g) v ON v.challenge_id = c.id
WHERE w.season_id = %(season)s
ORDER BY c.code
"""
# Uses index: season_weights_unique_challenge; challenge_progress_cluster_idx (the cluster's rows).
BREAKDOWN_LIFETIME = """
SELECT c.code, c.name, w.weight, COALESCE(v.counted, 0) AS counted
FROM season_challenge_weights w
JOIN challenges c ON c.code = w.challenge_code
LEFT JOIN (SELECT p.challenge_id AS challenge_id, p.value AS counted
           FROM challenge_progress p WHERE p.cluster_id = %(cluster)s) v ON v.challenge_id = c.id
WHERE w.season_id = %(season)s
ORDER BY c.code
"""
# Uses index: season_weights_unique_challenge; progress_history_lookup_idx (the cluster's values).
BREAKDOWN_VALUES_AS_OF = f"""
SELECT c.code, c.name, w.weight, COALESCE(v.counted, 0) AS counted
FROM season_challenge_weights w
JOIN challenges c ON c.code = w.challenge_code
LEFT JOIN (SELECT a.challenge_id AS challenge_id, a.value AS counted
           FROM ({_CLUSTER_VALUES_AS_OF}) a) v ON v.challenge_id = c.id
WHERE w.season_id = %(season)s
ORDER BY c.code
"""

# --- the progress endpoint (read only) ------------------------------------------------------------

# One cluster's standing in a season, for GET /seasons/{id}/progress: the season's row (no row: no
# such season), the cluster's points and when they last changed (0 and NULL without a row, and
# before the season starts whatever is stored), where those points stand on the season's current
# level curve (NULLs without a curve: levels.standing_of applies points_per_level), and whether
# the cluster's progress is withheld, and whether its last recompute recorded an error (its sum
# overflowed: the stored points are the last that fit). `{withheld}` is a SQL condition on
# `%(cluster)s` at `%(now)s`: the conditions other apps registered
# (selectors.withhold_progress_where), or FALSE.
# Uses index: seasons_pkey; season_progress_unique_cluster (the cluster's row);
# season_levels_unique_level (the last level); season_levels_threshold_idx (the curve's lookups);
# season_progress_errors_unique_cluster (the error).
PROGRESS = """
SELECT t.season_id, t.scoring, t.starts_at, t.ends_at, t.points, t.updated_at, t.points_per_level, t.stale,
       (SELECT l.level FROM season_levels l WHERE l.season_id = t.season_id
        ORDER BY l.level DESC LIMIT 1) AS curve_max_level,
       (SELECT l.level FROM season_levels l WHERE l.season_id = t.season_id AND l.points_required <= t.points
        ORDER BY l.points_required DESC LIMIT 1) AS curve_level,
       (SELECT l.points_required FROM season_levels l WHERE l.season_id = t.season_id AND l.points_required <= t.points
        ORDER BY l.points_required DESC LIMIT 1) AS curve_level_starts_at,
       (SELECT l.points_required FROM season_levels l WHERE l.season_id = t.season_id AND l.points_required > t.points
        ORDER BY l.points_required LIMIT 1) AS curve_next,
       {withheld} AS withheld,
       -- Seen: points stored in the season, or any challenge progress (challenge_progress_cluster_idx).
       CASE WHEN t.has_row = 1 OR EXISTS (SELECT 1 FROM challenge_progress c WHERE c.cluster_id = %(cluster)s)
            THEN 1 ELSE 0 END AS known,
       EXISTS (SELECT 1 FROM season_progress_errors e
               WHERE e.season_id = t.season_id AND e.cluster_id = %(cluster)s) AS points_overflow
FROM (
    SELECT s.id AS season_id, s.scoring AS scoring, s.starts_at AS starts_at, s.ends_at AS ends_at,
           s.points_per_level AS points_per_level,
           CASE WHEN s.points_stale_since IS NULL THEN 0 ELSE 1 END AS stale,
           CASE WHEN s.starts_at <= %(now)s THEN COALESCE(p.points, 0) ELSE 0 END AS points,
           CASE WHEN s.starts_at <= %(now)s THEN p.updated_at END AS updated_at,
           CASE WHEN p.cluster_id IS NULL THEN 0 ELSE 1 END AS has_row
    FROM seasons s
    LEFT JOIN season_progress p ON p.season_id = s.id AND p.cluster_id = %(cluster)s
    WHERE s.id = %(season)s
) t
"""


# The season flagged active whose period holds %(now)s (by id if several: what the ORM's first() gives); {season}:
# its columns by name (hedge.core.db.columns_of).
# Uses index: none (a handful of seasons).
ACTIVE_SEASON = """
SELECT {season} FROM seasons s
WHERE s.is_active AND s.starts_at <= %(now)s AND s.ends_at > %(now)s
ORDER BY s.id
LIMIT 1
"""
