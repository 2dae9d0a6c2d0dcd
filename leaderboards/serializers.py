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

    key = serializers.CharField(source="leaderboard.key")
    name = serializers.CharField(source="leaderboard.name")
    description = serializers.CharField(source="leaderboard.description")
    timeWindow = serializers.CharField(source="leaderboard.time_window")
    periodStart = serializers.DateTimeField(source="period_start")
    periodEnd = serializers.DateTimeField(source="period_end")
    runId = serializers.IntegerField(source="id")
    rowCount = serializers.IntegerField(source="row_count")
    generatedAt = serializers.DateTimeField(source="finished_at")


class LeaderboardEntrySerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    position = serializers.IntegerField()
    clusterId = serializers.CharField(source="cluster_id")
    score = serializers.IntegerField()
    tiebreaker = serializers.IntegerField()
    payload = serializers.JSONField()


class LeaderboardRunSerializer(serializers.Serializer):
    leaderboard = LeaderboardRunHeaderSerializer(source="run")
    entries = LeaderboardEntrySerializer(many=True)


class LimitErrorSerializer(serializers.Serializer):
    limit = serializers.ListField(child=serializers.CharField())
