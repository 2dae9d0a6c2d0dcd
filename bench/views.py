"""The floor of hedge's public reads: the same SQL, run with a bare cursor, into JsonResponse.

No DRF, no serializers, no model instances, no ETag: what a hand-written endpoint costs. Every
statement is hedge's own: a constant of leaderboards/sql.py where hedge has one (ENTRIES_PAGE,
CLUSTER_NEIGHBOURHOOD, ENTRIES_OF_CLUSTERS), otherwise the statements hedge's selector sends,
captured once per process with sentinel arguments and run again with each request's values (bench.replay). Which
run is "the latest" is the product's own lookup (leaderboards.selectors.latest_complete_run).
They answer the same JSON as hedge's views for the requests the benchmark sends (the benchmark
compares them before timing); error handling is only as much as keeps them honest (a bad
parameter is a 400, a miss a 404). Exclusions are not checked by the leaderboard floors (the
benchmark serves no excluded cluster over HTTP); the progress floor answers the `withheld` column
its statement carries anyway.
"""

from __future__ import annotations

import functools
import json
from urllib.parse import quote

from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from hedge.core.db import json_strings
from leaderboards import selectors
from leaderboards import sql as lb_sql
from leaderboards.periods import next_resets, period_label
from seasons import selectors as season_selectors
from seasons import sql as season_sql
from seasons.levels import standing_of

from . import replay

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
MAX_AROUND = 50
MAX_IDS = 100

# A value no request sends: where it appears in a captured statement, a request's own goes.
_CLUSTER = "\x1fbench-sentinel-cluster"

# hedge's own statements of a page and of several clusters (leaderboards.sql), with their parameters.
_PAGE = replay.Statement(lb_sql.ENTRIES_PAGE, {"run": "run", "after": "after", "limit": "limit"}, {})
_CLUSTERS = replay.Statement(
    lb_sql.ENTRIES_OF_CLUSTERS.format(ids=json_strings("ids")), {"run": "run", "ids": "ids"}, {}
)


@functools.cache
def _progress_statements(season_id: str) -> list[replay.Statement]:
    """What hedge's /progress runs for one cluster of `season_id`: its row, then any exclusion check and breakdown."""
    selector = season_selectors.get_explained_cluster_progress  # what hedge's /progress view calls
    return replay.capture(lambda cluster: selector(season_id=season_id, cluster_id=cluster), {"cluster": _CLUSTER})


def _bad(name: str, message: str) -> JsonResponse:
    return JsonResponse({name: [message]}, status=400)


def _number(request, name: str, default: int, low: int, high: int) -> int | None:
    raw = request.GET.get(name, str(default))
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        return None
    return int(raw)


def _header(run) -> dict:
    definition = run.leaderboard
    header = {
        "key": definition.key,
        "name": definition.name,
        "description": definition.description,
        "timeWindow": definition.time_window,
        "periodStart": run.period_start,
        "periodEnd": run.period_end,
        "periodLabel": period_label(definition.time_window, run.period_start, season_id=run.season_id_of_period),
        "runId": run.id,
        "rowCount": run.row_count,
        "generatedAt": run.finished_at,
        "isFinal": run.is_final,
        "nextResetAt": next_resets([definition.time_window], now=timezone.now())[definition.time_window],
    }
    if hasattr(run, "checksum"):  # issue #12's runs carry their checksum
        header["checksum"] = run.checksum
    return header


# The display names of the clusters shown (issue #24): a plain lookup by the ids, once the rows are read.
_NAMES = f"""
SELECT cluster_id, display_name, avatar_url FROM cluster_profiles WHERE cluster_id IN ({json_strings("ids")})
"""


def _names(rows, column: int = 2) -> dict:
    ids = sorted({row[column] for row in rows})
    if not ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(_NAMES, {"ids": json.dumps(ids)})
        return {cluster_id: (name, avatar) for cluster_id, name, avatar in cursor.fetchall()}


def _entry(run, row, names: dict) -> dict:
    rank, position, cluster_id, score, tiebreaker, fallback, previous_rank = row[:7]
    name, avatar = names.get(cluster_id, (None, None))
    return {
        "rank": rank,
        "position": position,
        "clusterId": cluster_id,
        "score": score,
        "tiebreaker": tiebreaker,
        "previousRank": previous_rank,
        "rankChange": None if previous_rank is None else previous_rank - rank,
        # Built on read from the run's challenges, as hedge's API does (entries are lean).
        "payload": {
            "challengeCode": run.challenge.code,
            "fallbackChallengeCode": run.fallback_challenge.code if run.fallback_challenge else None,
            "fallbackValue": fallback,
        },
        "displayName": name,
        "avatarUrl": avatar,
    }


def _latest(key: str):
    run = selectors.latest_complete_run(key)
    if run is None:
        return None, JsonResponse({"detail": f"Leaderboard {key!r} has no completed run yet."}, status=404)
    return run, None


@require_GET
def floor_leaderboard_latest(request, key):
    limit = _number(request, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    after = _number(request, "after", 0, 0, 2**31 - 1)
    if limit is None or after is None:
        return _bad("limit" if limit is None else "after", "Ensure this value is a valid integer in range.")
    run, missing = _latest(key)
    if missing:
        return missing
    _, rows = replay.run(_PAGE, {"run": run.id, "after": after, "limit": limit})
    names = _names(rows)
    entries = [_entry(run, row, names) for row in rows]
    next_url = next_after = None
    if len(entries) == limit and entries[-1]["position"] < run.row_count:
        next_after = entries[-1]["position"]
        next_url = request.build_absolute_uri(
            f"/leaderboards/{quote(key, safe='')}/runs/{run.id}?limit={limit}&after={next_after}"
        )
    return JsonResponse({"leaderboard": _header(run), "entries": entries, "next": next_url, "nextAfter": next_after})


@require_GET
def floor_leaderboard_cluster(request, key, cluster_id):
    around = _number(request, "around", 0, 0, MAX_AROUND)
    if around is None:
        return _bad("around", "Ensure this value is a valid integer in range.")
    run, missing = _latest(key)
    if missing:
        return missing
    _, rows = replay.run(
        replay.Statement(lb_sql.CLUSTER_NEIGHBOURHOOD, {"run": "run", "cluster": "cluster", "around": "around"}, {}),
        {"run": run.id, "cluster": cluster_id, "around": around},
    )
    entry, above, below = None, [], []
    if rows:
        position, last_position, behind = rows[0][-3:]
        names = _names(rows)
        for row in rows:
            shown = _entry(run, row, names)
            if row[1] < position:
                above.append(shown)
            elif row[1] > position:
                below.append(shown)
            else:
                entry = {**shown, "percentile": (1000 * behind // last_position) / 10}
    return JsonResponse({"leaderboard": _header(run), "entry": entry, "above": above, "below": below})


@require_GET
def floor_leaderboard_clusters(request, key):
    ids = list(dict.fromkeys(request.GET.get("ids", "").split(",")))
    if not all(ids) or len(ids) > MAX_IDS:
        return _bad("ids", f"1..{MAX_IDS} comma-separated cluster ids.")
    run, missing = _latest(key)
    if missing:
        return missing
    _, rows = replay.run(_CLUSTERS, {"run": run.id, "ids": json.dumps(ids)})
    names = _names(rows)
    entries = [_entry(run, row, names) for row in rows]
    found = {entry["clusterId"] for entry in entries}
    return JsonResponse(
        {
            "leaderboard": _header(run),
            "entries": entries,
            "missing": [cluster_id for cluster_id in ids if cluster_id not in found],
        }
    )


# The statements of an explained score (issue #12), where the product has them.
_BREAKDOWNS = {
    getattr(season_sql, name)
    for name in ("BREAKDOWN_GAINS", "BREAKDOWN_LIFETIME", "BREAKDOWN_VALUES_AS_OF")
    if hasattr(season_sql, name)
}


@require_GET
def floor_season_progress(request, season_id):
    cluster_id = request.GET.get("clusterId", "")
    if not cluster_id:
        return _bad("clusterId", "This field is required.")
    row, breakdown = None, None
    for statement in _progress_statements(season_id):
        columns, rows = replay.run(statement, {"cluster": cluster_id})
        if row is None:
            # The first statement is seasons.sql.PROGRESS: the season's row with the cluster's counted
            # points, their standing on the curve and whether they are withheld (no row: no season).
            if not rows:
                return JsonResponse({"detail": f"Season {season_id!r} does not exist."}, status=404)
            row = dict(zip(columns, rows[0], strict=True))
            if row["withheld"]:
                return JsonResponse({"detail": "excluded"}, status=404)
        elif statement.sql in _BREAKDOWNS:
            breakdown = [
                {
                    "challengeCode": code,
                    "challengeName": name,
                    "weight": weight,
                    "value": value,
                    "points": weight * value,
                }
                for code, name, weight, value in rows
            ]
    standing = standing_of(row, points=row["points"])
    body = {
        "seasonId": season_id,
        "clusterId": cluster_id,
        "points": standing.points,
        "level": standing.level,
        "maxLevel": standing.max_level,
        "levelStartsAt": standing.level_starts_at,
        "nextLevelThreshold": standing.next_level_threshold,
        "pointsToNextLevel": standing.points_to_next_level,
        "progressPercent": standing.progress_percent,
        "updatedAt": row["updated_at"],
    }
    if breakdown is not None:
        body["breakdown"] = sorted(breakdown, key=lambda item: -item["points"])
    return JsonResponse(body)
