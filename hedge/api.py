"""API building blocks shared by hedge's apps."""

import re

from django.http import JsonResponse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

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
