"""What challenge_progress_history says about a period, as SQL subqueries that other statements embed.

The gain rule (docs/scores.md) is written here once; the ranking statement (leaderboards/sql.py)
and the season points statements (seasons/sql.py) embed these subqueries, filling `{challenges}`
(a SQL list or subquery of challenge ids) and `{clusters}` ("" or an `AND h.cluster_id ...`
condition; SCOPE_GAINS: `{scope}`, a table of cluster ids) when their module is imported, so
each of their statements is a finished constant.

Parameters: `%(start)s` the period's start, `%(until)s` min(period end, now). Value as of a moment
T = the value of the newest history row recorded at or before T (the row id breaks a tie), so a
change stamped exactly at a boundary belongs to the period that ends there.

Each subquery computes its gains in a MATERIALIZED common table expression: its callers read
`gain` twice (to keep gains above 0, and to sum them), and without the fence the planner would
inline the expression, baseline lookups included, into both.
"""

# The baseline of pair (e.challenge_id, e.cluster_id): its value as of `start`; else 0 when the
# challenge's history began at or before `start` (the cluster is new since); else (the period
# started before history began) its first recorded value. COALESCE evaluates the rest only
# when the first lookup finds nothing.
# Uses index: progress_history_lookup_idx (both lookups), progress_history_window_idx (the MIN).
_BASELINE = """COALESCE(
    (SELECT b.value FROM challenge_progress_history b
     WHERE b.challenge_id = e.challenge_id AND b.cluster_id = e.cluster_id AND b.recorded_at <= %(start)s
     ORDER BY b.recorded_at DESC, b.id DESC LIMIT 1),
    CASE WHEN %(start)s >= (SELECT MIN(m.recorded_at) FROM challenge_progress_history m
                            WHERE m.challenge_id = e.challenge_id)
         THEN 0
         ELSE (SELECT a.value FROM challenge_progress_history a
               WHERE a.challenge_id = e.challenge_id AND a.cluster_id = e.cluster_id
               ORDER BY a.recorded_at, a.id LIMIT 1)
    END)"""

# (challenge_id, cluster_id, gain) for each pair with a history row in (start, until]: no other
# pair can have gained. gain = its newest value in the period - its baseline; it may be negative
# (a value corrected downwards): callers count only gains above 0. The period's rows are found by
# time, so the cost follows the rows recorded in the period, not the size of the history.
# Uses index: progress_history_window_idx (the period's rows), and see _BASELINE.
PERIOD_GAINS = f"""
WITH gains AS MATERIALIZED (
    SELECT e.challenge_id AS challenge_id, e.cluster_id AS cluster_id, e.value - {_BASELINE} AS gain
    FROM (
        SELECT h.challenge_id AS challenge_id, h.cluster_id AS cluster_id, h.value AS value,
               ROW_NUMBER() OVER (PARTITION BY h.challenge_id, h.cluster_id
                                  ORDER BY h.recorded_at DESC, h.id DESC) AS newest
        FROM challenge_progress_history h
        WHERE h.challenge_id IN ({{challenges}}) {{clusters}}
          AND h.recorded_at > %(start)s AND h.recorded_at <= %(until)s
    ) e
    WHERE e.newest = 1
)
SELECT gains.challenge_id, gains.cluster_id, gains.gain FROM gains
"""

# The same gains for the clusters of `{scope}` (a table of cluster ids) only, pair by pair through
# the lookup index: what a recompute of a few changed clusters reads, whatever the period's size.
# Each pair's newest value in the period is looked up once, in its own fenced CTE (read by the
# filter and the gain, an inlined lookup would run twice).
# Uses index: progress_history_lookup_idx (each pair's newest row in the period), and see _BASELINE.
SCOPE_GAINS = f"""
WITH newest AS MATERIALIZED (
    SELECT c.id AS challenge_id, s.cluster_id AS cluster_id,
           (SELECT h.value FROM challenge_progress_history h
            WHERE h.challenge_id = c.id AND h.cluster_id = s.cluster_id
              AND h.recorded_at > %(start)s AND h.recorded_at <= %(until)s
            ORDER BY h.recorded_at DESC, h.id DESC LIMIT 1) AS value
    FROM {{scope}} s
    CROSS JOIN ({{challenges}}) c
),
gains AS MATERIALIZED (
    SELECT e.challenge_id AS challenge_id, e.cluster_id AS cluster_id, e.value - {_BASELINE} AS gain
    FROM newest e
    WHERE e.value IS NOT NULL
)
SELECT gains.challenge_id, gains.cluster_id, gains.gain FROM gains
"""

# (challenge_id, cluster_id, value) as of `until` for each pair with a history row at or before it.
# Uses index: progress_history_lookup_idx.
VALUES_AS_OF = """
SELECT e.challenge_id AS challenge_id, e.cluster_id AS cluster_id, e.value AS value
FROM (
    SELECT h.challenge_id AS challenge_id, h.cluster_id AS cluster_id, h.value AS value,
           ROW_NUMBER() OVER (PARTITION BY h.challenge_id, h.cluster_id
                              ORDER BY h.recorded_at DESC, h.id DESC) AS newest
    FROM challenge_progress_history h
    WHERE h.challenge_id IN ({challenges}) {clusters} AND h.recorded_at <= %(until)s
) e
WHERE e.newest = 1
"""
