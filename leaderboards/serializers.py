"""Public JSON of leaderboards: camelCase keys, written out field by field."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100


class StrictIntegerField(serializers.IntegerField):
    """An integer query parameter where an empty value (`?limit=`) is an error, not "use the default"."""

    def get_value(self, dictionary):
        if self.field_name in dictionary and dictionary.get(self.field_name) == "":
            return ""
        return super().get_value(dictionary)


class LimitQuerySerializer(serializers.Serializer):
    limit = StrictIntegerField(
        min_value=1,
        max_value=MAX_LIMIT,
        default=DEFAULT_LIMIT,
        help_text=f"How many entries, from position 1: 1..{MAX_LIMIT}, default {DEFAULT_LIMIT}.",
    )


class RunSummarySerializer(serializers.Serializer):
    """The latest COMPLETE run of a leaderboard in the list (from `latest_*` annotations)."""

    runId = serializers.IntegerField(source="latest_run_id")
    periodStart = serializers.DateTimeField(source="latest_period_start")
    periodEnd = serializers.DateTimeField(source="latest_period_end")
    rowCount = serializers.IntegerField(source="latest_row_count")
    generatedAt = serializers.DateTimeField(source="latest_finished_at")


class LeaderboardListItemSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    timeWindow = serializers.CharField(source="time_window")
    latestRun = serializers.SerializerMethodField()

    @extend_schema_field(RunSummarySerializer(allow_null=True))
    def get_latestRun(self, definition):
        if definition.latest_run_id is None:
            return None
        return RunSummarySerializer(definition).data


class LeaderboardRunHeaderSerializer(serializers.Serializer):
    """The `leaderboard` object of a run response, from a run with its definition."""

    # Reads a selectors.PublicRun. (A serializer's docstring is its description in the API schema,
    # so notes on these serializers are comments.)
    key = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    timeWindow = serializers.CharField(source="time_window")
    periodStart = serializers.DateTimeField(source="period_start")
    periodEnd = serializers.DateTimeField(source="period_end")
    runId = serializers.IntegerField(source="id")
    rowCount = serializers.IntegerField(source="row_count")
    generatedAt = serializers.DateTimeField(source="finished_at")


class LeaderboardEntrySerializer(serializers.Serializer):
    # Reads a dict of selectors.ENTRY_FIELDS. The declared fields document the JSON (API schema);
    # to_representation writes the same keys directly, because DRF's field-by-field path costs more
    # than the rest of the request at limit=1000. The values are already JSON's types (the
    # database's integers and text, the payload decoded by its JSONField), which is all those
    # fields would do to them.
    rank = serializers.IntegerField()
    position = serializers.IntegerField()
    clusterId = serializers.CharField(source="cluster_id")
    score = serializers.IntegerField()
    tiebreaker = serializers.IntegerField()
    payload = serializers.JSONField()

    def to_representation(self, entry):
        return {
            "rank": entry["rank"],
            "position": entry["position"],
            "clusterId": entry["cluster_id"],
            "score": entry["score"],
            "tiebreaker": entry["tiebreaker"],
            "payload": entry["payload"],
        }


class LeaderboardRunSerializer(serializers.Serializer):
    # Reads {"run": selectors.PublicRun, "entries": [dict of selectors.ENTRY_FIELDS, ...]}.
    leaderboard = LeaderboardRunHeaderSerializer(source="run")
    entries = LeaderboardEntrySerializer(many=True)

    def to_representation(self, instance):
        # DRF's path would first deep-copy the 17 declared fields of this serializer and the two
        # nested ones, on every response; these two shared instances are copied once per process
        # and keep no state between calls.
        return {
            "leaderboard": _HEADER.to_representation(instance["run"]),
            "entries": [_ENTRY.to_representation(entry) for entry in instance["entries"]],
        }


_HEADER = LeaderboardRunHeaderSerializer()
_ENTRY = LeaderboardEntrySerializer()


class LimitErrorSerializer(serializers.Serializer):
    limit = serializers.ListField(child=serializers.CharField())
