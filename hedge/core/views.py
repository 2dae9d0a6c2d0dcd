import sys

from django.conf import settings
from django.core.exceptions import DisallowedHost, RequestDataTooBig, TooManyFieldsSent
from django.db import DatabaseError, connection, connections
from django.http import HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .api import (
    RETRY_AFTER_SECONDS,
    body_too_large_detail,
    database_unavailable_response,
    is_api,
    is_database_unavailable,
)
from .cache import safe_cache


@never_cache
@require_safe
def healthz(request):
    """200 when the database answers, 503 otherwise: for load balancers and uptime checks.

    A database that accepts connections but never answers is given up on after
    DATABASE_CONNECT_TIMEOUT seconds (3 by default). The cache and the read replicas are reported
    but do not decide the status: without them hedge serves everything from the primary
    ("degraded"). `replica` is "down" when any configured replica does not answer, `replicas`
    says which.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "down"}, status=503)
    cache_up = safe_cache.is_up()
    body = {"database": "up", "cache": "up" if cache_up else "down"}
    replicas = {alias: "up" if _replica_answers(alias) else "down" for alias in settings.DATABASE_REPLICAS}
    if replicas:
        body["replica"] = "down" if "down" in replicas.values() else "up"
        body["replicas"] = replicas
    degraded = not cache_up or body.get("replica") == "down"
    return JsonResponse({"status": "degraded" if degraded else "ok", **body})


def server_error(request):
    """Django's handler500: what an exception no view or middleware answered becomes (DEBUG off).

    A database that is down or gave up on (hedge.core.watchdog) is a 503 with Retry-After, wherever it
    failed (a middleware reading the session, a view): JSON under the APIs, a plain page in the admin.
    Anything else under the APIs is a JSON 500; elsewhere Django's own page.
    """
    exc = sys.exc_info()[1]
    api = is_api(request.path_info)
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


def bad_request(request, exception):
    """Django's handler400: what Django itself refuses before or around a view (DEBUG off).

    Under the APIs a JSON answer naming the limit: a body over DATA_UPLOAD_MAX_MEMORY_SIZE is a 413,
    more than DATA_UPLOAD_MAX_NUMBER_FIELDS parameters or a host not in ALLOWED_HOSTS a 400.
    Elsewhere (the admin) Django's own page.
    """
    if not is_api(request.path_info):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return JsonResponse({"detail": body_too_large_detail()}, status=413)
    if isinstance(exception, TooManyFieldsSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        return JsonResponse({"detail": f"More than {limit} parameters (DATA_UPLOAD_MAX_NUMBER_FIELDS)."}, status=400)
    if isinstance(exception, DisallowedHost):
        return JsonResponse({"detail": "The Host header names no host this server answers for."}, status=400)
    return JsonResponse({"detail": "Bad request."}, status=400)


def _replica_answers(alias: str) -> bool:
    """Whether replica `alias` answers SELECT 1; a connection broken by a restart is replaced once."""
    replica = connections[alias]
    for _ in range(2 if replica.connection is not None else 1):
        try:
            with replica.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except DatabaseError:
            replica.close()
        else:
            return True
    return False
