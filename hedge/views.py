import sys

from django.db import DatabaseError, connection
from django.http import HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .api import RETRY_AFTER_SECONDS, database_unavailable_response, is_database_unavailable, is_public_api
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


def server_error(request):
    """Django's handler500: what an exception no view or middleware answered becomes (DEBUG off).

    A database that is down or gave up on (hedge.watchdog) is a 503 with Retry-After, wherever it
    failed (a middleware reading the session, a view): JSON under the APIs, a plain page in the admin.
    Anything else under the APIs is a JSON 500; elsewhere Django's own page.
    """
    exc = sys.exc_info()[1]
    api = is_public_api(request.path_info) or request.path_info.startswith("/service/")
    if exc is not None and is_database_unavailable(exc):
        if api:
            return database_unavailable_response(exc)
        response = HttpResponse(
            "503 Service Unavailable: the database is unavailable or did not answer in time. Try again shortly.\n",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    if api:
        return JsonResponse({"detail": "Server error."}, status=500)
    return defaults.server_error(request)
