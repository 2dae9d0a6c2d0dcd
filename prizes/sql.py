"""The prizes' statements: awards are written from a final run's entries in one `INSERT ... SELECT`
(and a league tier's, from the league's moves of that period, in another: AWARD_TIERS).

A prize row wins ranks first_rank..last_rank (a range's from..to; a top percentage's 1..the rank of
the entry at position ceil(P/100 x entries), computed in whole numbers as
(P x 10000 x entries + 999999) / 1000000 since P has four decimals). Ranks never decrease with
position and never exceed it, so the entries a row wins lie between position first_rank and the
last position whose rank is <= last_rank: found as (the first position ranked beyond it) - 1, an
index walk over the winners only, so a row costs what it awards, not what the run holds.

Parameters: %(run)s (the final run), %(rows)s (its row_count), %(now)s (hedge.core.db.sql_datetime).
"""

# Every (entry, prize row) the run's standings win, as awards with a snapshot of the prize.
# Uses index: leaderboard_entries_unique_position (run_id, position) for the percent probe, the
# first position beyond each row and the winners' range; leaderboard_prizes' leaderboard_key index.
AWARD = """
INSERT INTO leaderboard_awards (run_id, leaderboard_key, period_start, period_end, cluster_id, rank, position,
                                score, prize_id, name, kind, quantity, data, status, created_at)
SELECT r.id, r.leaderboard_key, r.period_start, r.period_end, e.cluster_id, e.rank, e.position,
       e.score, s.id, s.name, s.kind, s.quantity, s.data, 'PENDING', %(now)s
FROM leaderboard_runs r
CROSS JOIN (
    SELECT b.id, b.name, b.kind, b.quantity, b.data, b.min_score, b.first_rank,
           COALESCE((SELECT MIN(l.position) FROM leaderboard_entries l
                     WHERE l.run_id = %(run)s AND l.rank > b.last_rank) - 1, %(rows)s) AS last_position
    FROM (
        SELECT p.id, p.name, p.kind, p.quantity, p.data, p.min_score, COALESCE(p.rank_from, 1) AS first_rank,
               COALESCE(p.rank_to, (SELECT c.rank FROM leaderboard_entries c
                                    WHERE c.run_id = %(run)s
                                      AND c.position = (CAST(ROUND(p.top_percent * 10000) AS BIGINT) * %(rows)s
                                                        + 999999) / 1000000)) AS last_rank
        FROM leaderboard_prizes p
        WHERE p.leaderboard_key = (SELECT q.leaderboard_key FROM leaderboard_runs q WHERE q.id = %(run)s)
    ) b
) s
JOIN leaderboard_entries e ON e.run_id = r.id AND e.position BETWEEN s.first_rank AND s.last_position
WHERE r.id = %(run)s
  AND e.rank >= s.first_rank
  AND (s.min_score IS NULL OR e.score >= s.min_score)
"""

# Every (league member, tier prize row) the period's moves win, as awards: a league tier's rows go by the
# rank within the cohort as the league's moves store it (written before, in the same publication: leagues'
# receiver runs first), "top P%" of the cohort's members (ties at the boundary win, as above), and a member who
# gained nothing (score 0) wins nothing. The award's position is the place in the cohort (rank, then cluster
# id). A league's moves are those of the period's final run, or of an earlier one when a correction came after
# the next period's cohorts were filled (the league's moves stand; so do its prizes).
# Uses index: league_tiers_unique_level and leaderboard_prizes' league_tier_id index (the tiers with prizes);
# league_moves_period_idx (league_id, period_start, level, move) for each such tier's members.
AWARD_TIERS = """
INSERT INTO leaderboard_awards (run_id, leaderboard_key, period_start, period_end, cluster_id, rank, position,
                                score, league_key, league_level, league_cohort, prize_id, name, kind, quantity,
                                data, status, created_at)
SELECT r.id, r.leaderboard_key, r.period_start, r.period_end, w.cluster_id, w.rank, w.place,
       w.score, w.league_key, w.level, w.cohort, w.prize_id, w.name, w.kind, w.quantity, w.data, 'PENDING', %(now)s
FROM leaderboard_runs r
CROSS JOIN (
    SELECT c.league_key, c.level, c.cohort, c.cluster_id, c.rank, c.score, c.place, c.prize_id, c.name, c.kind,
           c.quantity, c.data, c.rank_from, c.rank_to, c.min_score,
           MAX(CASE WHEN c.place = c.cut THEN c.rank END) OVER (PARTITION BY c.prize_id, c.cohort) AS cut_rank
    FROM (
        SELECT g.key AS league_key, v.level, v.cohort, v.cluster_id, v.rank, v.score, p.id AS prize_id, p.name,
               p.kind, p.quantity, p.data, p.rank_from, p.rank_to, p.min_score,
               ROW_NUMBER() OVER (PARTITION BY p.id, v.cohort ORDER BY v.rank, v.cluster_id) AS place,
               (CAST(ROUND(p.top_percent * 10000) AS BIGINT) * COUNT(*) OVER (PARTITION BY p.id, v.cohort)
                + 999999) / 1000000 AS cut
        FROM leaderboard_runs q
        JOIN leagues g ON g.leaderboard_key = q.leaderboard_key AND g.is_active
        JOIN league_tiers t ON t.league_id = g.id
        JOIN leaderboard_prizes p ON p.league_tier_id = t.id
        JOIN league_moves v ON v.league_id = g.id AND v.period_start = q.period_start AND v.level = t.level
        WHERE q.id = %(run)s
    ) c
) w
WHERE r.id = %(run)s
  AND w.score > 0
  AND w.rank >= COALESCE(w.rank_from, 1)
  AND w.rank <= COALESCE(w.rank_to, w.cut_rank)
  AND (w.min_score IS NULL OR w.score >= w.min_score)
"""

# What each prize row would award in a run, written nowhere (the admin's preview): the selection
# of AWARD, counted per prize row. Extra parameter: %(leaderboard)s (the board whose table is read).
# Uses index: as AWARD.
PREVIEW = """
SELECT s.id, COUNT(e.cluster_id) AS clusters
FROM (
    SELECT b.id, b.min_score, b.first_rank,
           COALESCE((SELECT MIN(l.position) FROM leaderboard_entries l
                     WHERE l.run_id = %(run)s AND l.rank > b.last_rank) - 1, %(rows)s) AS last_position
    FROM (
        SELECT p.id, p.min_score, COALESCE(p.rank_from, 1) AS first_rank,
               COALESCE(p.rank_to, (SELECT c.rank FROM leaderboard_entries c
                                    WHERE c.run_id = %(run)s
                                      AND c.position = (CAST(ROUND(p.top_percent * 10000) AS BIGINT) * %(rows)s
                                                        + 999999) / 1000000)) AS last_rank
        FROM leaderboard_prizes p
        WHERE p.leaderboard_key = %(leaderboard)s
    ) b
) s
LEFT JOIN leaderboard_entries e
  ON e.run_id = %(run)s AND e.position BETWEEN s.first_rank AND s.last_position
 AND e.rank >= s.first_rank AND (s.min_score IS NULL OR e.score >= s.min_score)
GROUP BY s.id
"""

# A correction: the superseded run's PENDING awards are void, pointing to the run that replaced it.
# Parameters: %(superseded)s, %(run)s, %(now)s. Uses index: leaderboard_awards_run_idx.
VOID_PENDING = """
UPDATE leaderboard_awards
SET status = 'VOID', voided_at = %(now)s, voided_by_run_id = %(run)s
WHERE run_id = %(superseded)s AND status = 'PENDING'
"""

# A correction: each SETTLED award of the period (earlier runs) is marked "paid, no longer entitled"
# by the new run when the new run did not award the same prize row to the same cluster, and unmarked
# when it did (a later correction can entitle it again). Run right after AWARD.
# Uses index: leaderboard_awards_settled_idx (the period's settled awards), leaderboard_awards_unique_prize.
MARK_DISENTITLED = """
UPDATE leaderboard_awards
SET disentitled_by_run_id = CASE
    WHEN EXISTS (SELECT 1 FROM leaderboard_awards n
                 WHERE n.run_id = %(run)s AND n.cluster_id = leaderboard_awards.cluster_id
                   AND n.prize_id = leaderboard_awards.prize_id) THEN NULL
    ELSE %(run)s END
WHERE status = 'SETTLED' AND run_id <> %(run)s
  AND leaderboard_key = (SELECT r.leaderboard_key FROM leaderboard_runs r WHERE r.id = %(run)s)
  AND period_start = (SELECT r.period_start FROM leaderboard_runs r WHERE r.id = %(run)s)
  AND period_end = (SELECT r.period_end FROM leaderboard_runs r WHERE r.id = %(run)s)
"""

# A correction: a prize row already paid to a cluster in this period is not awarded to it again.
# Run after MARK_DISENTITLED (which reads the new run's awards as written).
# Uses index: leaderboard_awards_settled_idx (one probe per new award).
DROP_SETTLED_TWINS = """
DELETE FROM leaderboard_awards
WHERE run_id = %(run)s AND EXISTS (
    SELECT 1 FROM leaderboard_awards s
    WHERE s.status = 'SETTLED' AND s.run_id <> %(run)s
      AND s.leaderboard_key = leaderboard_awards.leaderboard_key
      AND s.period_start = leaderboard_awards.period_start AND s.period_end = leaderboard_awards.period_end
      AND s.cluster_id = leaderboard_awards.cluster_id AND s.prize_id = leaderboard_awards.prize_id
)
"""

# A keyset page of awards by id, for the game (GET /service/awards). `{scope}` is one of SERVICE_SCOPES.
# Uses index: leaderboard_awards_status_idx (status, id), leaderboard_awards_board_idx (leaderboard_key,
# status, id), or the primary key without a status.
SERVICE_AWARDS_PAGE = """
SELECT a.id, a.leaderboard_key, a.run_id, a.period_start, a.period_end, a.cluster_id, a.rank, a.score,
       a.name, a.kind, a.quantity, a.data, a.status, a.reference, a.settled_at, a.league_key, a.league_level,
       a.league_cohort
FROM leaderboard_awards a
WHERE a.id > %(after)s{scope}
ORDER BY a.id
LIMIT %(limit)s
"""

# The `{scope}` of SERVICE_AWARDS_PAGE by (a status given, a leaderboard given).
SERVICE_SCOPES = {
    (False, False): "",
    (True, False): " AND a.status = %(status)s",
    (False, True): " AND a.leaderboard_key = %(leaderboard)s",
    (True, True): " AND a.status = %(status)s AND a.leaderboard_key = %(leaderboard)s",
}
