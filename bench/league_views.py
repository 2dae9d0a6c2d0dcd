"""The floor of GET /leagues/{key}/clusters/{id}: bare cursors into JsonResponse, the cohort ranked in Python.

No DRF, no serializers, no model instances, no ETag. The league, the board's latest run, the cluster's seat
and its cohort's rows with their scores, read with plain SQL; ranks (DENSE) and zones (counts, as the
benchmark's tiers have) computed over the cohort's at most 30 rows. It answers the same JSON as hedge's
view for the requests the benchmark sends (compared before timing).
"""

from __future__ import annotations

import datetime

from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from leaderboards.periods import next_resets

# Uses index: leagues' unique key.
_LEAGUE = """
SELECT l.id, l.leaderboard_key, d.time_window, l.idle_demotion FROM leagues l
JOIN leaderboard_defs d ON d.key = l.leaderboard_key
WHERE l.key = %(key)s AND l.is_active AND d.is_active
"""
# Uses index: leaderboard_runs_complete_idx.
_RUN = """
SELECT r.id, r.period_start, r.period_end FROM leaderboard_runs r
WHERE r.leaderboard_key = %(board)s AND r.status = 'COMPLETE'
ORDER BY r.is_final, r.is_backfill, r.id DESC LIMIT 1
"""
# Uses index: league_members_unique_cluster; league_tiers_unique_level.
_SEAT = """
SELECT m.level, m.cohort, t.name, t.promote_count, t.demote_count, (SELECT MAX(x.level) FROM league_tiers x
                                                                    WHERE x.league_id = m.league_id)
FROM league_members m LEFT JOIN league_tiers t ON t.league_id = m.league_id AND t.level = m.level
WHERE m.league_id = %(league)s AND m.cluster_id = %(cluster)s AND m.period_start = %(start)s
"""
# Uses index: league_members_unique_seat; leaderboard_entries_unique_cluster. The run is a subquery's value, as in
# leagues.sql.STANDINGS: as a constant the statistics do not know, the join scans the run per member (not a floor).
_COHORT = """
SELECT m.cluster_id, COALESCE(e.score, 0), COALESCE(e.tiebreaker, 0), e.position, m.slot
FROM league_members m LEFT JOIN leaderboard_entries e ON e.run_id = (SELECT %(run)s) AND e.cluster_id = m.cluster_id
WHERE m.league_id = %(league)s AND m.period_start = %(start)s AND m.level = %(level)s AND m.cohort = %(cohort)s
"""


def _iso(value):
    return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


@require_GET
def floor_league_cluster(request, key, cluster_id):
    with connection.cursor() as cursor:
        cursor.execute(_LEAGUE, {"key": key})
        league = cursor.fetchone()
        if league is None:
            return JsonResponse({"detail": "no league"}, status=404)
        league_id, board, window, _ = league
        cursor.execute(_RUN, {"board": board})
        run = cursor.fetchone()
        cursor.execute(_SEAT, {"league": league_id, "cluster": cluster_id, "start": run[1]})
        seat = cursor.fetchone()
        if seat is None:
            return JsonResponse({"detail": "not in the league"}, status=404)
        level, cohort, name, promote, demote, top = seat
        cursor.execute(_COHORT, {"run": run[0], "league": league_id, "start": run[1], "level": level, "cohort": cohort})
        rows = cursor.fetchall()
    rows.sort(key=lambda r: (-r[1], -r[2], r[3] is None, r[3] or 0, r[4]))
    ranks, dense = [], 0
    for i, row in enumerate(rows):
        if i == 0 or row[1:3] != rows[i - 1][1:3]:
            dense += 1
        ranks.append(dense)
    n = len(rows)
    p = 0 if level >= top else min(promote or 0, n)
    d = 0 if level <= 1 else (demote or 0)
    last_promoted = ranks[p - 1] if p else 0
    last_staying = ranks[n - d - 1] if n - d >= 1 else 0
    standings = []
    for row, rank in zip(rows, ranks, strict=True):
        zone = "stay"
        if p and rank <= last_promoted and row[3] is not None:
            zone = "promote"
        elif level > 1 and rank > last_staying:
            zone = "demote"
        standings.append({"clusterId": row[0], "rank": rank, "score": row[1], "zone": zone})
    reset = next_resets([window], now=timezone.now())[window]
    return JsonResponse(
        {
            "tier": {"level": level, "name": name},
            "cohort": {"id": f"{level}-{cohort}", "size": n},
            "runId": run[0],
            "periodStart": _iso(run[1]),
            "periodEnd": _iso(run[2]),
            "nextResetAt": _iso(reset) if reset else None,
            "standings": standings,
            "you": next(s for s in standings if s["clusterId"] == cluster_id),
        }
    )
