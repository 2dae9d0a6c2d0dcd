"""API building blocks shared by hedge's apps."""

import ipaddress
import re

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from hedge.cache import safe_cache
from hedge.challenges.models import CLUSTER_ID_MAX_LENGTH


class ErrorSerializer(serializers.Serializer):
    """The body of every 404 (and other non-field errors): `{"detail": "..."}`."""

    detail = serializers.CharField()


class DigitsIntegerField(serializers.IntegerField):
    """An integer query parameter written in ASCII digits only, as the schema's `integer` promises.

    DRF's IntegerField goes through int(), which also takes `٣` (any Unicode digit), ` 3`, `+3`,
    `1_000` and `3.0`; a client that sends one of those has a bug it should hear about. An empty
    value (`?limit=`) is an error too, not "use the default".
    """

    default_error_messages = {"invalid": "A whole number written in the digits 0-9 is required."}

    def get_value(self, dictionary):
        if dictionary.get(self.field_name) == "":
            return ""
        return super().get_value(dictionary)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not _ASCII_DIGITS.fullmatch(data):
            self.fail("invalid")
        return super().to_internal_value(data)


_ASCII_DIGITS = re.compile(r"[0-9]+")


# A cluster id as the API takes it: verbatim (no trimming), 1..128 characters, no NUL (which
# PostgreSQL cannot store, so no cluster has one).
CLUSTER_ID_PATTERN = r"^[^\u0000]+$"


@extend_schema_field(
    {"type": "string", "minLength": 1, "maxLength": CLUSTER_ID_MAX_LENGTH, "pattern": CLUSTER_ID_PATTERN}
)
class ClusterIdField(serializers.CharField):
    """A cluster id parameter, taken exactly as sent: `" c1"` is another cluster than `"c1"`."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", CLUSTER_ID_MAX_LENGTH)
        super().__init__(trim_whitespace=False, **kwargs)


def not_found(request, *args, **kwargs) -> JsonResponse:
    """Any other URL under the API's prefixes: the API's JSON 404, never Django's HTML page."""
    return JsonResponse({"detail": "Not found."}, status=404)


# --- faults and abuse -------------------------------------------------------------------------

# The public, anonymous API (the paths of CORS_URLS_REGEX); /service/ and the admin are not.
PUBLIC_API_PATH = re.compile(r"^/(leaderboards|seasons)(/.*)?$")
# What a client waits before retrying when the database is down or too slow.
RETRY_AFTER_SECONDS = 5
_QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for a statement stopped by statement_timeout


def is_public_api(path: str) -> bool:
    return PUBLIC_API_PATH.match(path) is not None


def is_database_unavailable(exc: BaseException) -> bool:
    """A database that cannot be reached, dropped the connection or stopped a statement for its timeout."""
    return isinstance(exc, OperationalError | InterfaceError)


def database_unavailable_body(exc: BaseException) -> dict:
    if getattr(exc.__cause__, "sqlstate", None) == _QUERY_CANCELED:
        return {"detail": "The database took too long to answer; try again shortly."}
    return {"detail": "The database is unavailable; try again shortly."}


def database_unavailable_response(exc: BaseException) -> JsonResponse:
    response = JsonResponse(database_unavailable_body(exc), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def exception_handler(exc, context):
    """DRF's handler, plus: a database that is down or too slow is a 503 `{"detail": ...}` with Retry-After."""
    # Imported here: rest_framework.views reads DEFAULT_THROTTLE_CLASSES, which names this module.
    from rest_framework.views import exception_handler as drf_exception_handler

    if is_database_unavailable(exc):
        return Response(database_unavailable_body(exc), status=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    return drf_exception_handler(exc, context)


def client_ip(request) -> str:
    """The client's IP address: the peer's, or the one NUM_PROXIES trusted proxies put in X-Forwarded-For.

    The API's throttles and the admin's login lockout (django-axes) count by it.
    """
    return BaseThrottle().get_ident(request)


class ClientIpRateThrottle(SimpleRateThrottle):
    """The public API's rate limit per client IP (API_THROTTLE_RATE), counted in the shared cache.

    Addresses in API_THROTTLE_EXEMPT_IPS are never throttled. A cache that fails counts nothing:
    the request is served (hedge.cache), throttling resumes when the cache is back.
    """

    scope = "client_ip"
    cache = safe_cache

    def get_rate(self):
        # Read at each request, not once at import as DRF does, so a changed setting applies.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view):
        if not is_public_api(request.path_info):
            return None
        ident = self.get_ident(request)
        if _is_exempt(ident):
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}


def _is_exempt(ident: str) -> bool:
    try:
        address = ipaddress.ip_address(ident)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network, strict=False) for network in settings.API_THROTTLE_EXEMPT_IPS)
