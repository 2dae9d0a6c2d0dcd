"""The ranking statements: each writes every entry of one run in one `INSERT ... SELECT`.

Each finished statement is one constant below, readable as written. Its clause-sized slots, filled
by the caller: `{rank_function}` (RANK_FUNCTIONS: DENSE_RANK or RANK) and `{binary}`
(hedge.core.db.binary_collation(), so ties are ordered by cluster id byte by byte on every database).
The gain rule (hedge.challenges.history_sql.PERIOD_GAINS) and the active-exclusion rule
(ACTIVE_EXCLUSION) are embedded where a statement needs them, each written once.

Parameters: `%(run)s`, `%(leaderboard)s`, `%(challenge)s` / `%(fallback)s` (NULL: none),
`%(limit)s` (hedge.core.db.sql_limit), `%(previous_run)s` (NULL: none), `%(now)s`; for gains `%(start)s`
and `%(until)s` = min(period end, now); for season points `%(season)s`.

How they rank: the scores (`r`) are cut to the top `%(limit)s` in the full ranking order before
the window functions run (the first N rows in that order are the top N whatever the rank mode, and
their ranks are the same as over every row); the window functions (`k`) read them in that order,
so the rows are sorted once; a run excludes the clusters of the exclusions recorded on it
(RECORD_RUN_EXCLUSIONS: one consistent set whatever is lifted or added meanwhile), a preview those
active now.

The previous rank (each entry's rank in `%(previous_run)s`): joined with the scores, before the sort, as a
plain `INSERT ... SELECT` would. A top N read down an index probes the previous run once per entry it
keeps and stops at the cut; a ranking that sorts every score hashes the previous run once, and the sort
puts the entries in position order however that hash join returned them (a join after the window
functions returned them batch by batch once the run outgrew the hash memory, and hashed a million entries
in one 55 MB table for the order's sake: 0.4-0.6 s slower at 1,000,000 entries, session 10). The
statistics may not know the previous run (a run of fewer than leaderboards.models.ANALYZED_RUN_ENTRIES is
not analyzed when published) and estimate its entries at one row, for which the planner's cheapest join
is a nested loop over a materialized copy of the run, comparing every entry with every previous one; so
the statement runs inside hedge.core.db.ranking_plan (no Materialize or Memoize nodes, no JIT, for this
statement only), where hashing the previous run is the cheapest join whatever its estimate, and the
nested loops that are right (a top N read down an index, one probe per row) stay as they are.
"""

from hedge.challenges.history_sql import PERIOD_GAINS

# The `{rank_function}` slot for each rank mode (leaderboards.models.RankMode).
RANK_FUNCTIONS = {"DENSE": "DENSE_RANK", "COMPETITION": "RANK"}

# An exclusion `x` in force at `now` (started, not lifted, not expired): the rule, written once
# (leaderboards.exclusions.active_q is the ORM's reading of it; the tests check the two agree).
EXCLUSION_IN_FORCE = """x.created_at <= %(now)s
      AND (x.lifted_at IS NULL OR x.lifted_at > %(now)s)
      AND (x.expires_at IS NULL OR x.expires_at > %(now)s)"""

# An exclusion `x` of this leaderboard (or of every one) in force at `now`.
# Uses index: lb_exclusions_active_idx (cluster_id, leaderboard_key; unlifted), lb_exclusions_cluster_idx.
ACTIVE_EXCLUSION = f"""(x.leaderboard_key = %(leaderboard)s OR x.leaderboard_key IS NULL)
      AND {EXCLUSION_IN_FORCE}"""

# The exclusions a run applies, recorded before it ranks. Uses index: lb_exclusions_active_idx.
RECORD_RUN_EXCLUSIONS = f"""
INSERT INTO leaderboard_run_exclusions (run_id, exclusion_id)
SELECT %(run)s, x.id FROM leaderboard_exclusions x
WHERE {ACTIVE_EXCLUSION}
"""

# The gains of the board's challenge and its fallback in the period (the gain rule).
_BOARD_GAINS = PERIOD_GAINS.format(challenges="%(challenge)s, %(fallback)s", clusters="")

# --- runs: INSERT ... SELECT of every entry -------------------------------------------------------
#
# Each records on its first entry how many clusters it ranked before the max_entries cut; generation
# copies it onto the run (RANKED_TOTAL_OF_RUN). Gains are all computed before the cut anyway, so they
# are counted there (COUNT(*) OVER ()); a top N read down an index counts in the index instead.

# ALL_TIME: each cluster's current value; clusters without a progress row are not ranked; the
# tiebreaker is the fallback challenge's value. The top %(limit)s are read down
# challenge_progress_rank_idx and stop there; the count before the cut is a subquery that runs once,
# for the first entry: the challenge's rows as challenge_progress_counts holds them (kept by the
# database's triggers in every writer's transaction, so exact in this statement's snapshot), less the
# excluded clusters among them (probed one by one). Counting the rows here instead would read a million
# index entries for a top 1,000 of a million (47 of its 62 ms).
# Uses index: challenge_progress_rank_idx (challenge, value desc), challenge_progress_counts_pkey,
# challenge_progress_unique_cluster (fallback; the excluded clusters' rows), leaderboard_run_exclusions_unique
# (the run's exclusions), leaderboard_entries_unique_cluster (the previous run's entries).
RANK_CURRENT_VALUES = """
INSERT INTO leaderboard_entries (run_id, cluster_id, rank, position, score, tiebreaker, fallback_value, previous_rank,
                                 ranked_total)
SELECT %(run)s, k.cluster_id, k.rank, k.position, k.score, k.tiebreaker, k.fallback_value, k.previous_rank,
       CASE WHEN k.position = 1
            THEN (SELECT n.progress_rows FROM challenge_progress_counts n WHERE n.challenge_id = %(challenge)s)
                 - (SELECT COUNT(*) FROM challenge_progress c
                    WHERE c.challenge_id = %(challenge)s
                      AND c.cluster_id IN (SELECT x.cluster_id FROM leaderboard_run_exclusions re
                                           JOIN leaderboard_exclusions x ON x.id = re.exclusion_id
                                           WHERE re.run_id = %(run)s))
       END
FROM (
    SELECT r.cluster_id AS cluster_id,
           {rank_function}() OVER (ORDER BY r.score DESC, r.tiebreaker DESC) AS rank,
           ROW_NUMBER() OVER (ORDER BY r.score DESC, r.tiebreaker DESC, r.cluster_id{binary}) AS position,
           r.score AS score, r.tiebreaker AS tiebreaker, r.fallback_value AS fallback_value,
           r.previous_rank AS previous_rank
    FROM (
        SELECT p.cluster_id AS cluster_id, p.value AS score,
               COALESCE(f.value, 0) AS tiebreaker, f.value AS fallback_value, pe.rank AS previous_rank
        FROM challenge_progress p
        LEFT JOIN challenge_progress f ON f.challenge_id = %(fallback)s AND f.cluster_id = p.cluster_id
        LEFT JOIN leaderboard_entries pe ON pe.run_id = %(previous_run)s AND pe.cluster_id = p.cluster_id
        WHERE p.challenge_id = %(challenge)s
          AND NOT EXISTS (SELECT 1 FROM leaderboard_run_exclusions re
                          JOIN leaderboard_exclusions x ON x.id = re.exclusion_id
                          WHERE re.run_id = %(run)s AND x.cluster_id = p.cluster_id)
        ORDER BY p.value DESC, COALESCE(f.value, 0) DESC, p.cluster_id{binary}
        LIMIT %(limit)s
    ) r
) k
"""

# DAILY / WEEKLY / MONTHLY / SEASON: what each cluster gained inside the period (the gain rule); the
# tiebreaker is the fallback challenge's gain. Clusters that gained nothing (or lost) are not ranked.
# Uses index: see PERIOD_GAINS; leaderboard_run_exclusions_unique, leaderboard_entries_unique_cluster.
RANK_GAINS = f"""
INSERT INTO leaderboard_entries (run_id, cluster_id, rank, position, score, tiebreaker, fallback_value, previous_rank,
                                 ranked_total)
SELECT %(run)s, k.cluster_id, k.rank, k.position, k.score, k.tiebreaker, k.fallback_value, k.previous_rank,
       CASE WHEN k.position = 1 THEN k.ranked_total END
FROM (
    SELECT r.cluster_id AS cluster_id,
           {{rank_function}}() OVER (ORDER BY r.score DESC, r.tiebreaker DESC) AS rank,
           ROW_NUMBER() OVER (ORDER BY r.score DESC, r.tiebreaker DESC, r.cluster_id{{binary}}) AS position,
           r.score AS score, r.tiebreaker AS tiebreaker, r.fallback_value AS fallback_value,
           r.previous_rank AS previous_rank, r.ranked_total AS ranked_total
    FROM (
        SELECT g.cluster_id AS cluster_id, g.score AS score, COALESCE(g.fallback_gain, 0) AS tiebreaker,
               CASE WHEN CAST(%(fallback)s AS bigint) IS NULL THEN NULL ELSE COALESCE(g.fallback_gain, 0) END
                   AS fallback_value,
               pe.rank AS previous_rank, COUNT(*) OVER () AS ranked_total
        FROM (
            SELECT v.cluster_id AS cluster_id,
                   MAX(CASE WHEN v.challenge_id = %(challenge)s AND v.gain > 0 THEN v.gain END) AS score,
                   MAX(CASE WHEN v.challenge_id = %(fallback)s AND v.gain > 0 THEN v.gain END) AS fallback_gain
            FROM ({_BOARD_GAINS}) v
            GROUP BY v.cluster_id
        ) g
        LEFT JOIN leaderboard_entries pe ON pe.run_id = %(previous_run)s AND pe.cluster_id = g.cluster_id
        WHERE g.score IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM leaderboard_run_exclusions re
                          JOIN leaderboard_exclusions x ON x.id = re.exclusion_id
                          WHERE re.run_id = %(run)s AND x.cluster_id = g.cluster_id)
        ORDER BY g.score DESC, COALESCE(g.fallback_gain, 0) DESC, g.cluster_id{{binary}}
        LIMIT %(limit)s
    ) r
) k
"""

# SEASON boards of season points: the points stored for the season (season_progress, kept current by
# the season engine; final once the season is finalized). Ties: the cluster that reached its points
# first (points_reached_at; rows written before it existed fall back to updated_at), then cluster id.
# The count before the cut: a subquery run once, for the first entry, as in RANK_CURRENT_VALUES.
# Uses index: season_progress_rank_idx (season, points desc, cluster_id; the count too);
# season_progress_unique_cluster (the excluded clusters' rows); leaderboard_run_exclusions_unique,
# leaderboard_entries_unique_cluster.
RANK_SEASON_POINTS = """
INSERT INTO leaderboard_entries (run_id, cluster_id, rank, position, score, tiebreaker, fallback_value, previous_rank,
                                 ranked_total)
SELECT %(run)s, k.cluster_id, k.rank, k.position, k.score, 0, CAST(NULL AS bigint), k.previous_rank,
       CASE WHEN k.position = 1
            THEN (SELECT COUNT(*) FROM season_progress c WHERE c.season_id = %(season)s AND c.points > 0)
                 - (SELECT COUNT(*) FROM season_progress c
                    WHERE c.season_id = %(season)s AND c.points > 0
                      AND c.cluster_id IN (SELECT x.cluster_id FROM leaderboard_run_exclusions re
                                           JOIN leaderboard_exclusions x ON x.id = re.exclusion_id
                                           WHERE re.run_id = %(run)s))
       END
FROM (
    SELECT r.cluster_id AS cluster_id,
           {rank_function}() OVER (ORDER BY r.score DESC, r.reached_at) AS rank,
           ROW_NUMBER() OVER (ORDER BY r.score DESC, r.reached_at, r.cluster_id{binary}) AS position,
           r.score AS score, r.previous_rank AS previous_rank
    FROM (
        SELECT s.cluster_id AS cluster_id, s.points AS score, COALESCE(s.points_reached_at, s.updated_at) AS reached_at,
               pe.rank AS previous_rank
        FROM season_progress s
        LEFT JOIN leaderboard_entries pe ON pe.run_id = %(previous_run)s AND pe.cluster_id = s.cluster_id
        WHERE s.season_id = %(season)s AND s.points > 0
          AND NOT EXISTS (SELECT 1 FROM leaderboard_run_exclusions re
                          JOIN leaderboard_exclusions x ON x.id = re.exclusion_id
                          WHERE re.run_id = %(run)s AND x.cluster_id = s.cluster_id)
        ORDER BY s.points DESC, COALESCE(s.points_reached_at, s.updated_at), s.cluster_id{binary}
        LIMIT %(limit)s
    ) r
) k
"""

# The ranking statement of each score source (leaderboards.services.score_source).
RANK = {"CURRENT_VALUES": RANK_CURRENT_VALUES, "GAINS": RANK_GAINS, "SEASON_POINTS": RANK_SEASON_POINTS}

# How many clusters the run ranked before the max_entries cut, as the ranking statement recorded it on
# the run's first entry (none: 0). The first entry by position rather than `position = 1`: the statistics seldom
# know the new run, and with `position = 1` the planner could take either unique index for one row, and took the
# cluster one, filtering every entry of the run (70 ms at 200,000 entries); ORDER BY position LIMIT 1 is one probe
# of the position index and a sort on any other. Uses index: leaderboard_entries_unique_position (one probe).
RANKED_TOTAL_OF_RUN = """
SELECT e.ranked_total FROM leaderboard_entries e WHERE e.run_id = %(run)s ORDER BY e.position LIMIT 1
"""

# The entries of run %(run)s that moved most, each direction's top %(movers)s by rank change (previous_rank - rank;
# UP descending, DOWN ascending), ties by position; entries without a previous rank are not movers. Written when the
# run is generated, so a request reads a few rows instead of the run. The run is read once (`m`, two narrow columns a
# row): a CTE that the statement reads twice is kept by PostgreSQL (materialized) after the first read, so the second
# direction sorts what the first read kept instead of reading the run again. Each direction is an ORDER BY ... LIMIT (a
# bounded top-N sort keeping %(movers)s rows), then numbered: numbering every entry first sorted the whole run twice.
# `m` asks for no order: a large run is analyzed before this statement (services.ANALYZED_RUN_ENTRIES), so the planner
# reads it in the order of its heap pages (a bitmap or sequential scan); ordered by position it sorted a million
# entries on disk when it chose that scan (0.63 s against 0.53 s at 1,000,000 entries).
# Uses index: leaderboard_entries_unique_position or _unique_cluster (the run's entries, by run_id), or none.
RECORD_RUN_MOVERS = """
WITH m AS (
    SELECT e.previous_rank - e.rank AS moved, e.position AS position
    FROM leaderboard_entries e
    WHERE e.run_id = %(run)s AND e.previous_rank IS NOT NULL
)
INSERT INTO leaderboard_run_movers (run_id, direction, place, position)
SELECT %(run)s, 'UP', ROW_NUMBER() OVER (ORDER BY u.moved DESC, u.position), u.position
FROM (SELECT m.moved AS moved, m.position AS position FROM m ORDER BY m.moved DESC, m.position LIMIT %(movers)s) u
UNION ALL
SELECT %(run)s, 'DOWN', ROW_NUMBER() OVER (ORDER BY d.moved, d.position), d.position
FROM (SELECT m.moved AS moved, m.position AS position FROM m ORDER BY m.moved, m.position LIMIT %(movers)s) d
"""

# A run's movers of one direction, the first %(limit)s by place, as entries (the API reads them with their
# names: profiles.sql.MOVERS_WITH_NAMES; the benchmark times this one).
# Uses index: leaderboard_run_movers_unique_place, then leaderboard_entries_unique_position.
MOVERS = """
SELECT e.rank, e.position, e.cluster_id, e.score, e.tiebreaker, e.fallback_value, e.previous_rank
FROM leaderboard_run_movers m
JOIN leaderboard_entries e ON e.run_id = m.run_id AND e.position = m.position
WHERE m.run_id = %(run)s AND m.direction = %(direction)s AND m.place <= %(limit)s
ORDER BY m.place
"""

# Whether an exclusion the run applied names the cluster (why it has no entry).
# Uses index: lb_exclusions_cluster_idx, then leaderboard_run_exclusions_unique.
CLUSTER_EXCLUDED_FROM_RUN = """
SELECT 1 FROM leaderboard_exclusions x
JOIN leaderboard_run_exclusions re ON re.exclusion_id = x.id AND re.run_id = %(run)s
WHERE x.cluster_id = %(cluster)s
"""


# --- previews: the top of what a run would rank now, written nowhere -----------------------------

# The same rankings over the exclusions active now, the first %(shown)s positions (%(limit)s =
# %(shown)s). Uses index: as the matching RANK statement; lb_exclusions_cluster_idx.
PREVIEW_CURRENT_VALUES = f"""
SELECT r.cluster_id,
       {{rank_function}}() OVER (ORDER BY r.score DESC, r.tiebreaker DESC) AS rank,
       ROW_NUMBER() OVER (ORDER BY r.score DESC, r.tiebreaker DESC, r.cluster_id{{binary}}) AS position,
       r.score, r.tiebreaker, r.fallback_value
FROM (
    SELECT p.cluster_id AS cluster_id, p.value AS score,
           COALESCE(f.value, 0) AS tiebreaker, f.value AS fallback_value
    FROM challenge_progress p
    LEFT JOIN challenge_progress f ON f.challenge_id = %(fallback)s AND f.cluster_id = p.cluster_id
    WHERE p.challenge_id = %(challenge)s
      AND NOT EXISTS (SELECT 1 FROM leaderboard_exclusions x
                      WHERE x.cluster_id = p.cluster_id AND {ACTIVE_EXCLUSION})
    ORDER BY p.value DESC, COALESCE(f.value, 0) DESC, p.cluster_id{{binary}}
    LIMIT %(limit)s
) r
ORDER BY position
LIMIT %(shown)s
"""

# Uses index: see PERIOD_GAINS; lb_exclusions_cluster_idx.
PREVIEW_GAINS = f"""
SELECT r.cluster_id,
       {{rank_function}}() OVER (ORDER BY r.score DESC, r.tiebreaker DESC) AS rank,
       ROW_NUMBER() OVER (ORDER BY r.score DESC, r.tiebreaker DESC, r.cluster_id{{binary}}) AS position,
       r.score, r.tiebreaker, r.fallback_value
FROM (
    SELECT g.cluster_id AS cluster_id, g.score AS score, COALESCE(g.fallback_gain, 0) AS tiebreaker,
           CASE WHEN CAST(%(fallback)s AS bigint) IS NULL THEN NULL ELSE COALESCE(g.fallback_gain, 0) END
               AS fallback_value
    FROM (
        SELECT v.cluster_id AS cluster_id,
               MAX(CASE WHEN v.challenge_id = %(challenge)s AND v.gain > 0 THEN v.gain END) AS score,
               MAX(CASE WHEN v.challenge_id = %(fallback)s AND v.gain > 0 THEN v.gain END) AS fallback_gain
        FROM ({_BOARD_GAINS}) v
        GROUP BY v.cluster_id
    ) g
    WHERE g.score IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM leaderboard_exclusions x
                      WHERE x.cluster_id = g.cluster_id AND {ACTIVE_EXCLUSION})
    ORDER BY g.score DESC, COALESCE(g.fallback_gain, 0) DESC, g.cluster_id{{binary}}
    LIMIT %(limit)s
) r
ORDER BY position
LIMIT %(shown)s
"""

# Uses index: season_progress_rank_idx (season, points desc, cluster_id); lb_exclusions_cluster_idx.
PREVIEW_SEASON_POINTS = f"""
SELECT r.cluster_id,
       {{rank_function}}() OVER (ORDER BY r.score DESC, r.reached_at) AS rank,
       ROW_NUMBER() OVER (ORDER BY r.score DESC, r.reached_at, r.cluster_id{{binary}}) AS position,
       r.score, 0 AS tiebreaker, CAST(NULL AS bigint) AS fallback_value
FROM (
    SELECT s.cluster_id AS cluster_id, s.points AS score, COALESCE(s.points_reached_at, s.updated_at) AS reached_at
    FROM season_progress s
    WHERE s.season_id = %(season)s AND s.points > 0
      AND NOT EXISTS (SELECT 1 FROM leaderboard_exclusions x
                      WHERE x.cluster_id = s.cluster_id AND {ACTIVE_EXCLUSION})
    ORDER BY s.points DESC, COALESCE(s.points_reached_at, s.updated_at), s.cluster_id{{binary}}
    LIMIT %(limit)s
) r
ORDER BY position
LIMIT %(shown)s
"""

PREVIEW = {"CURRENT_VALUES": PREVIEW_CURRENT_VALUES, "GAINS": PREVIEW_GAINS, "SEASON_POINTS": PREVIEW_SEASON_POINTS}

# How many clusters a run would rank now (its row count). Uses index: as the matching PREVIEW.
COUNT_CURRENT_VALUES = f"""
SELECT COUNT(*)
FROM challenge_progress p
WHERE p.challenge_id = %(challenge)s
  AND NOT EXISTS (SELECT 1 FROM leaderboard_exclusions x
                  WHERE x.cluster_id = p.cluster_id AND {ACTIVE_EXCLUSION})
"""

# Uses index: see PERIOD_GAINS; lb_exclusions_cluster_idx.
COUNT_GAINS = f"""
SELECT COUNT(*)
FROM (
    SELECT v.cluster_id AS cluster_id
    FROM ({_BOARD_GAINS}) v
    GROUP BY v.cluster_id
    HAVING MAX(CASE WHEN v.challenge_id = %(challenge)s AND v.gain > 0 THEN v.gain END) IS NOT NULL
) g
WHERE NOT EXISTS (SELECT 1 FROM leaderboard_exclusions x
                  WHERE x.cluster_id = g.cluster_id AND {ACTIVE_EXCLUSION})
"""

# Uses index: season_progress_rank_idx; lb_exclusions_cluster_idx.
COUNT_SEASON_POINTS = f"""
SELECT COUNT(*)
FROM season_progress s
WHERE s.season_id = %(season)s AND s.points > 0
  AND NOT EXISTS (SELECT 1 FROM leaderboard_exclusions x
                  WHERE x.cluster_id = s.cluster_id AND {ACTIVE_EXCLUSION})
"""

COUNT = {"CURRENT_VALUES": COUNT_CURRENT_VALUES, "GAINS": COUNT_GAINS, "SEASON_POINTS": COUNT_SEASON_POINTS}

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

# A keyset page of a run (the public reads): its entries after position %(after)s, by position, so
# position 900,001 costs what position 1 costs. Uses index: leaderboard_entries_unique_position.
ENTRIES_PAGE = """
SELECT e.rank, e.position, e.cluster_id, e.score, e.tiebreaker, e.fallback_value, e.previous_rank
FROM leaderboard_entries e
WHERE e.run_id = %(run)s AND e.position > %(after)s
ORDER BY e.position
LIMIT %(limit)s
"""

# The entries of several clusters of a run, by position. `{ids}` is hedge.core.db.json_strings("ids"):
# the ids, sent as one JSON array in %(ids)s, as a one-column subquery.
# Uses index: leaderboard_entries_unique_cluster (one probe per id).
ENTRIES_OF_CLUSTERS = """
SELECT e.rank, e.position, e.cluster_id, e.score, e.tiebreaker, e.fallback_value, e.previous_rank
FROM leaderboard_entries e
WHERE e.run_id = %(run)s AND e.cluster_id IN ({ids})
ORDER BY e.position
"""

# The lines a run's checksum is the SHA-256 of (leaderboards.checksum), "position,clusterId,rank,score,tiebreaker", in
# position order, %(rows)s lines at a time: the batch's lines after position %(after)s, joined by %(newline)s into one
# text by the database in the subquery's order, with how many there are and the last position (the next batch's
# %(after)s). `{line}` is hedge.core.db.text_line over e.position, e.cluster_id, e.rank, e.score and e.tiebreaker
# separated by ','; `{joined_lines}` is hedge.core.db.text_agg. One text per batch instead of one row per line: the
# lines are built and joined where the entries are, and a million entries cross to Python as a hundred values, never
# all at once.
# Uses index: leaderboard_entries_unique_position (the batch's entries, a range in position order).
CHECKSUM_BATCH = """
SELECT COUNT(*), MAX(b.position), {joined_lines}
FROM (SELECT e.position AS position, {line} AS line
      FROM leaderboard_entries e
      WHERE e.run_id = %(run)s AND e.position > %(after)s
      ORDER BY e.position
      LIMIT %(rows)s) b
"""


# PROCESSING runs of a leaderboard whose generation is gone: `{marker_gone}` is
# leaderboards.services._run_marker_gone_sql() (the run's session marker is no longer held; on SQLite, an age).
# Uses index: leaderboard_runs_latest_idx (the leaderboard's runs).
FAIL_ABANDONED_RUNS = """
UPDATE leaderboard_runs
SET status = 'FAILED', error = %(error)s, finished_at = %(now)s, updated_at = %(now)s
WHERE leaderboard_key = %(leaderboard)s AND status = 'PROCESSING' AND {marker_gone}
"""


# A cluster excluded from every leaderboard and the season pass at `%(now)s`: registered with
# seasons.selectors.withhold_progress_where, so the season progress read answers it inside its own
# statement. Uses index: lb_exclusions_cluster_idx.
EXCLUDED_EVERYWHERE = f"""EXISTS (
    SELECT 1 FROM leaderboard_exclusions x
    WHERE x.cluster_id = %(cluster)s AND x.leaderboard_key IS NULL
      AND {EXCLUSION_IN_FORCE}
)"""


# The run reads of the public API (leaderboards.selectors): one run with what every run response shows of it,
# as `{run}, {definition}, {challenge}, {fallback_challenge}`: each model's columns by name (hedge.core.db.columns_of;
# hedge.core.db.instances_from_row turns each block back into its model), then the id of the season whose dates are the
# run's period (a SEASON period's name; a handful of seasons, no index).

# The latest COMPLETE run of the active board %(key)s: scheduled runs before finals and backfills, then the
# newest (selectors.LATEST_ORDER). Uses index: leaderboard_runs_complete_idx.
LATEST_COMPLETE_RUN = """
SELECT {run}, {definition}, {challenge}, {fallback_challenge},
       (SELECT s.id FROM seasons s
        WHERE s.starts_at = r.period_start AND s.ends_at = r.period_end ORDER BY s.id DESC LIMIT 1)
FROM leaderboard_runs r
JOIN leaderboard_defs d ON d.key = r.leaderboard_key AND d.is_active
LEFT JOIN challenges c ON c.id = r.challenge_id
LEFT JOIN challenges fc ON fc.id = r.fallback_challenge_id
WHERE r.leaderboard_key = %(key)s AND r.status = 'COMPLETE'
ORDER BY r.is_final, r.is_backfill, r.id DESC
LIMIT 1
"""

# Run %(run)s of the active board %(key)s if it is COMPLETE or SUPERSEDED, and {replacement}: the run that replaced
# it (NULLs when none). Uses index: leaderboard_runs_pkey.
PUBLISHED_RUN = """
SELECT {run}, {definition}, {challenge}, {fallback_challenge},
       {replacement},
       (SELECT s.id FROM seasons s
        WHERE s.starts_at = r.period_start AND s.ends_at = r.period_end ORDER BY s.id DESC LIMIT 1)
FROM leaderboard_runs r
JOIN leaderboard_defs d ON d.key = r.leaderboard_key AND d.is_active
LEFT JOIN challenges c ON c.id = r.challenge_id
LEFT JOIN challenges fc ON fc.id = r.fallback_challenge_id
LEFT JOIN leaderboard_runs n ON n.id = r.superseded_by_id
WHERE r.id = %(run)s AND r.leaderboard_key = %(key)s AND r.status IN ('COMPLETE', 'SUPERSEDED')
"""

# The newest COMPLETE final run of the active board %(key)s for the period [%(start)s, %(end)s).
# Uses index: leaderboard_runs_complete_idx.
FINAL_RUN_OF_PERIOD = """
SELECT {run}, {definition}, {challenge}, {fallback_challenge},
       (SELECT s.id FROM seasons s
        WHERE s.starts_at = r.period_start AND s.ends_at = r.period_end ORDER BY s.id DESC LIMIT 1)
FROM leaderboard_runs r
JOIN leaderboard_defs d ON d.key = r.leaderboard_key AND d.is_active
LEFT JOIN challenges c ON c.id = r.challenge_id
LEFT JOIN challenges fc ON fc.id = r.fallback_challenge_id
WHERE r.leaderboard_key = %(key)s AND r.status = 'COMPLETE' AND r.is_final
  AND r.period_start = %(start)s AND r.period_end = %(end)s
ORDER BY r.id DESC
LIMIT 1
"""
