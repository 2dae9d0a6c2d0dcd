"""API building blocks shared by hedge's apps."""

import codecs
import datetime
import hashlib
import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Mapping

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import ProhibitNullCharactersValidator
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from django.utils import timezone
from django.utils.http import parse_etags
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from hedge.core.cache import safe_cache
from hedge.core.clusters import CLUSTER_ID_MAX_LENGTH
from hedge.core.db import QUERY_CANCELED


class ErrorSerializer(serializers.Serializer):
    """The body of every 404 (and other non-field errors): `{"detail": "..."}`."""

    detail = serializers.CharField()


# One field for every value: building a DRF field per value cost more than a page's query.


def api_datetime(value) -> str | None:
    """A timestamp as the API writes it: what a DateTimeField of the schema gives (None stays null).

    The same text as DRF's DateTimeField (ISO 8601 in the current time zone, UTC as "Z"), without its
    per-value time-zone machinery, which cost more than the queries of a 52-period history (bench_profiles).
    """
    if value is None:
        return None
    if value.utcoffset() != _ZERO or settings.TIME_ZONE != "UTC":
        value = timezone.localtime(value)
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


_ZERO = datetime.timedelta(0)


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

    def get_value(self, dictionary):
        # DRF reads an empty query parameter of an optional field as "not sent"; `?clusterId=` is a
        # blank id (a 400), as it is where the field is required.
        if hasattr(dictionary, "getlist") and dictionary.get(self.field_name) == "":
            return ""
        return super().get_value(dictionary)


# A cluster id in a path, for every endpoint that names one there: a path segment, so no "/" and not
# "." or ".." (which clients resolve away); such an id is looked up with `clusters?ids=` instead.
CLUSTER_ID_PATH_PARAMETER = OpenApiParameter(
    "clusterId",
    {"type": "string", "minLength": 1, "maxLength": CLUSTER_ID_MAX_LENGTH, "pattern": r"^(?!\.\.?$)[^/\u0000]+$"},
    OpenApiParameter.PATH,
    description="The cluster's id, taken verbatim (no trimming).",
)


class ClusterPathSerializer(serializers.Serializer):
    clusterId = ClusterIdField()


def path_cluster_id(kwargs) -> str:
    """The view's `clusterId` path argument, checked like every cluster id parameter (else a 400 naming it)."""
    params = ClusterPathSerializer(data={"clusterId": kwargs["clusterId"]})
    params.is_valid(raise_exception=True)
    return params.validated_data["clusterId"]


def with_trailing_slash(view_class):
    """The same view for the path with a trailing slash, left out of the API schema (one path per operation)."""
    alias = type(f"{view_class.__name__}TrailingSlash", (view_class,), {})
    return extend_schema(exclude=True)(alias).as_view()


# --- cacheable public bodies -----------------------------------------------------------------------

# The schema's 304 of every conditional GET (cached_response, conditional_response).
NOT_MODIFIED = OpenApiResponse(description="Not modified: If-None-Match names the current ETag. No body.")


def cache_control(resets: Iterable[datetime.datetime | None], *, now: datetime.datetime) -> str:
    """How long a client may keep a public body: API_CACHE_SECONDS, and never past the next of `resets` (a
    board's next reset; None: the board never resets)."""
    max_age = settings.API_CACHE_SECONDS
    for reset in resets:
        if reset is not None:
            max_age = max(0, min(max_age, int((reset - now).total_seconds())))
    return f"public, max-age={max_age}"


def etag_of(material: str) -> str:
    """The (strong) ETag of `material`, the text of everything a body depends on."""
    return f'"{hashlib.blake2b(material.encode(), digest_size=16).hexdigest()}"'


def conditional_response(
    request, etag: str, resets: Iterable[datetime.datetime | None], *, now: datetime.datetime, body: Callable
) -> Response:
    """`body()` with `etag` and its Cache-Control, or a 304 without calling `body` while If-None-Match names `etag`."""
    headers = {"ETag": etag, "Cache-Control": cache_control(resets, now=now)}
    tags = parse_etags(request.headers.get("If-None-Match", ""))
    # A weak comparison: GZipMiddleware weakens the ETags it compresses.
    if any(tag == "*" or tag.removeprefix("W/") == etag for tag in tags):
        return Response(status=304, headers=headers)
    return Response(body(), headers=headers)


def cached_response(request, body, resets: Iterable[datetime.datetime | None], *, now: datetime.datetime) -> Response:
    """`body` with an ETag of its content and its Cache-Control, or a 304 while If-None-Match names the ETag."""
    etag = etag_of(json.dumps(body, sort_keys=True, cls=DjangoJSONEncoder))
    return conditional_response(request, etag, resets, now=now, body=lambda: body)


# --- strict JSON bodies ----------------------------------------------------------------------------

# Deeper than this, a body is refused before anything walks it (hedge's bodies are flat objects).
MAX_JSON_DEPTH = 32


class RequestBodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "body_too_large"


def body_too_large_detail() -> str:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return f"The request body is larger than the limit of {limit} bytes (DATA_UPLOAD_MAX_MEMORY_SIZE)."


class StrictJSONParser(JSONParser):
    """JSON bodies, every refusal a JSON 400 (413 for size) and never a 500.

    Refused: a body over DATA_UPLOAD_MAX_MEMORY_SIZE (read no further than the limit), bytes that
    are not UTF-8, nesting deeper than MAX_JSON_DEPTH (Python's parser would otherwise raise
    RecursionError at about 1,000), NaN and Infinity, an object naming a key twice (which a parser
    would otherwise resolve silently, each in its own way), and `\\ud800`-style lone surrogates.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        if stream is None:
            raise ParseError("JSON parse error - the body is empty.")
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(raw) > limit:
            raise RequestBodyTooLarge(body_too_large_detail())
        encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
        try:
            text = codecs.decode(raw, encoding)
            data = json.loads(text, object_pairs_hook=_object_without_duplicate_keys, parse_constant=_no_constant)
        except RecursionError:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels.") from None
        except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            raise ParseError(f"JSON parse error - {exc}") from None
        problem = _structure_problem(data, MAX_JSON_DEPTH)
        if problem:
            raise ParseError(f"JSON parse error - {problem}.")
        return data


def _object_without_duplicate_keys(pairs: list) -> dict:
    data = dict(pairs)
    if len(data) != len(pairs):
        seen = set()
        duplicate = next(key for key, _ in pairs if key in seen or seen.add(key))
        raise ValueError(f"the key {duplicate!r} appears more than once in an object")
    return data


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _structure_problem(data, limit: int) -> str | None:
    """What no hedge body may hold: nesting deeper than `limit`, or a string that is not Unicode text.

    JSON's `\\ud800` escapes decode to lone surrogates, which no database column can store.
    Walked with a stack, not recursion.
    """
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if not value.isascii() and not _is_unicode_text(value):
                return "a string holds a lone surrogate (\\ud800-\\udfff), which is not text"
            continue
        if isinstance(value, dict):
            children = [*value.keys(), *value.values()]
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return f"nested deeper than {limit} levels"
        stack.extend((child, depth + 1) for child in children)
    return None


def _is_unicode_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def json_type_problem(field: serializers.Field, value) -> str | None:
    """Why `value`, as parsed from JSON, is not of the JSON type `field` declares; None when it is.

    DRF coerces: a CharField takes 0 as "0", an IntegerField takes "3" and 3.0, a BooleanField
    "yes". A client that sends those has a bug it should hear about, so a strict body refuses them.
    """
    if value is None:
        return None  # the field's own allow_null decides
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else f"Must be true or false, not {_json_type(value)}."
    if isinstance(field, serializers.IntegerField):
        if isinstance(value, int) and not isinstance(value, bool):
            return None
        return f"Must be a JSON integer (digits only, e.g. 3), not {_json_type(value)}."
    if isinstance(field, serializers.ChoiceField) and all(isinstance(choice, str) for choice in field.choices):
        return None if isinstance(value, str) else f"Must be a string, not {_json_type(value)}."
    if isinstance(field, serializers.CharField):
        return None if isinstance(value, str) else f"Must be a string, not {_json_type(value)}."
    return None


def _json_type(value) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int):
        return "a number"
    if isinstance(value, float):
        return "a number with a fraction or an exponent" if value.is_integer() else "a fractional number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


class StrictSerializer(serializers.Serializer):
    """A JSON request body taken as declared: each field of its JSON type, nothing coerced, nothing unknown.

    Every service API request body is one (with StrictJSONParser, the API's parser): a field sent
    with another JSON type, or a field the serializer does not declare (a typo such as `clusterID`
    would otherwise be a silently missing field), is a 400 naming it. Its schema says so too
    (`additionalProperties: false`).
    """

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            if isinstance(field, serializers.CharField):
                field.trim_whitespace = False  # taken verbatim: " pi_3N" is not "pi_3N"
        return fields

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            errors = {name: ["Unknown field."] for name in data if name not in writable}
            for name in writable & set(data):
                problem = json_type_problem(self.fields[name], data[name])
                if problem:
                    errors[name] = [problem]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class StrictQuerySerializer(serializers.Serializer):
    """Query parameters taken as declared: a parameter the serializer does not know is a 400 naming it.

    For the service API's lists, where a typo (`?staus=PENDING`) silently dropping a filter would hand
    a payment loop every award instead of the pending ones.
    """

    def to_internal_value(self, data):
        unknown = {name: ["Unknown parameter."] for name in data if name not in self.fields}
        if unknown:
            raise serializers.ValidationError(unknown)
        return super().to_internal_value(data)


class StrictSerializerScheme(OpenApiSerializerExtension):
    """How the schema shows a StrictSerializer: as DRF's, and closed to other properties."""

    target_class = StrictSerializer
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        serializer_class = self.target if isinstance(self.target, type) else type(self.target)
        if not serializer_class.__doc__ or "__doc__" not in vars(serializer_class):
            schema.pop("description", None)  # not StrictSerializer's own docstring on every body
        if direction == "request":
            schema["additionalProperties"] = False
            for name, field in self.target.fields.items():
                # A string the server refuses blank says so (drf-spectacular only does with split components).
                if isinstance(field, serializers.CharField) and not field.read_only:
                    if not field.allow_blank:
                        schema["properties"][name].setdefault("minLength", 1)
                    if any(isinstance(v, ProhibitNullCharactersValidator) for v in field.validators):
                        schema["properties"][name].setdefault("pattern", r"^[^\u0000]*$")
        return schema


def not_found(request, *args, **kwargs) -> JsonResponse:
    """Any other URL under the API's prefixes: the API's JSON 404, never Django's HTML page."""
    return JsonResponse({"detail": "Not found."}, status=404)


# --- faults and abuse -------------------------------------------------------------------------

# The public, anonymous API (the paths of CORS_URLS_REGEX); /service/ and the admin are not.
PUBLIC_API_PATH = re.compile(r"^/(leaderboards|seasons|clusters)(/.*)?$")
# What a client waits before retrying when the database is down or too slow.
RETRY_AFTER_SECONDS = 5


def is_public_api(path: str) -> bool:
    return PUBLIC_API_PATH.match(path) is not None


def is_database_unavailable(exc: BaseException) -> bool:
    """A database that cannot be reached, dropped the connection or stopped a statement for its timeout."""
    return isinstance(exc, OperationalError | InterfaceError)


def database_unavailable_body(exc: BaseException) -> dict:
    if getattr(exc.__cause__, "sqlstate", None) == QUERY_CANCELED:
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


def is_api(path: str) -> bool:
    """The public API, the service API or the API's documentation: answered in JSON, refusals too."""
    return is_public_api(path) or _OTHER_API_PATH.match(path) is not None


_OTHER_API_PATH = re.compile(r"^/(service|api)(/.*)?$")


def client_ip(request) -> str:
    """The client's IP address: the peer's, or the one NUM_PROXIES trusted proxies put in X-Forwarded-For.

    The API's throttles and the admin's login lockout (django-axes) count by it.
    """
    return BaseThrottle().get_ident(request)


class ClientIpRateThrottle(SimpleRateThrottle):
    """The public API's rate limit per client IP (API_THROTTLE_RATE), counted in the shared cache.

    Addresses in API_THROTTLE_EXEMPT_IPS are never throttled. A cache that fails counts nothing:
    the request is served (hedge.core.cache), throttling resumes when the cache is back.
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
