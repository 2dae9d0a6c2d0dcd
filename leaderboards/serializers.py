"""Public JSON of leaderboards: camelCase keys, written out field by field."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
MAX_FINALS_LIMIT = 100
DEFAULT_FINALS_LIMIT = 20


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
    nextResetAt = serializers.SerializerMethodField()
    latestRun = serializers.SerializerMethodField()

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_nextResetAt(self, definition):
        return _datetime(self.context["next_reset_at"][definition.time_window])

    @extend_schema_field(RunSummarySerializer(allow_null=True))
    def get_latestRun(self, definition):
        if definition.latest_run_id is None:
            return None
        return RunSummarySerializer(definition).data


def _datetime(value):
    return None if value is None else serializers.DateTimeField().to_representation(value)


class LeaderboardRunHeaderSerializer(serializers.Serializer):
    """The leaderboard and the run whose entries follow."""

    key = serializers.CharField(source="leaderboard.key")
    name = serializers.CharField(source="leaderboard.name")
    description = serializers.CharField(source="leaderboard.description")
    timeWindow = serializers.CharField(source="leaderboard.time_window")
    periodStart = serializers.DateTimeField(source="period_start")
    periodEnd = serializers.DateTimeField(source="period_end")
    runId = serializers.IntegerField(source="id")
    rowCount = serializers.IntegerField(source="row_count")
    generatedAt = serializers.DateTimeField(source="finished_at")
    isFinal = serializers.BooleanField(source="is_final")
    nextResetAt = serializers.SerializerMethodField()

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_nextResetAt(self, run):
        return _datetime(self.context["next_reset_at"][run.leaderboard.time_window])


class EntryPayloadSerializer(serializers.Serializer):
    challengeCode = serializers.CharField()
    fallbackChallengeCode = serializers.CharField(allow_null=True)
    fallbackValue = serializers.IntegerField(allow_null=True)


class LeaderboardEntrySerializer(serializers.Serializer):
    """One ranked cluster; `payload` names what was ranked (the run's challenges) and the fallback value."""

    rank = serializers.IntegerField()
    position = serializers.IntegerField()
    clusterId = serializers.CharField(source="cluster_id")
    score = serializers.IntegerField()
    tiebreaker = serializers.IntegerField()
    payload = serializers.SerializerMethodField()

    @extend_schema_field(EntryPayloadSerializer)
    def get_payload(self, entry):
        run = self.context["run"]
        return {
            "challengeCode": run.challenge.code,
            "fallbackChallengeCode": run.fallback_challenge.code if run.fallback_challenge else None,
            "fallbackValue": entry["fallback_value"],
        }


class LeaderboardRunSerializer(serializers.Serializer):
    """A run of a leaderboard and its entries by position."""

    leaderboard = LeaderboardRunHeaderSerializer(source="run")
    entries = LeaderboardEntrySerializer(many=True)


class FinalRunSummarySerializer(serializers.Serializer):
    runId = serializers.IntegerField(source="id")
    periodStart = serializers.DateTimeField(source="period_start")
    periodEnd = serializers.DateTimeField(source="period_end")
    rowCount = serializers.IntegerField(source="row_count")
    generatedAt = serializers.DateTimeField(source="finished_at")
    isFinal = serializers.BooleanField(source="is_final")


class FinalRunListSerializer(serializers.Serializer):
    results = FinalRunSummarySerializer(many=True)
    next = serializers.URLField(allow_null=True)


class FinalsQuerySerializer(serializers.Serializer):
    limit = StrictIntegerField(
        min_value=1,
        max_value=MAX_FINALS_LIMIT,
        default=DEFAULT_FINALS_LIMIT,
        help_text=f"How many final runs: 1..{MAX_FINALS_LIMIT}, default {DEFAULT_FINALS_LIMIT}.",
    )
    before = StrictIntegerField(
        min_value=1, required=False, help_text="A run id from the previous page: only final runs after it."
    )


class LimitErrorSerializer(serializers.Serializer):
    limit = serializers.ListField(child=serializers.CharField())


class FinalsQueryErrorSerializer(serializers.Serializer):
    limit = serializers.ListField(child=serializers.CharField(), required=False)
    before = serializers.ListField(child=serializers.CharField(), required=False)
