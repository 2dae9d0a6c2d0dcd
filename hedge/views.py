from django.conf import settings
from django.db import DatabaseError, connection, connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

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
