from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .cache import safe_cache


@never_cache
@require_safe
def healthz(request):
    """200 when the database answers, 503 otherwise: for load balancers and uptime checks.

    A database that accepts connections but never answers is given up on after
    DATABASE_CONNECT_TIMEOUT seconds (3 by default). The cache is reported but does not decide
    the status: without it hedge serves everything from the database ("degraded").
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "down"}, status=503)
    cache_up = safe_cache.is_up()
    return JsonResponse(
        {"status": "ok" if cache_up else "degraded", "database": "up", "cache": "up" if cache_up else "down"}
    )
