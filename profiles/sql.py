"""The statements of the player-centred reads. Parameters: %(cluster)s, and as each says.

The percentile of every standing needs the last position tied with the cluster. Ranks never decrease
with position, so it is searched from the cluster's own position: galloping first (probes 1, 2, 4, ...
positions further while the rank holds), then halving what is left: one probe when nobody ties with the
cluster (most of a run), about 2*log2(ties) in a tie, never a count of the run. (A binary search over
the whole run, as leaderboards.sql.CLUSTER_NEIGHBOURHOOD does for one run, costs log2(rows) probes in
every run: 14 per final of 10,000 entries, which a history page of 52 finals pays 52 times.) A run's
positions are 1..row_count without gaps, so its last position is its row_count.

The search, per run: `lo` is a position known tied, positions after `hi` are known not tied, `step` > 0
while galloping (0 once a probe missed). Each probe is in (lo, hi] and the search ends when lo = hi.
"""

# The cluster's entry in the latest COMPLETE run of every active board that ranks it (latest: scheduled
# runs before finals and backfills, then the newest, as leaderboards.selectors.LATEST_ORDER), with the
# last position tied with it and its best rank in the board's COMPLETE final runs (ties: the newest period):
# the best final run found beside the entry (one scalar subquery per board), its row and entry joined once.
# Uses index: leaderboard_runs_complete_idx (each board's latest run, its final runs);
# leaderboard_entries_unique_cluster (the cluster in each run); leaderboard_entries_unique_position (probes).
PROFILE_STANDINGS = """
WITH RECURSIVE me AS (
    SELECT d.key AS leaderboard_key, d.name AS name, d.time_window AS time_window, e.run_id AS run_id,
           lr.period_start AS period_start, lr.period_end AS period_end, lr.ranked_total AS ranked_total,
           e.rank AS rank, e.position AS position, e.score AS score, e.previous_rank AS previous_rank,
           lr.row_count AS last_position,
           (SELECT f.id FROM leaderboard_runs f
            JOIN leaderboard_entries fe ON fe.run_id = f.id AND fe.cluster_id = %(cluster)s
            WHERE f.leaderboard_key = d.key AND f.status = 'COMPLETE' AND f.is_final
            ORDER BY fe.rank, f.period_end DESC, f.id DESC
            LIMIT 1) AS best_run_id
    FROM leaderboard_defs d
    JOIN leaderboard_runs lr
      ON lr.id = (SELECT r.id FROM leaderboard_runs r
                  WHERE r.leaderboard_key = d.key AND r.status = 'COMPLETE'
                  ORDER BY r.is_final, r.is_backfill, r.id DESC
                  LIMIT 1)
    JOIN leaderboard_entries e ON e.run_id = lr.id AND e.cluster_id = %(cluster)s
    WHERE d.is_active
),
tied (run_id, rank, lo, hi, step) AS (
    SELECT me.run_id, me.rank, me.position, me.last_position, 1 FROM me
    UNION ALL
    SELECT t.run_id, t.rank,
           CASE WHEN p.rank = t.rank THEN p.position ELSE t.lo END,
           CASE WHEN p.rank = t.rank THEN t.hi ELSE p.position - 1 END,
           CASE WHEN p.rank = t.rank AND t.step > 0 THEN t.step * 2 ELSE 0 END
    FROM tied t
    JOIN leaderboard_entries p
      ON p.run_id = t.run_id
     AND p.position = CASE WHEN t.step > 0 AND t.lo + t.step <= t.hi THEN t.lo + t.step
                           ELSE (t.lo + t.hi + 1) / 2 END
    WHERE t.lo < t.hi
)
SELECT me.leaderboard_key, me.name, me.time_window, me.run_id, me.period_start, me.period_end, me.ranked_total,
       me.rank, me.position, me.score, me.previous_rank, me.last_position,
       t.lo AS last_tied_position,
       br.id, br.period_start, br.period_end, be.rank
FROM me
LEFT JOIN tied t ON t.run_id = me.run_id AND t.lo = t.hi
LEFT JOIN leaderboard_runs br ON br.id = me.best_run_id
LEFT JOIN leaderboard_entries be ON be.run_id = br.id AND be.cluster_id = %(cluster)s
ORDER BY me.leaderboard_key
"""

# A keyset page of the cluster's entries in the COMPLETE final runs of board %(leaderboard)s, newest period
# first (run id breaks ties), after run %(before)s (NULL: from the newest), at most %(limit)s, each with the
# last position tied with it (the search's one row per run with lo = hi, joined: a subquery per row scanned
# every run's rows). Periods the cluster has no entry in are left out.
# Uses index: leaderboard_runs_complete_idx (the board's final runs); leaderboard_entries_unique_cluster (the
# cluster in each); leaderboard_entries_unique_position (the probes).
HISTORY_PAGE = """
WITH RECURSIVE page AS (
    SELECT r.id AS run_id, r.period_start AS period_start, r.period_end AS period_end,
           r.ranked_total AS ranked_total, e.rank AS rank, e.position AS position, e.score AS score,
           r.row_count AS last_position
    FROM leaderboard_runs r
    JOIN leaderboard_entries e ON e.run_id = r.id AND e.cluster_id = %(cluster)s
    WHERE r.leaderboard_key = %(leaderboard)s AND r.status = 'COMPLETE' AND r.is_final
      AND (CAST(%(before)s AS BIGINT) IS NULL
           OR r.period_end < (SELECT a.period_end FROM leaderboard_runs a WHERE a.id = %(before)s)
           OR (r.period_end = (SELECT a.period_end FROM leaderboard_runs a WHERE a.id = %(before)s)
               AND r.id < %(before)s))
    ORDER BY r.period_end DESC, r.id DESC
    LIMIT %(limit)s
),
tied (run_id, lo, hi, step) AS (
    SELECT page.run_id, page.position, page.last_position, 1 FROM page
    UNION ALL
    SELECT t.run_id,
           CASE WHEN p.rank = page.rank THEN p.position ELSE t.lo END,
           CASE WHEN p.rank = page.rank THEN t.hi ELSE p.position - 1 END,
           CASE WHEN p.rank = page.rank AND t.step > 0 THEN t.step * 2 ELSE 0 END
    FROM tied t
    JOIN page ON page.run_id = t.run_id
    JOIN leaderboard_entries p
      ON p.run_id = t.run_id
     AND p.position = CASE WHEN t.step > 0 AND t.lo + t.step <= t.hi THEN t.lo + t.step
                           ELSE (t.lo + t.hi + 1) / 2 END
    WHERE t.lo < t.hi
)
SELECT page.run_id, page.period_start, page.period_end, page.ranked_total, page.rank, page.position, page.score,
       page.last_position, t.lo
FROM page
LEFT JOIN tied t ON t.run_id = page.run_id AND t.lo = t.hi
ORDER BY page.period_end DESC, page.run_id DESC
"""

# The cluster's display name and avatar (NULLs without a profile) and how many of its awards are pending and
# settled (void ones are not counted): the profile's two small reads in one round trip.
# Uses index: cluster_profiles_pkey; leaderboard_awards_cluster_idx.
NAME_AND_AWARD_COUNTS = """
SELECT (SELECT p.display_name FROM cluster_profiles p WHERE p.cluster_id = %(cluster)s),
       (SELECT p.avatar_url FROM cluster_profiles p WHERE p.cluster_id = %(cluster)s),
       COALESCE(SUM(CASE WHEN a.status = 'PENDING' THEN 1 ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN a.status = 'SETTLED' THEN 1 ELSE 0 END), 0)
FROM leaderboard_awards a
WHERE a.cluster_id = %(cluster)s
"""


# What the history shows beside its page, in one round trip: the time window of the ACTIVE leaderboard
# %(leaderboard)s (no row: unknown or inactive), the cluster's display name and avatar (NULLs without a
# profile) and its best rank in the board's COMPLETE final runs (ties: the newest period; NULLs without one).
# Uses index: leaderboard_defs_key_key (unique key); cluster_profiles_pkey; leaderboard_runs_complete_idx and
# leaderboard_entries_unique_cluster (one probe per final run).
HISTORY_HEAD = """
SELECT d.time_window, p.display_name, p.avatar_url, b.id, b.period_start, b.period_end, b.rank
FROM leaderboard_defs d
LEFT JOIN cluster_profiles p ON p.cluster_id = %(cluster)s
LEFT JOIN (
    SELECT f.id AS id, f.period_start AS period_start, f.period_end AS period_end, fe.rank AS rank
    FROM leaderboard_runs f
    JOIN leaderboard_entries fe ON fe.run_id = f.id AND fe.cluster_id = %(cluster)s
    WHERE f.leaderboard_key = %(leaderboard)s AND f.status = 'COMPLETE' AND f.is_final
    ORDER BY fe.rank, f.period_end DESC, f.id DESC
    LIMIT 1
) b ON TRUE
WHERE d.key = %(leaderboard)s AND d.is_active
"""


# --- display names: the names shown with a response, each read in one statement --------------------
# Each answers (cluster_id, display_name, avatar_url) of the clusters shown that have a name or avatar.
# They select the clusters the same way as the entries they go with, so a run read can answer its 304
# (whose ETag covers the names) without reading the entries first.

# The clusters of a page of run %(run)s: positions after %(after)s, at most %(limit)s (a run's positions
# are 1..rowCount without gaps, as leaderboards.sql.ENTRIES_PAGE pages them; the sum in 64 bits: `after` may
# be the largest position).
# Uses index: leaderboard_entries_unique_position (run_id, position); cluster_profiles_pkey (one probe each).
NAMES_OF_PAGE = """
SELECT p.cluster_id, p.display_name, p.avatar_url
FROM leaderboard_entries e
JOIN cluster_profiles p ON p.cluster_id = e.cluster_id
WHERE e.run_id = %(run)s AND e.position > %(after)s AND e.position <= CAST(%(after)s AS BIGINT) + %(limit)s
"""

# The cluster %(cluster)s of run %(run)s and the entries %(around)s positions above and below it (as
# leaderboards.sql.CLUSTER_NEIGHBOURHOOD shows them).
# Uses index: leaderboard_entries_unique_cluster (the cluster); leaderboard_entries_unique_position (the
# neighbours); cluster_profiles_pkey.
NAMES_AROUND = """
SELECT p.cluster_id, p.display_name, p.avatar_url
FROM leaderboard_entries me
JOIN leaderboard_entries n
  ON n.run_id = me.run_id AND n.position BETWEEN me.position - %(around)s AND me.position + %(around)s
JOIN cluster_profiles p ON p.cluster_id = n.cluster_id
WHERE me.run_id = %(run)s AND me.cluster_id = %(cluster)s
"""

# The first %(limit)s movers of run %(run)s in %(direction)s as entries (leaderboards.selectors.ENTRY_FIELDS),
# each with its cluster's profile: id, display name and avatar (NULLs without one): the movers and the names the
# ETag needs in one read. Uses index: leaderboard_run_movers_unique_place; leaderboard_entries_unique_position;
# cluster_profiles_pkey.
MOVERS_WITH_NAMES = """
SELECT e.rank, e.position, e.cluster_id, e.score, e.tiebreaker, e.fallback_value, e.previous_rank,
       p.cluster_id, p.display_name, p.avatar_url
FROM leaderboard_run_movers m
JOIN leaderboard_entries e ON e.run_id = m.run_id AND e.position = m.position
LEFT JOIN cluster_profiles p ON p.cluster_id = e.cluster_id
WHERE m.run_id = %(run)s AND m.direction = %(direction)s AND m.place <= %(limit)s
ORDER BY m.place
"""

# The clusters named in %(ids)s. `{ids}` is hedge.core.db.json_strings("ids"): the ids, sent as one JSON
# array, as a one-column subquery. Uses index: cluster_profiles_pkey (one probe per id).
NAMES_OF_CLUSTERS = """
SELECT p.cluster_id, p.display_name, p.avatar_url
FROM cluster_profiles p
WHERE p.cluster_id IN ({ids})
"""
