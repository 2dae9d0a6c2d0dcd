"""The floor of hedge's public reads: plain SQL with a bare cursor, into JsonResponse.

No DRF, no serializers, no model instances, no ETag: what a hand-written endpoint costs. None of hedge's
statements either (rule 13): each read is written here from the API's definitions against hedge's tables
and indexes, in SQL that PostgreSQL and SQLite both run (the benchmark runs small on SQLite). "Latest run"
is hedge's documented choice (COMPLETE; scheduled runs before finals and backfills, then the newest); a
cluster's percentile is the README's (clusters ranked strictly behind it over GREATEST(rankedTotal,
rowCount), rounded down to one decimal), the last position tied with it found by walking the position index
forward from it. The season progress floor serves what the benchmark asks: a LIFETIME season under way
without a level curve (anything else is a 501, never a wrong answer).

They answer the same JSON as hedge's views for the requests the benchmark sends (the benchmark compares
them before timing); error handling is only as much as keeps them honest (a bad parameter is a 400, a miss
a 404). Exclusions are not checked by the leaderboard floors (the benchmark serves no excluded cluster
over HTTP, and a run's entries never hold one); the progress floor answers an exclusion from everything.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from hedge.core.db import db_datetime, json_strings, sql_datetime
from leaderboards.periods import next_resets, period_label

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
MAX_AROUND = 50
MAX_IDS = 100

# The board's latest COMPLETE run, its definition, its challenges' codes and the season its dates are.
# Uses index: leaderboard_runs_complete_idx; leaderboard_defs_pkey; challenges_pkey.
_LATEST_RUN = """
SELECT r.id, r.period_start, r.period_end, r.row_count, r.ranked_total, r.finished_at, r.is_final, r.checksum,
       d.key, d.name, d.description, d.time_window, c.code, fc.code,
       (SELECT s.id FROM seasons s WHERE s.starts_at = r.period_start AND s.ends_at = r.period_end
        ORDER BY s.id DESC LIMIT 1)
FROM leaderboard_runs r
JOIN leaderboard_defs d ON d.key = r.leaderboard_key
LEFT JOIN challenges c ON c.id = r.challenge_id
LEFT JOIN challenges fc ON fc.id = r.fallback_challenge_id
WHERE r.leaderboard_key = %(key)s AND r.status = 'COMPLETE' AND d.is_active
ORDER BY r.is_final, r.is_backfill, r.id DESC
LIMIT 1
"""
_ENTRY = """e.rank, e.position, e.cluster_id, e.score, e.tiebreaker, e.fallback_value, e.previous_rank,
       p.display_name, p.avatar_url"""
# Uses index: leaderboard_entries_unique_position; cluster_profiles_pkey.
_PAGE = f"""
SELECT {_ENTRY}
FROM leaderboard_entries e LEFT JOIN cluster_profiles p ON p.cluster_id = e.cluster_id
WHERE e.run_id = %(run)s AND e.position > %(after)s
ORDER BY e.position
LIMIT %(limit)s
"""
# The cluster's entry and the first position ranked behind it (NULL: nobody after it is).
# Uses index: leaderboard_entries_unique_cluster; leaderboard_entries_unique_position (walking forward).
_CLUSTER = """
SELECT e.position, (SELECT MIN(n.position) FROM leaderboard_entries n
                    WHERE n.run_id = e.run_id AND n.position > e.position AND n.rank > e.rank)
FROM leaderboard_entries e
WHERE e.run_id = %(run)s AND e.cluster_id = %(cluster)s
"""
# Uses index: leaderboard_entries_unique_position; cluster_profiles_pkey.
_AROUND = f"""
SELECT {_ENTRY}
FROM leaderboard_entries e LEFT JOIN cluster_profiles p ON p.cluster_id = e.cluster_id
WHERE e.run_id = %(run)s AND e.position BETWEEN %(first)s AND %(last)s
ORDER BY e.position
"""
# Uses index: leaderboard_entries_unique_cluster (one probe per id); cluster_profiles_pkey.
_CLUSTERS = f"""
SELECT {_ENTRY}
FROM leaderboard_entries e LEFT JOIN cluster_profiles p ON p.cluster_id = e.cluster_id
WHERE e.run_id = %(run)s AND e.cluster_id IN ({json_strings("ids")})
ORDER BY e.position
"""

# The season, the cluster's stored points, whether a level curve exists and whether an exclusion from
# everything is in force at %(now)s. Uses index: seasons_pkey; season_progress_unique_cluster;
# season_levels_unique_level; lb_exclusions_cluster_idx.
_SEASON = """
SELECT s.scoring, s.starts_at, s.ends_at, s.points_per_level, p.points, p.updated_at,
       EXISTS (SELECT 1 FROM season_levels l WHERE l.season_id = s.id),
       EXISTS (SELECT 1 FROM leaderboard_exclusions x
               WHERE x.cluster_id = %(cluster)s AND x.leaderboard_key IS NULL AND x.created_at <= %(now)s
                 AND (x.lifted_at IS NULL OR x.lifted_at > %(now)s)
                 AND (x.expires_at IS NULL OR x.expires_at > %(now)s))
FROM seasons s
LEFT JOIN season_progress p ON p.season_id = s.id AND p.cluster_id = %(cluster)s
WHERE s.id = %(season)s
"""
# LIFETIME: each weighted challenge's current value. Uses index: season_weights_unique_challenge;
# challenges_code_key; challenge_progress_unique_cluster.
_LIFETIME_BREAKDOWN = """
SELECT c.code, c.name, w.weight, COALESCE(v.value, 0)
FROM season_challenge_weights w
JOIN challenges c ON c.code = w.challenge_code
LEFT JOIN challenge_progress v ON v.challenge_id = c.id AND v.cluster_id = %(cluster)s
WHERE w.season_id = %(season)s
ORDER BY c.code
"""


def _rows(statement: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall()


def _bad(name: str, message: str) -> JsonResponse:
    return JsonResponse({name: [message]}, status=400)


def _number(request, name: str, default: int, low: int, high: int) -> int | None:
    raw = request.GET.get(name, str(default))
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        return None
    return int(raw)


class _Run:
    def __init__(self, row: tuple):
        (self.id, start, end, self.row_count, self.ranked_total, finished, self.is_final, self.checksum) = row[:8]
        self.period_start, self.period_end, self.finished_at = (
            db_datetime(start),
            db_datetime(end),
            db_datetime(finished),
        )
        self.key, self.name, self.description, self.time_window, self.challenge, self.fallback, self.season = row[8:]

    def header(self) -> dict:
        return {
            "key": self.key,
            "name": self.name,
            "description": self.description,
            "timeWindow": self.time_window,
            "periodStart": self.period_start,
            "periodEnd": self.period_end,
            "periodLabel": period_label(self.time_window, self.period_start, season_id=self.season),
            "runId": self.id,
            "rowCount": self.row_count,
            "rankedTotal": self.ranked_total,
            "generatedAt": self.finished_at,
            "isFinal": bool(self.is_final),
            "nextResetAt": next_resets([self.time_window], now=timezone.now())[self.time_window],
            "checksum": self.checksum,
        }

    def entry(self, row: tuple) -> dict:
        rank, position, cluster_id, score, tiebreaker, fallback, previous_rank, name, avatar = row
        return {
            "rank": rank,
            "position": position,
            "clusterId": cluster_id,
            "score": score,
            "tiebreaker": tiebreaker,
            "previousRank": previous_rank,
            "rankChange": None if previous_rank is None else previous_rank - rank,
            "payload": {
                "challengeCode": self.challenge,
                "fallbackChallengeCode": self.fallback,
                "fallbackValue": fallback,
            },
            "displayName": name,
            "avatarUrl": avatar,
        }


def _latest(key: str) -> tuple[_Run | None, JsonResponse | None]:
    rows = _rows(_LATEST_RUN, {"key": key})
    if not rows:
        return None, JsonResponse({"detail": f"Leaderboard {key!r} has no completed run yet."}, status=404)
    return _Run(rows[0]), None


@require_GET
def floor_leaderboard_latest(request, key):
    limit = _number(request, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    after = _number(request, "after", 0, 0, 2**31 - 1)
    if limit is None or after is None:
        return _bad("limit" if limit is None else "after", "Ensure this value is a valid integer in range.")
    run, missing = _latest(key)
    if missing:
        return missing
    entries = [run.entry(row) for row in _rows(_PAGE, {"run": run.id, "after": after, "limit": limit})]
    next_url = next_after = None
    if len(entries) == limit and entries[-1]["position"] < run.row_count:
        next_after = entries[-1]["position"]
        next_url = request.build_absolute_uri(
            f"/leaderboards/{quote(key, safe='')}/runs/{run.id}?limit={limit}&after={next_after}"
        )
    return JsonResponse({"leaderboard": run.header(), "entries": entries, "next": next_url, "nextAfter": next_after})


@require_GET
def floor_leaderboard_cluster(request, key, cluster_id):
    around = _number(request, "around", 0, 0, MAX_AROUND)
    if around is None:
        return _bad("around", "Ensure this value is a valid integer in range.")
    run, missing = _latest(key)
    if missing:
        return missing
    entry, above, below = None, [], []
    found = _rows(_CLUSTER, {"run": run.id, "cluster": cluster_id})
    if found:
        [(position, behind_from)] = found
        total = max(run.ranked_total, run.row_count)
        last_tied = run.row_count if behind_from is None else behind_from - 1
        for row in _rows(_AROUND, {"run": run.id, "first": position - around, "last": position + around}):
            shown = run.entry(row)
            if shown["position"] < position:
                above.append(shown)
            elif shown["position"] > position:
                below.append(shown)
            else:
                entry = {**shown, "percentile": (1000 * (total - last_tied) // total) / 10}
    return JsonResponse({"leaderboard": run.header(), "entry": entry, "above": above, "below": below})


@require_GET
def floor_leaderboard_clusters(request, key):
    ids = list(dict.fromkeys(request.GET.get("ids", "").split(",")))
    if not all(ids) or len(ids) > MAX_IDS:
        return _bad("ids", f"1..{MAX_IDS} comma-separated cluster ids.")
    run, missing = _latest(key)
    if missing:
        return missing
    entries = [run.entry(row) for row in _rows(_CLUSTERS, {"run": run.id, "ids": json.dumps(ids)})]
    found = {entry["clusterId"] for entry in entries}
    return JsonResponse(
        {
            "leaderboard": run.header(),
            "entries": entries,
            "missing": [cluster_id for cluster_id in ids if cluster_id not in found],
        }
    )


@require_GET
def floor_season_progress(request, season_id):
    cluster_id = request.GET.get("clusterId", "")
    if not cluster_id:
        return _bad("clusterId", "This field is required.")
    now = timezone.now()
    seasons = _rows(_SEASON, {"season": season_id, "cluster": cluster_id, "now": sql_datetime(now)})
    if not seasons:
        return JsonResponse({"detail": f"Season {season_id!r} does not exist."}, status=404)
    [(scoring, starts_at, ends_at, per_level, points, updated_at, curved, excluded)] = seasons
    if excluded:
        return JsonResponse({"detail": "excluded"}, status=404)
    if scoring != "LIFETIME" or curved or not db_datetime(starts_at) <= now < db_datetime(ends_at):
        return JsonResponse({"detail": "the progress floor serves a LIFETIME season under way, flat"}, status=501)
    points = points or 0
    level = points // per_level
    breakdown = [
        {"challengeCode": code, "challengeName": name, "weight": weight, "value": value, "points": weight * value}
        for code, name, weight, value in _rows(_LIFETIME_BREAKDOWN, {"season": season_id, "cluster": cluster_id})
    ]
    return JsonResponse(
        {
            "seasonId": season_id,
            "clusterId": cluster_id,
            "points": points,
            "level": level,
            "maxLevel": None,
            "levelStartsAt": level * per_level,
            "nextLevelThreshold": (level + 1) * per_level,
            "pointsToNextLevel": (level + 1) * per_level - points,
            "progressPercent": (points - level * per_level) * 100 // per_level,
            "updatedAt": db_datetime(updated_at),
            "breakdown": sorted(breakdown, key=lambda item: -item["points"]),
        }
    )
