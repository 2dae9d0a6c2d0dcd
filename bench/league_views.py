"""The floor of GET /leagues/{key}/clusters/{id}: bare cursors into JsonResponse, the cohort ranked in Python.

Written from the issue's definition, independently of hedge: no leagues.sql statement, no hedge selector or
period helper, no DRF, no serializers, no model instances, no ETag. The league, the board's latest run, the
cluster's seat and its cohort's members with their scores in that run are read with plain SQL; ranks (DENSE, the
benchmark's board), zones (counts, as the benchmark's tiers have: ties at an edge go the members' way, a member
the run does not rank never promotes) and the next reset (the end of the ISO week, in LEADERBOARD_TIMEZONE) are
computed here over the cohort's at most 30 rows. bench.leagues compares its answers with hedge's before timing.
"""

from __future__ import annotations

import datetime
import zoneinfo

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET

# The league and its board. Uses index: the unique key of leagues; leaderboard_defs' primary key.
_LEAGUE = """
SELECT l.id, l.leaderboard_key FROM leagues l JOIN leaderboard_defs d ON d.key = l.leaderboard_key
WHERE l.key = %(key)s AND l.is_active AND d.is_active
"""
# The board's latest complete run: scheduled runs before finals, backfills last, then the newest.
# Uses index: leaderboard_runs_complete_idx.
_RUN = """
SELECT r.id, r.period_start, r.period_end FROM leaderboard_runs r
WHERE r.leaderboard_key = %(board)s AND r.status = 'COMPLETE'
ORDER BY r.is_final, r.is_backfill, r.id DESC LIMIT 1
"""
# The cluster's seat in the run's period and its tier. Uses index: league_members_unique_cluster; the tier's.
_SEAT = """
SELECT m.level, m.cohort, t.name, t.promote_count, t.demote_count,
       (SELECT MAX(x.level) FROM league_tiers x WHERE x.league_id = m.league_id)
FROM league_members m JOIN league_tiers t ON t.league_id = m.league_id AND t.level = m.level
WHERE m.league_id = %(league)s AND m.cluster_id = %(cluster)s AND m.period_start = %(start)s
"""
# The cohort's members and their entries in the run (none: gained nothing).
# Uses index: league_members_unique_seat; leaderboard_entries_unique_cluster (one probe per member).
_COHORT = """
SELECT m.cluster_id, e.score, e.tiebreaker, e.position, m.slot
FROM league_members m
LEFT JOIN leaderboard_entries e ON e.run_id = %(run)s AND e.cluster_id = m.cluster_id
WHERE m.league_id = %(league)s AND m.period_start = %(start)s AND m.level = %(level)s AND m.cohort = %(cohort)s
"""


def _iso(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def _end_of_week(now: datetime.datetime) -> datetime.datetime:
    """The next Monday 00:00 in LEADERBOARD_TIMEZONE after `now` (the benchmark's board is WEEKLY)."""
    tz = zoneinfo.ZoneInfo(settings.LEADERBOARD_TIMEZONE)
    today = now.astimezone(tz).date()
    monday = today + datetime.timedelta(days=7 - today.weekday())
    return datetime.datetime.combine(monday, datetime.time(), tzinfo=tz)


@require_GET
def floor_league_cluster(request, key, cluster_id):
    with connection.cursor() as cursor:
        cursor.execute(_LEAGUE, {"key": key})
        league = cursor.fetchone()
        if league is None:
            return JsonResponse({"detail": "no league"}, status=404)
        league_id, board = league
        cursor.execute(_RUN, {"board": board})
        run = cursor.fetchone()
        if run is None:
            return JsonResponse({"detail": "no run"}, status=404)
        run_id, start, end = run
        cursor.execute(_SEAT, {"league": league_id, "cluster": cluster_id, "start": start})
        seat = cursor.fetchone()
        if seat is None:
            return JsonResponse({"detail": "not in the league"}, status=404)
        level, cohort, name, promote, demote, top = seat
        cursor.execute(_COHORT, {"run": run_id, "league": league_id, "start": start, "level": level, "cohort": cohort})
        members = cursor.fetchall()
    # Score, then tiebreaker, descending; ties in board order, members the run does not rank after, by seat.
    members.sort(key=lambda m: (-(m[1] or 0), -(m[2] or 0), m[3] is None, m[3] or 0, m[4]))
    ranks: list[int] = []
    for i, member in enumerate(members):
        same = i > 0 and (member[1] or 0, member[2] or 0) == (members[i - 1][1] or 0, members[i - 1][2] or 0)
        ranks.append(ranks[-1] if same else (ranks[-1] + 1 if ranks else 1))
    n = len(members)
    promoting = 0 if level >= top else min(promote or 0, n)
    demoting = 0 if level <= 1 else (demote or 0)
    promote_rank = ranks[promoting - 1] if promoting else 0
    stay_rank = ranks[n - demoting - 1] if n - demoting >= 1 else 0
    standings = []
    for member, rank in zip(members, ranks, strict=True):
        if promoting and member[3] is not None and rank <= promote_rank:
            zone = "promote"
        elif level > 1 and rank > stay_rank:
            zone = "demote"
        else:
            zone = "stay"
        standings.append({"clusterId": member[0], "rank": rank, "score": member[1] or 0, "zone": zone})
    return JsonResponse(
        {
            "tier": {"level": level, "name": name},
            "cohort": {"id": f"{level}-{cohort}", "size": n},
            "runId": run_id,
            "periodStart": _iso(start),
            "periodEnd": _iso(end),
            "nextResetAt": _iso(_end_of_week(datetime.datetime.now(datetime.UTC))),
            "standings": standings,
            "you": next(s for s in standings if s["clusterId"] == cluster_id),
        }
    )
