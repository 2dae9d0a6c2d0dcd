"""The floor of hedge's two hottest endpoints: the same SQL, run with a bare cursor, into JsonResponse.

No DRF, no serializers, no model instances: what a hand-written endpoint costs. Which run is "the
latest" is the product's own lookup (leaderboards.selectors.latest_complete_run), never a copy. They answer the
same JSON as hedge's views for the requests the benchmark sends; error handling is only as much
as keeps them honest (a bad parameter is still a 400, a miss a 404).
"""

from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from leaderboards.periods import next_resets
from leaderboards.selectors import latest_complete_run

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100

# The SQL of leaderboards.selectors.top_entries. The latest run is the product's own lookup
# (latest_complete_run, with its definition and challenges), so "latest" never drifts.
_TOP_ENTRIES_SQL = (
    "SELECT rank, position, cluster_id, score, tiebreaker, fallback_value FROM leaderboard_entries"
    " WHERE run_id = %s ORDER BY position LIMIT %s"
)
# The SQL of seasons.selectors.get_cluster_progress.
_PROGRESS_SQL = (
    "SELECT s.id, s.points_per_level, sp.points, sp.level, sp.updated_at FROM seasons s"
    " LEFT JOIN season_progress sp ON sp.season_id = s.id AND sp.cluster_id = %s WHERE s.id = %s LIMIT 1"
)


@require_GET
def floor_leaderboard_latest(request, key):
    raw = request.GET.get("limit", str(DEFAULT_LIMIT))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        return JsonResponse({"limit": [f"Ensure this value is an integer in 1..{MAX_LIMIT}."]}, status=400)
    run = latest_complete_run(key)
    if run is None:
        return JsonResponse({"detail": f"Leaderboard {key!r} has no completed run yet."}, status=404)
    code = run.challenge.code
    fallback_code = run.fallback_challenge.code if run.fallback_challenge else None
    with connection.cursor() as cursor:
        cursor.execute(_TOP_ENTRIES_SQL, [run.id, int(raw)])
        entries = [
            {
                "rank": rank,
                "position": position,
                "clusterId": cluster_id,
                "score": score,
                "tiebreaker": tiebreaker,
                # Built on read from the run's challenges, as hedge's API does (entries are lean).
                "payload": {"challengeCode": code, "fallbackChallengeCode": fallback_code, "fallbackValue": fallback},
            }
            for rank, position, cluster_id, score, tiebreaker, fallback in cursor.fetchall()
        ]
    definition = run.leaderboard
    leaderboard = {
        "key": definition.key,
        "name": definition.name,
        "description": definition.description,
        "timeWindow": definition.time_window,
        "periodStart": run.period_start,
        "periodEnd": run.period_end,
        "runId": run.id,
        "rowCount": run.row_count,
        "generatedAt": run.finished_at,
        "isFinal": run.is_final,
        "nextResetAt": next_resets([definition.time_window], now=timezone.now())[definition.time_window],
    }
    return JsonResponse({"leaderboard": leaderboard, "entries": entries})


@require_GET
def floor_season_progress(request, season_id):
    cluster_id = request.GET.get("clusterId", "")
    if not cluster_id.strip():
        return JsonResponse({"clusterId": ["This field is required."]}, status=400)
    with connection.cursor() as cursor:
        cursor.execute(_PROGRESS_SQL, [cluster_id, season_id])
        row = cursor.fetchone()
    if row is None:
        return JsonResponse({"detail": f"Season {season_id!r} does not exist."}, status=404)
    season, points_per_level, points, level, updated_at = row
    points, level = points or 0, level or 0
    threshold = (level + 1) * points_per_level
    return JsonResponse(
        {
            "seasonId": season,
            "clusterId": cluster_id,
            "points": points,
            "level": level,
            "nextLevelThreshold": threshold,
            "pointsToNextLevel": threshold - points,
            "updatedAt": updated_at,
        }
    )
