"""The floor of GET /service/awards: the key checked and a page read with bare cursors, into JsonResponse.

No DRF, no serializers, no model instances. The key check is the library's own rule written as plain
SQL (the key's prefix looked up, the SHA-512 of the whole key compared, not revoked, not expired);
the page is a plain keyset read by id. It answers the same JSON as hedge's view for the requests the
benchmark sends (compared before timing); errors only as much as keeps it honest.
"""

from __future__ import annotations

import hashlib
import json
from urllib.parse import urlencode

from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.http import require_GET

MAX_LIMIT = 1000

# Uses index: the API key's prefix (unique).
_KEY = """
SELECT k.hashed_key FROM rest_framework_api_key_apikey k
WHERE k.prefix = %(prefix)s AND NOT k.revoked AND (k.expiry_date IS NULL OR k.expiry_date > now())
"""

# Uses index: leaderboard_awards_status_idx (status, id).
_PAGE = """
SELECT a.id, a.leaderboard_key, a.run_id, a.period_start, a.period_end, a.cluster_id, a.rank, a.score,
       a.name, a.kind, a.quantity, a.data, a.status, a.reference, a.settled_at,
       a.league_key, a.league_level, a.league_cohort
FROM leaderboard_awards a
WHERE a.status = %(status)s AND a.id > %(after)s
ORDER BY a.id
LIMIT %(limit)s
"""


def _iso(value):
    return None if value is None else timezone.localtime(value).isoformat().replace("+00:00", "Z")


def _authorized(request) -> bool:
    header = request.headers.get("Authorization", "")
    key = header.removeprefix("Api-Key ")
    prefix, _, _ = key.partition(".")
    with connection.cursor() as cursor:
        cursor.execute(_KEY, {"prefix": prefix})
        row = cursor.fetchone()
    expected = "sha512$$" + hashlib.sha512(key.encode()).hexdigest()
    return row is not None and constant_time_compare(row[0], expected)


@require_GET
def floor_service_awards(request):
    if not _authorized(request):
        return JsonResponse({"detail": "No valid API key."}, status=401)
    try:
        limit = int(request.GET.get("limit", "100"))
        after = int(request.GET.get("after", "0"))
    except ValueError:
        return JsonResponse({"detail": "bad parameter"}, status=400)
    if not 1 <= limit <= MAX_LIMIT or after < 0:
        return JsonResponse({"detail": "bad parameter"}, status=400)
    status = request.GET.get("status", "PENDING")
    with connection.cursor() as cursor:
        cursor.execute(_PAGE, {"status": status, "after": after, "limit": limit})
        rows = cursor.fetchall()
    results = [
        {
            "id": row[0],
            "leaderboard": row[1],
            "runId": row[2],
            "periodStart": _iso(row[3]),
            "periodEnd": _iso(row[4]),
            "clusterId": row[5],
            "rank": row[6],
            "score": row[7],
            "league": None if row[15] is None else {"key": row[15], "level": row[16], "cohort": f"{row[16]}-{row[17]}"},
            "prize": {"name": row[8], "kind": row[9], "quantity": row[10], "data": json.loads(row[11])},
            "status": row[12],
            "reference": row[13],
            "settledAt": _iso(row[14]),
        }
        for row in rows
    ]  # the JSON column arrives as text, as the ORM receives it (and decodes it)
    next_url = None
    if len(rows) == limit:
        query = urlencode({"status": status, "after": rows[-1][0], "limit": limit})
        next_url = request.build_absolute_uri(f"{request.path}?{query}")
    return JsonResponse({"results": results, "next": next_url})
