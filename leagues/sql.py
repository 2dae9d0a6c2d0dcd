"""The leagues' statements: placement inside a generation, standings and zones, and the moves at period end.

Placement (PLACE_MEMBERS) seats the run's clusters that have no place in the period yet, in one
`INSERT ... SELECT`: each at the level its latest earlier place left it (the next level of that
period's move, or its level while that period has no moves; 1 for a newcomer; never above the top
tier), in the order of the run's positions, after the tier's last seat: seat `slot` (0-based
within the tier) is in cohort slot // cohort_size + 1. Only the tier's last cohort is ever partly
filled, so "first come, first placed" needs no more than the tier's last seat.

Standings (STANDINGS, the rule written once) rank each cohort's members by the run's (score,
tiebreaker), with `{rank_function}` (leaderboards.sql.RANK_FUNCTIONS, the board's rank mode); a
member absent from the run gained nothing: score 0, at the bottom. Zones per cohort of n members:
a tier promotes p (its count, or ceil(P/100 x n) for a share) and demotes d likewise. Ties at a
boundary go the members' way: every member ranked at or above the rank at place p promotes, and a
member demotes only when ranked below the rank at place n - d (the last place that stays). An idle
member never promotes; with idle demotion it drops one tier. The top tier promotes nobody, level 1
demotes nobody, and a member in both zones (p + d > n) promotes.

Parameters: %(league)s, %(start)s (the period's start, hedge.core.db.sql_datetime), %(run)s (the board's
run), %(size)s (the period's cohort size), %(idle_demotion)s (1 or 0), %(previous)s (the start of the league's
latest period before, or NULL).
"""

# The run's clusters not yet placed in the period, seated after each tier's last seat. A cluster's level is its
# move's next level in the league's previous period (%(previous)s, NULL for the league's first: one join of the
# run with that period's moves, as a whole set), and only without one (a newcomer, a member of a period not closed
# yet, a cluster back from an absence) its latest earlier place is looked up, one probe each (COALESCE evaluates
# the subquery only then). Uses index: leaderboard_entries_unique_position (run_id, position) for the run's
# clusters in order; league_moves_unique_cluster (or a hash join) for the previous period's moves;
# league_members_unique_cluster (league_id, cluster_id, period_start) for "placed already" and for the latest
# earlier place; league_moves_unique_cluster for its move; league_seats (TIER_SEATS) for each tier's first free
# seat.
PLACE_MEMBERS = """
INSERT INTO league_members (league_id, period_start, cluster_id, level, cohort, slot)
SELECT %(league)s, %(start)s, a.cluster_id, a.level,
       (b.base + a.arrival - 1) / %(size)s + 1, b.base + a.arrival - 1
FROM (
    SELECT n.cluster_id, n.level, ROW_NUMBER() OVER (PARTITION BY n.level ORDER BY n.position) AS arrival
    FROM (
        SELECT k.cluster_id, k.position, CASE WHEN k.level > t.top THEN t.top ELSE k.level END AS level
        FROM (
            SELECT e.cluster_id, e.position,
                   COALESCE(w.next_level,
                            (SELECT COALESCE((SELECT v.next_level FROM league_moves v
                                              WHERE v.league_id = p.league_id AND v.cluster_id = p.cluster_id
                                                AND v.period_start = p.period_start), p.level)
                             FROM league_members p
                             WHERE p.league_id = %(league)s AND p.cluster_id = e.cluster_id
                               AND p.period_start < %(start)s
                             ORDER BY p.period_start DESC
                             LIMIT 1), 1) AS level
            FROM leaderboard_entries e
            LEFT JOIN league_moves w
              ON w.league_id = %(league)s AND w.cluster_id = e.cluster_id AND w.period_start = %(previous)s
            WHERE e.run_id = %(run)s
              AND NOT EXISTS (SELECT 1 FROM league_members m
                              WHERE m.league_id = %(league)s AND m.cluster_id = e.cluster_id
                                AND m.period_start = %(start)s)
        ) k
        CROSS JOIN (SELECT MAX(level) AS top FROM league_tiers WHERE league_id = %(league)s) t
    ) n
) a
JOIN league_seats b ON b.level = a.level
"""

# The scratch table of each tier's first free seat (read before PLACE_MEMBERS writes: probed inside it, the
# tier's last seat would be looked for among the rows the statement is inserting, once per row).
SEATS_TABLE = "league_seats"
SEATS_COLUMNS = "level integer NOT NULL PRIMARY KEY, base integer NOT NULL"

# Each tier's first free seat in the period. Uses index: league_members_unique_seat (league_id, period_start,
# level, cohort, slot), one backward probe per tier; league_tiers_unique_level.
TIER_SEATS = """
INSERT INTO league_seats (level, base)
SELECT t.level,
       COALESCE((SELECT s.slot + 1 FROM league_members s
                 WHERE s.league_id = %(league)s AND s.period_start = %(start)s AND s.level = t.level
                 ORDER BY s.cohort DESC, s.slot DESC
                 LIMIT 1), 0)
FROM league_tiers t
WHERE t.league_id = %(league)s
"""

# Each member's standing in its cohort, with its zone as a move: the rule (see the module docstring).
# `{scope}` narrows the members (SCOPES). Uses index: league_members_unique_seat (league_id, period_start,
# level, cohort, slot); leaderboard_entries_unique_cluster (run_id, cluster_id), one probe per member for one cohort
# (the run as a subquery's value, see below), a hash join for a period (the moves run under
# hedge.core.db.bulk_join_plan); league_tiers_unique_level.
STANDINGS = """
SELECT z.cluster_id, z.level, z.cohort, z.rank, z.place, z.members, z.score,
       CASE
           WHEN z.idle = 0 AND z.level < z.top AND z.rank <= z.promote_rank THEN 'PROMOTE'
           WHEN z.idle = 1 AND %(idle_demotion)s = 1 AND z.level > 1 THEN 'DEMOTE'
           WHEN z.level > 1 AND z.rank > z.stay_rank THEN 'DEMOTE'
           ELSE 'STAY'
       END AS move
FROM (
    SELECT r.cluster_id, r.level, r.cohort, r.rank, r.place, r.members, r.score, r.idle, r.top,
           MAX(CASE WHEN r.place = CASE WHEN r.promote_n > r.members THEN r.members ELSE r.promote_n END
                    THEN r.rank END) OVER (PARTITION BY r.level, r.cohort) AS promote_rank,
           COALESCE(MAX(CASE WHEN r.place = r.members - r.demote_n THEN r.rank END)
                        OVER (PARTITION BY r.level, r.cohort), 0) AS stay_rank
    FROM (
        SELECT s.cluster_id, s.level, s.cohort, s.rank, s.place, s.members, s.score, s.idle,
               (SELECT MAX(x.level) FROM league_tiers x WHERE x.league_id = %(league)s) AS top,
               CASE WHEN t.promote_percent IS NOT NULL
                    THEN (CAST(ROUND(t.promote_percent * 10000) AS BIGINT) * s.members + 999999) / 1000000
                    ELSE COALESCE(t.promote_count, 0) END AS promote_n,
               CASE WHEN t.demote_percent IS NOT NULL
                    THEN (CAST(ROUND(t.demote_percent * 10000) AS BIGINT) * s.members + 999999) / 1000000
                    ELSE COALESCE(t.demote_count, 0) END AS demote_n
        FROM (
            SELECT q.cluster_id, q.level, q.cohort, COALESCE(q.score, 0) AS score,
                   CASE WHEN q.position IS NULL THEN 1 ELSE 0 END AS idle,
                   {rank_function}() OVER (PARTITION BY q.level, q.cohort
                                           ORDER BY COALESCE(q.score, 0) DESC, COALESCE(q.tiebreaker, 0) DESC) AS rank,
                   ROW_NUMBER() OVER (PARTITION BY q.level, q.cohort
                                      ORDER BY COALESCE(q.score, 0) DESC, COALESCE(q.tiebreaker, 0) DESC,
                                               CASE WHEN q.position IS NULL THEN 1 ELSE 0 END, q.position,
                                               q.slot) AS place,
                   COUNT(*) OVER (PARTITION BY q.level, q.cohort) AS members
            FROM (
                SELECT m.cluster_id, m.level, m.cohort, m.slot, e.score, e.tiebreaker, e.position
                FROM league_members m
                -- The run is a subquery's value, not a constant, for the cohort read's plan: a run newer
                -- than the statistics is estimated at one entry, and then reading the run down an index by
                -- run_id alone, once per member, costs no more than a probe by (run_id, cluster_id): a 503
                -- at 1M entries. A value the planner cannot see is estimated as an average run, so the
                -- probe wins. (SQLite has no LATERAL, and a per-member subquery has the same tie.)
                LEFT JOIN leaderboard_entries e ON e.run_id = (SELECT %(run)s) AND e.cluster_id = m.cluster_id
                WHERE m.league_id = %(league)s AND m.period_start = %(start)s{scope}
            ) q
        ) s
        LEFT JOIN league_tiers t ON t.league_id = %(league)s AND t.level = s.level
    ) r
) z
"""

# The cohort read's first statement: the active league `%(key)s` of an active board (no row: unknown), the board's
# latest COMPLETE run (the order of leaderboards.selectors.LATEST_ORDER: a scheduled run before a final, a backfill
# last, then the newest) and the cluster `%(cluster)s`'s seat in its period with the tier's name (NULL: no run, or
# no seat). Uses index: leagues' unique key; leaderboard_runs_complete_idx (the board's COMPLETE runs in that
# order); league_members_unique_cluster (league_id, cluster_id, period_start), equality on all three (the seat
# index, by (league, period) then a filter on the cluster, would read the period's members); league_tiers_unique_level.
LEAGUE_RUN_AND_SEAT = """
SELECT l.id, l.idle_demotion, d.rank_mode, d.time_window, r.id, r.period_start, r.period_end, m.level, m.cohort,
       t.name
FROM leagues l
JOIN leaderboard_defs d ON d.key = l.leaderboard_key
LEFT JOIN leaderboard_runs r
  ON r.id = (SELECT x.id FROM leaderboard_runs x
             WHERE x.leaderboard_key = l.leaderboard_key AND x.status = 'COMPLETE'
             ORDER BY x.is_final, x.is_backfill, x.id DESC
             LIMIT 1)
LEFT JOIN league_members m ON m.league_id = l.id AND m.cluster_id = %(cluster)s AND m.period_start = r.period_start
LEFT JOIN league_tiers t ON t.league_id = l.id AND t.level = m.level
WHERE l.key = %(key)s AND l.is_active AND d.is_active
"""

# The `{scope}` of STANDINGS: every member of the period (the moves), or one cohort (%(level)s, %(cohort)s).
PERIOD_SCOPE = ""
COHORT_SCOPE = " AND m.level = %(level)s AND m.cohort = %(cohort)s"

# One cohort's standings in place order (the public API). Uses index: as STANDINGS with COHORT_SCOPE.
COHORT_STANDINGS = (
    "SELECT c.cluster_id, c.rank, c.score, c.move, c.members FROM (" + STANDINGS + ") c\nORDER BY c.place\n"
)

# A period's moves, from its final run (STANDINGS with PERIOD_SCOPE). Uses index: as STANDINGS.
WRITE_MOVES = (
    """
INSERT INTO league_moves (league_id, period_start, cluster_id, level, cohort, rank, score, move, next_level)
SELECT %(league)s, %(start)s, c.cluster_id, c.level, c.cohort, c.rank, c.score, c.move,
       CASE c.move WHEN 'PROMOTE' THEN c.level + 1 WHEN 'DEMOTE' THEN c.level - 1 ELSE c.level END
FROM ("""
    + STANDINGS
    + ") c\n"
)

# A correction rewrites the period's moves: the old ones go first. Uses index: league_moves_period_idx.
DELETE_MOVES = """
DELETE FROM league_moves WHERE league_id = %(league)s AND period_start = %(start)s
"""

# Whether a later period of the league has members (then a correction no longer rewrites moves).
# Uses index: league_periods_unique_start (league_id, period_start), league_members_unique_seat.
LATER_PERIOD_FILLED = """
SELECT 1 FROM league_periods p
WHERE p.league_id = %(league)s AND p.period_start > %(start)s
  AND EXISTS (SELECT 1 FROM league_members m WHERE m.league_id = p.league_id AND m.period_start = p.period_start)
LIMIT 1
"""

# Promoted, stayed and demoted per tier of a period (the event, the admin). Uses index: league_moves_period_idx.
MOVE_COUNTS = """
SELECT v.level, v.move, COUNT(*) FROM league_moves v
WHERE v.league_id = %(league)s AND v.period_start = %(start)s
GROUP BY v.level, v.move
ORDER BY v.level, v.move
"""
