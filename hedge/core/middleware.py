from django.conf import settings

from .api import database_unavailable_response, is_database_unavailable, is_public_api
from .db import session_statement_timeout
from .routers import public_api_reads
from .views import healthz
from .watchdog import database_deadline

HEALTH_PATHS = frozenset({"/healthz", "/healthz/"})


class HealthCheckMiddleware:
    """Answer `/healthz` before any other middleware.

    Load balancers probe each instance by its IP address over plain HTTP: the host check
    (ALLOWED_HOSTS) would answer 400 and the HTTPS redirect 301, so the probe must be answered
    before either runs. It says nothing but whether the database answers.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info in HEALTH_PATHS:
            with database_deadline(settings.API_DATABASE_TIMEOUT):
                return healthz(request)
        return self.get_response(request)


class PublicApiMiddleware:
    """What a public API request gets that the admin and commands do not.

    - Its reads may go to a read replica (hedge.core.routers).
    - Each statement is bounded by API_STATEMENT_TIMEOUT (PostgreSQL): a slow or stuck database
      costs the client a 503 after two seconds, not a worker for as long as the database takes.
    - A database that is down or too slow is a JSON 503 with Retry-After, never Django's HTML 500:
      DRF's views answer it themselves (hedge.core.api.exception_handler); this catches it from any
      other view under the API's paths.
    Other requests reset the statement timeout to the server's default (the admin has none), on
    the connections a public request left it set on.

    Every request also runs under a deadline on all its waits for the database (hedge.core.watchdog),
    so a database that stops answering on an open connection cannot hold a worker until gunicorn
    kills it: API_DATABASE_TIMEOUT for the public and service APIs, ADMIN_DATABASE_TIMEOUT for the
    admin, which then answers a plain 503 page saying the database is unavailable (hedge.core.views.server_error).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if is_public_api(path):
            with (
                database_deadline(settings.API_DATABASE_TIMEOUT),
                public_api_reads(),
                session_statement_timeout(settings.API_STATEMENT_TIMEOUT),
            ):
                return self.get_response(request)
        deadline = settings.ADMIN_DATABASE_TIMEOUT if _is_admin(path) else settings.API_DATABASE_TIMEOUT
        with database_deadline(deadline), session_statement_timeout(0):
            return self.get_response(request)

    def process_exception(self, request, exception):
        if is_public_api(request.path_info) and is_database_unavailable(exception):
            return database_unavailable_response(exception)
        return None


def _is_admin(path: str) -> bool:
    return path == "/admin" or path.startswith("/admin/")
