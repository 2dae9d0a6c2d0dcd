"""Public JSON of the player-centred reads: camelCase keys, written out field by field."""

from rest_framework import serializers

from hedge.core.api import DigitsIntegerField, StrictSerializer, api_datetime
from leaderboards.api.serializers import (
    AVATAR_URL_HELP,
    DISPLAY_NAME_HELP,
    FinalsQuerySerializer,
    LeaderboardEntrySerializer,
    LeaderboardRunHeaderSerializer,
    _entries,
    _header,
)
from leaderboards.models import MAX_MOVERS, TimeWindow

from ..models import (
    AVATAR_URL_MAX_LENGTH,
    DISPLAY_NAME_MAX_LENGTH,
    validate_avatar_url,
    validate_display_name_characters,
)

_PERCENTILE_HELP = (
    "Percent of the clusters the run ranked (rankedTotal, before the max_entries cut) that rank strictly behind "
    "this cluster (ties are not behind), 0..100, rounded down to one decimal."
)


class BestSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    runId = serializers.IntegerField()
    periodStart = serializers.DateTimeField()
    periodEnd = serializers.DateTimeField()


def _best(best) -> dict | None:
    if best is None:
        return None
    return {
        "rank": best.rank,
        "runId": best.run_id,
        "periodStart": api_datetime(best.period_start),
        "periodEnd": api_datetime(best.period_end),
    }


class BoardStandingSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    timeWindow = serializers.ChoiceField(choices=TimeWindow.values)
    runId = serializers.IntegerField(help_text="The board's latest completed run, which ranks the cluster.")
    periodStart = serializers.DateTimeField()
    periodEnd = serializers.DateTimeField()
    nextResetAt = serializers.DateTimeField(allow_null=True)
    rank = serializers.IntegerField()
    position = serializers.IntegerField()
    score = serializers.IntegerField()
    previousRank = serializers.IntegerField(allow_null=True)
    rankChange = serializers.IntegerField(allow_null=True, help_text="previousRank - rank: positive = moved up.")
    percentile = serializers.FloatField(help_text=_PERCENTILE_HELP)
    total = serializers.IntegerField(help_text="The run's rankedTotal.")
    best = BestSerializer(
        allow_null=True, help_text="The best rank in the board's completed final runs (ties: the newest period)."
    )

    def to_representation(self, standing):
        return {
            "key": standing.key,
            "name": standing.name,
            "timeWindow": standing.time_window,
            "runId": standing.run_id,
            "periodStart": api_datetime(standing.period_start),
            "periodEnd": api_datetime(standing.period_end),
            "nextResetAt": api_datetime(self.context["next_reset_at"][standing.time_window]),
            "rank": standing.rank,
            "position": standing.position,
            "score": standing.score,
            "previousRank": standing.previous_rank,
            "rankChange": None if standing.previous_rank is None else standing.previous_rank - standing.rank,
            "percentile": standing.percentile,
            "total": standing.total,
            "best": _best(standing.best),
        }


class SeasonSummarySerializer(serializers.Serializer):
    seasonId = serializers.CharField()
    points = serializers.IntegerField()
    level = serializers.IntegerField()
    maxLevel = serializers.IntegerField(allow_null=True)
    progressPercent = serializers.IntegerField()
    nextLevelThreshold = serializers.IntegerField(allow_null=True)
    claimable = serializers.IntegerField(help_text="How many rewards of the season the cluster can claim now.")


class AwardCountsSerializer(serializers.Serializer):
    pending = serializers.IntegerField()
    settled = serializers.IntegerField()


class ProfileSerializer(serializers.Serializer):
    clusterId = serializers.CharField()
    displayName = serializers.CharField(allow_null=True, help_text=DISPLAY_NAME_HELP)
    avatarUrl = serializers.URLField(allow_null=True, help_text=AVATAR_URL_HELP)
    leaderboards = BoardStandingSerializer(many=True, help_text="Active boards whose latest run ranks it, by key.")
    season = SeasonSummarySerializer(allow_null=True, help_text="The active season; null when none is active.")
    awards = AwardCountsSerializer()

    def to_representation(self, profile):
        board = BoardStandingSerializer(context=self.context)
        season = profile.season
        return {
            "clusterId": profile.cluster_id,
            "displayName": profile.name.display_name,
            "avatarUrl": profile.name.avatar_url,
            "leaderboards": [board.to_representation(standing) for standing in profile.leaderboards],
            "season": None
            if season is None
            else {
                "seasonId": season.season_id,
                "points": season.points,
                "level": season.level,
                "maxLevel": season.max_level,
                "progressPercent": season.progress_percent,
                "nextLevelThreshold": season.next_level_threshold,
                "claimable": season.claimable,
            },
            "awards": dict(profile.awards),
        }


class FinalStandingSerializer(serializers.Serializer):
    runId = serializers.IntegerField()
    periodStart = serializers.DateTimeField()
    periodEnd = serializers.DateTimeField()
    rank = serializers.IntegerField()
    position = serializers.IntegerField()
    score = serializers.IntegerField()
    total = serializers.IntegerField(help_text="The run's rankedTotal.")
    percentile = serializers.FloatField(help_text=_PERCENTILE_HELP)


class HistorySerializer(serializers.Serializer):
    clusterId = serializers.CharField()
    displayName = serializers.CharField(allow_null=True, help_text=DISPLAY_NAME_HELP)
    avatarUrl = serializers.URLField(allow_null=True, help_text=AVATAR_URL_HELP)
    results = FinalStandingSerializer(many=True, help_text="Newest period first; periods not ranked in are left out.")
    best = BestSerializer(allow_null=True, help_text="The best rank in every completed final run, not just this page.")
    next = serializers.URLField(allow_null=True)

    def to_representation(self, page):
        return {
            "clusterId": page["cluster_id"],
            "displayName": page["name"].display_name,
            "avatarUrl": page["name"].avatar_url,
            "results": [
                {
                    "runId": s.run_id,
                    "periodStart": api_datetime(s.period_start),
                    "periodEnd": api_datetime(s.period_end),
                    "rank": s.rank,
                    "position": s.position,
                    "score": s.score,
                    "total": s.total,
                    "percentile": s.percentile,
                }
                for s in page["results"]
            ],
            "best": _best(page["best"]),
            "next": page["next"],
        }


class HistoryQuerySerializer(FinalsQuerySerializer):
    """A cluster's history pages like /finals: the same `limit` and `before` (a final run's id)."""


class HistoryQueryErrorSerializer(serializers.Serializer):
    clusterId = serializers.ListField(child=serializers.CharField(), required=False)
    limit = serializers.ListField(child=serializers.CharField(), required=False)
    before = serializers.ListField(child=serializers.CharField(), required=False)


class ProfileQueryErrorSerializer(serializers.Serializer):
    clusterId = serializers.ListField(child=serializers.CharField())


DEFAULT_MOVERS_LIMIT = 10


class MoversQuerySerializer(serializers.Serializer):
    direction = serializers.ChoiceField(
        choices=["up", "down"],
        default="up",
        help_text="`up`: the largest rankChange first; `down`: the smallest first. Ties by position.",
    )
    limit = DigitsIntegerField(
        min_value=1,
        max_value=MAX_MOVERS,
        default=DEFAULT_MOVERS_LIMIT,
        help_text=f"How many entries: 1..{MAX_MOVERS}, default {DEFAULT_MOVERS_LIMIT}.",
    )


class MoversQueryErrorSerializer(serializers.Serializer):
    direction = serializers.ListField(child=serializers.CharField(), required=False)
    limit = serializers.ListField(child=serializers.CharField(), required=False)


class MoversSerializer(serializers.Serializer):
    """The entries of a run that moved most, among those with a previousRank."""

    leaderboard = LeaderboardRunHeaderSerializer(source="run")
    entries = LeaderboardEntrySerializer(many=True, help_text="By rankChange (up: descending), then position.")

    def to_representation(self, found):
        return {"leaderboard": _header(found["run"], self.context), "entries": _entries(found["entries"], self.context)}


# --- the service API: a cluster's display name and avatar ---------------------------------------------


class DisplayNameField(serializers.CharField):
    """A display name as the game sends it: trimmed here (StrictSerializer takes strings verbatim), then
    1..DISPLAY_NAME_MAX_LENGTH characters without control characters."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data).strip()
        if not value:
            self.fail("blank")
        return value


class ClusterProfileRequestSerializer(StrictSerializer):
    """PUT replaces both: a field left out or null clears it (both null: as DELETE)."""

    displayName = DisplayNameField(
        max_length=DISPLAY_NAME_MAX_LENGTH,
        allow_null=True,
        default=None,
        validators=[validate_display_name_characters],
        help_text=f"Trimmed, then 1..{DISPLAY_NAME_MAX_LENGTH} characters; no control characters (C0/C1, line "
        "separators, bidirectional overrides). Null or left out: no name.",
    )
    avatarUrl = serializers.CharField(
        max_length=AVATAR_URL_MAX_LENGTH,
        allow_null=True,
        default=None,
        validators=[validate_avatar_url],
        help_text="An https:// URL, taken verbatim. Null or left out: no avatar.",
    )


class ClusterProfileSerializer(serializers.Serializer):
    clusterId = serializers.CharField()
    displayName = serializers.CharField(allow_null=True)
    avatarUrl = serializers.CharField(allow_null=True)
    updatedAt = serializers.DateTimeField(allow_null=True, help_text="When they were set; null when both are.")

    def to_representation(self, found):
        cluster_id, profile = found
        return {
            "clusterId": cluster_id,
            "displayName": profile.display_name if profile else None,
            "avatarUrl": profile.avatar_url if profile else None,
            "updatedAt": api_datetime(profile.updated_at) if profile else None,
        }
