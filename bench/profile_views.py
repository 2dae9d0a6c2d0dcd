"""The floor of the player-centred reads (issue #24): the same statements, run with a bare cursor, into JsonResponse.

No DRF, no serializers, no ETag. Every statement is hedge's own: the constants of profiles/sql.py and
leaderboards/sql.py, and the statements hedge's selectors send for "is the cluster withheld?" and "the active
season" (captured once, bench.replay); the latest run is the product's own lookup, as in bench.views. They
answer the same JSON as hedge's views for the requests `manage.py bench_profiles` sends (compared before
timing); error handling only as much as keeps them honest.
"""

from __future__ import annotations

import functools
import json

from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from hedge.core.db import json_strings
from leaderboards import selectors as lb_selectors
from leaderboards import sql as lb_sql
from leaderboards.periods import next_resets
from profiles import sql
from seasons.selectors import get_active_season, is_progress_withheld

from . import replay

_CLUSTER = "\x1fbench-sentinel-cluster"
_NAMES = sql.NAMES_OF_CLUSTERS.format(ids=json_strings("ids"))
# Uses index: leaderboard_defs_pkey.
_DEFINITION = "SELECT d.time_window FROM leaderboard_defs d WHERE d.key = %(key)s AND d.is_active"


@functools.cache
def _withheld() -> list[replay.Statement]:
    return replay.capture(lambda cluster: is_progress_withheld(cluster, now=timezone.now()), {"cluster": _CLUSTER})


@functools.cache
def _active_season() -> list[replay.Statement]:
    return replay.capture(lambda: get_active_season(now=timezone.now()), {})


def _rows(statement: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall()


def _iso(value):
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def _name(cluster_id: str) -> tuple:
    rows = _rows(_NAMES, {"ids": json.dumps([cluster_id])})
    return (rows[0][1], rows[0][2]) if rows else (None, None)


def _percentile(ranked_total: int, tied: int, last: int) -> float:
    total = max(ranked_total, last)
    return (1000 * (total - tied) // total) / 10


def _best(run_id, start, end, rank) -> dict | None:
    if run_id is None:
        return None
    return {"rank": rank, "runId": run_id, "periodStart": _iso(start), "periodEnd": _iso(end)}


@require_GET
def floor_cluster_profile(request, cluster_id):
    for statement in _withheld():
        _, rows = replay.run(statement, {"cluster": cluster_id})
        if rows and rows[0][0] == 1:
            return JsonResponse({"detail": "excluded"}, status=404)
    name, avatar = _name(cluster_id)
    standings = _rows(sql.PROFILE_STANDINGS, {"cluster": cluster_id})
    [(pending, settled)] = _rows(sql.AWARD_COUNTS, {"cluster": cluster_id})
    for statement in _active_season():
        _, seasons = replay.run(statement, {})
        if seasons:
            return JsonResponse({"detail": "the profile floor serves no active season"}, status=501)
    resets = next_resets({row[2] for row in standings}, now=timezone.now())
    boards = []
    for key, board, window, run_id, start, end, ranked, rank, position, score, previous, last, tied, *best in standings:
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
                "percentile": _percentile(ranked, tied, last),
                "total": max(ranked, last),
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
            "awards": {"pending": int(pending), "settled": int(settled)},
        }
    )


@require_GET
def floor_cluster_history(request, key, cluster_id):
    raw = request.GET.get("limit", "20")
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 100:
        return JsonResponse({"limit": ["1..100."]}, status=400)
    limit = int(raw)
    if not _rows(_DEFINITION, {"key": key}):
        return JsonResponse({"detail": f"No active leaderboard {key!r}."}, status=404)
    params = {"cluster": cluster_id, "leaderboard": key, "limit": limit + 1, "before": None}
    rows = _rows(sql.HISTORY_PAGE, params)
    next_url = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_url = request.build_absolute_uri(f"{request.path}?limit={limit}&before={rows[-1][0]}")
    best = _rows(sql.BEST_FINAL, {"cluster": cluster_id, "leaderboard": key})
    name, avatar = _name(cluster_id)
    results = [
        {
            "runId": run_id,
            "periodStart": _iso(start),
            "periodEnd": _iso(end),
            "rank": rank,
            "position": position,
            "score": score,
            "total": max(ranked, last),
            "percentile": _percentile(ranked, tied, last),
        }
        for run_id, start, end, ranked, rank, position, score, last, tied in rows
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
    raw = request.GET.get("limit", "10")
    if direction not in ("up", "down") or not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 100:
        return JsonResponse({"detail": "bad parameter"}, status=400)
    run = lb_selectors.latest_complete_run(key)
    if run is None:
        return JsonResponse({"detail": f"Leaderboard {key!r} has no completed run yet."}, status=404)
    params = {"run": run.id, "direction": direction.upper(), "limit": int(raw)}
    names = {row[0]: (row[1], row[2]) for row in _rows(sql.NAMES_OF_MOVERS, params)}
    entries = []
    for rank, position, cluster_id, score, tiebreaker, fallback, previous in _rows(lb_sql.MOVERS, params):
        name, avatar = names.get(cluster_id, (None, None))
        entries.append(
            {
                "rank": rank,
                "position": position,
                "clusterId": cluster_id,
                "score": score,
                "tiebreaker": tiebreaker,
                "previousRank": previous,
                "rankChange": None if previous is None else previous - rank,
                "payload": {
                    "challengeCode": run.challenge.code if run.challenge else None,
                    "fallbackChallengeCode": run.fallback_challenge.code if run.fallback_challenge else None,
                    "fallbackValue": fallback,
                },
                "displayName": name,
                "avatarUrl": avatar,
            }
        )
    return JsonResponse({"leaderboard": {"key": key, "runId": run.id}, "entries": entries})
