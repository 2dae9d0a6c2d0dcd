"""The floor of the player-centred reads (issue #24): plain SQL with a bare cursor, into JsonResponse.

No DRF, no serializers, no ETag, and none of hedge's statements: each read is written here from the issue's
definitions, as a PostgreSQL engineer would write it against hedge's tables and indexes (LATERAL joins, one
probe per run). "Latest run" is hedge's documented choice (COMPLETE; scheduled runs before finals and
backfills, then the newest); the percentile is the README's (clusters ranked strictly behind, over
GREATEST(rankedTotal, rowCount), rounded down to one decimal), the last position tied with the cluster found
by walking the position index forward from it. They answer the same JSON as hedge's views for the requests
`manage.py bench_profiles` sends (compared before timing); error handling only as much as keeps them honest.
"""

from __future__ import annotations

import datetime

from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from leaderboards.periods import next_resets

# Whether an exclusion from every board and the season pass is in force at %(now)s (the request's moment).
# Uses index: lb_exclusions_cluster_idx.
_EXCLUDED = """
SELECT EXISTS (SELECT 1 FROM leaderboard_exclusions x
               WHERE x.cluster_id = %(cluster)s AND x.leaderboard_key IS NULL AND x.created_at <= %(now)s
                 AND (x.lifted_at IS NULL OR x.lifted_at > %(now)s)
                 AND (x.expires_at IS NULL OR x.expires_at > %(now)s))
"""
# Uses index: cluster_profiles_pkey.
_NAME = "SELECT display_name, avatar_url FROM cluster_profiles WHERE cluster_id = %(cluster)s"
# Uses index: leaderboard_awards_cluster_idx.
_AWARDS = """
SELECT COUNT(*) FILTER (WHERE status = 'PENDING'), COUNT(*) FILTER (WHERE status = 'SETTLED')
FROM leaderboard_awards WHERE cluster_id = %(cluster)s
"""
# Uses index: none (a handful of seasons).
_ACTIVE_SEASON = "SELECT id FROM seasons WHERE is_active AND starts_at <= %(now)s AND ends_at > %(now)s LIMIT 1"
# Uses index: leaderboard_defs_pkey.
_DEFINITION = "SELECT time_window FROM leaderboard_defs WHERE key = %(key)s AND is_active"

# Each active board's latest COMPLETE run, the cluster's entry in it, the first position behind its rank
# (walking the position index forward: one probe without a tie) and its best rank in the board's COMPLETE
# finals (one probe per final). Uses index: leaderboard_runs_complete_idx; leaderboard_entries_unique_cluster;
# leaderboard_entries_unique_position.
_STANDINGS = """
SELECT d.key, d.name, d.time_window, r.id, r.period_start, r.period_end, GREATEST(r.ranked_total, r.row_count),
       e.rank, e.position, e.score, e.previous_rank,
       COALESCE((SELECT MIN(n.position) - 1 FROM leaderboard_entries n
                 WHERE n.run_id = r.id AND n.position > e.position AND n.rank > e.rank), r.row_count),
       b.id, b.period_start, b.period_end, b.rank
FROM leaderboard_defs d
CROSS JOIN LATERAL (SELECT id, period_start, period_end, ranked_total, row_count FROM leaderboard_runs
                    WHERE leaderboard_key = d.key AND status = 'COMPLETE'
                    ORDER BY is_final, is_backfill, id DESC LIMIT 1) r
JOIN leaderboard_entries e ON e.run_id = r.id AND e.cluster_id = %(cluster)s
LEFT JOIN LATERAL (SELECT f.id, f.period_start, f.period_end, fe.rank FROM leaderboard_runs f
                   JOIN leaderboard_entries fe ON fe.run_id = f.id AND fe.cluster_id = %(cluster)s
                   WHERE f.leaderboard_key = d.key AND f.status = 'COMPLETE' AND f.is_final
                   ORDER BY fe.rank, f.period_end DESC, f.id DESC LIMIT 1) b ON TRUE
WHERE d.is_active
ORDER BY d.key
"""

# The cluster in the board's COMPLETE finals, newest period first, before run %(before)s (NULL: from the newest).
# Uses index: leaderboard_runs_complete_idx; leaderboard_entries_unique_cluster; leaderboard_entries_unique_position.
_HISTORY = """
SELECT r.id, r.period_start, r.period_end, GREATEST(r.ranked_total, r.row_count), e.rank, e.position, e.score,
       COALESCE((SELECT MIN(n.position) - 1 FROM leaderboard_entries n
                 WHERE n.run_id = r.id AND n.position > e.position AND n.rank > e.rank), r.row_count)
FROM leaderboard_runs r
JOIN leaderboard_entries e ON e.run_id = r.id AND e.cluster_id = %(cluster)s
WHERE r.leaderboard_key = %(key)s AND r.status = 'COMPLETE' AND r.is_final
  AND (CAST(%(before)s AS BIGINT) IS NULL
       OR (r.period_end, r.id) < (SELECT b.period_end, b.id FROM leaderboard_runs b WHERE b.id = %(before)s))
ORDER BY r.period_end DESC, r.id DESC
LIMIT %(limit)s
"""
# Uses index: leaderboard_runs_complete_idx; leaderboard_entries_unique_cluster.
_BEST = """
SELECT f.id, f.period_start, f.period_end, fe.rank FROM leaderboard_runs f
JOIN leaderboard_entries fe ON fe.run_id = f.id AND fe.cluster_id = %(cluster)s
WHERE f.leaderboard_key = %(key)s AND f.status = 'COMPLETE' AND f.is_final
ORDER BY fe.rank, f.period_end DESC, f.id DESC LIMIT 1
"""

# The board's latest COMPLETE run with its challenges' codes. Uses index: leaderboard_runs_complete_idx.
_LATEST_RUN = """
SELECT r.id, c.code, fc.code FROM leaderboard_runs r
JOIN leaderboard_defs d ON d.key = r.leaderboard_key AND d.is_active
LEFT JOIN challenges c ON c.id = r.challenge_id
LEFT JOIN challenges fc ON fc.id = r.fallback_challenge_id
WHERE r.leaderboard_key = %(key)s AND r.status = 'COMPLETE'
ORDER BY r.is_final, r.is_backfill, r.id DESC LIMIT 1
"""
# The run's stored movers of one direction as entries, with their names.
# Uses index: leaderboard_run_movers_unique_place; leaderboard_entries_unique_position; cluster_profiles_pkey.
_MOVERS = """
SELECT e.rank, e.position, e.cluster_id, e.score, e.tiebreaker, e.fallback_value, e.previous_rank,
       p.display_name, p.avatar_url
FROM leaderboard_run_movers m
JOIN leaderboard_entries e ON e.run_id = m.run_id AND e.position = m.position
LEFT JOIN cluster_profiles p ON p.cluster_id = e.cluster_id
WHERE m.run_id = %(run)s AND m.direction = %(direction)s
ORDER BY m.place LIMIT %(limit)s
"""


def _rows(statement: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall()


def _iso(value: datetime.datetime | None) -> str | None:
    return None if value is None else value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def _limit(request, default: int) -> int | None:
    raw = request.GET.get("limit", str(default))
    return int(raw) if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= 100 else None


def _standing(total: int, tied: int) -> dict:
    return {"total": total, "percentile": (1000 * (total - tied) // total) / 10}


def _best(run_id, start, end, rank) -> dict | None:
    if run_id is None:
        return None
    return {"rank": rank, "runId": run_id, "periodStart": _iso(start), "periodEnd": _iso(end)}


def _name(cluster_id: str) -> tuple:
    rows = _rows(_NAME, {"cluster": cluster_id})
    return rows[0] if rows else (None, None)


@require_GET
def floor_cluster_profile(request, cluster_id):
    now = timezone.now()
    if _rows(_EXCLUDED, {"cluster": cluster_id, "now": now})[0][0]:
        return JsonResponse({"detail": "excluded"}, status=404)
    name, avatar = _name(cluster_id)
    standings = _rows(_STANDINGS, {"cluster": cluster_id})
    [(pending, settled)] = _rows(_AWARDS, {"cluster": cluster_id})
    if _rows(_ACTIVE_SEASON, {"now": now}):
        return JsonResponse({"detail": "the profile floor serves no active season"}, status=501)
    resets = next_resets({row[2] for row in standings}, now=now)
    boards = []
    for key, board, window, run_id, start, end, total, rank, position, score, previous, tied, *best in standings:
        boards.append(
            {
                "key": key,
                "name": board,
                "timeWindow": window,
                "runId": run_id,
                "periodStart": _iso(start),
                "periodEnd": _iso(end),
                "nextResetAt": _iso(resets[window]),
                "rank": rank,
                "position": position,
                "score": score,
                "previousRank": previous,
                "rankChange": None if previous is None else previous - rank,
                **_standing(total, tied),
                "best": _best(*best),
            }
        )
    return JsonResponse(
        {
            "clusterId": cluster_id,
            "displayName": name,
            "avatarUrl": avatar,
            "leaderboards": boards,
            "season": None,
            "awards": {"pending": pending, "settled": settled},
        }
    )


@require_GET
def floor_cluster_history(request, key, cluster_id):
    limit = _limit(request, 20)
    before = request.GET.get("before")
    if limit is None or (before is not None and not (before.isascii() and before.isdigit())):
        return JsonResponse({"detail": "bad parameter"}, status=400)
    if not _rows(_DEFINITION, {"key": key}):
        return JsonResponse({"detail": f"No active leaderboard {key!r}."}, status=404)
    params = {"cluster": cluster_id, "key": key, "limit": limit + 1, "before": before and int(before)}
    rows = _rows(_HISTORY, params)
    next_url = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_url = request.build_absolute_uri(f"{request.path}?limit={limit}&before={rows[-1][0]}")
    best = _rows(_BEST, params)
    name, avatar = _name(cluster_id)
    results = [
        {
            "runId": run_id,
            "periodStart": _iso(start),
            "periodEnd": _iso(end),
            "rank": rank,
            "position": position,
            "score": score,
            **_standing(total, tied),
        }
        for run_id, start, end, total, rank, position, score, tied in rows
    ]
    return JsonResponse(
        {
            "clusterId": cluster_id,
            "displayName": name,
            "avatarUrl": avatar,
            "results": results,
            "best": _best(*best[0]) if best else None,
            "next": next_url,
        }
    )


@require_GET
def floor_latest_movers(request, key):
    direction = request.GET.get("direction", "up")
    limit = _limit(request, 10)
    if direction not in ("up", "down") or limit is None:
        return JsonResponse({"detail": "bad parameter"}, status=400)
    runs = _rows(_LATEST_RUN, {"key": key})
    if not runs:
        return JsonResponse({"detail": f"Leaderboard {key!r} has no completed run yet."}, status=404)
    [(run_id, challenge, fallback_challenge)] = runs
    entries = [
        {
            "rank": rank,
            "position": position,
            "clusterId": cluster_id,
            "score": score,
            "tiebreaker": tiebreaker,
            "previousRank": previous,
            "rankChange": None if previous is None else previous - rank,
            "payload": {
                "challengeCode": challenge,
                "fallbackChallengeCode": fallback_challenge,
                "fallbackValue": fallback,
            },
            "displayName": name,
            "avatarUrl": avatar,
        }
        for rank, position, cluster_id, score, tiebreaker, fallback, previous, name, avatar in _rows(
            _MOVERS, {"run": run_id, "direction": direction.upper(), "limit": limit}
        )
    ]
    return JsonResponse({"leaderboard": {"key": key, "runId": run_id}, "entries": entries})
