"""The public season API's serializers: seasons, their levels, a cluster's progress, the reward tracks."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from hedge.core.api import ClusterIdField, api_datetime

from ..models import Scoring, Track
from ..selectors import (
    POINTS_OVERFLOW,
    ClusterSeasonProgress,
    RewardState,
    SeasonStatus,
    season_status,
)


class SeasonProgressQueryErrorSerializer(serializers.Serializer):
    clusterId = serializers.ListField(child=serializers.CharField())


class SeasonWeightSerializer(serializers.Serializer):
    challengeCode = serializers.CharField(source="challenge_id")
    challengeName = serializers.CharField(source="challenge.name")
    weight = serializers.IntegerField(help_text="Points per unit of the challenge's value (or gain).")


class SeasonSerializer(serializers.Serializer):
    """A season, where it is in its life, how its points are earned and how levels follow from them."""

    id = serializers.CharField()
    name = serializers.CharField()
    startsAt = serializers.DateTimeField(source="starts_at")
    endsAt = serializers.DateTimeField(source="ends_at")
    status = serializers.SerializerMethodField()
    scoring = serializers.ChoiceField(
        choices=Scoring.choices,
        help_text="GAINS: points = Σ weight × what each challenge's value gained inside the season. "
        "LIFETIME: Σ weight × the whole value.",
    )
    pointsPerLevel = serializers.SerializerMethodField()
    maxLevel = serializers.IntegerField(
        source="curve_max_level",
        allow_null=True,
        help_text="The level curve's last level (levels are capped there); null without a curve (uncapped).",
    )
    weights = SeasonWeightSerializer(many=True, source="weights_with_challenges", help_text="By challenge code.")

    @extend_schema_field(
        serializers.ChoiceField(
            choices=SeasonStatus.values,
            help_text="upcoming: not started; active: running, progress is updated; ended: past its end (or "
            "stopped by staff), progress no longer updated; final: ended and its standings are fixed.",
        )
    )
    def get_status(self, season) -> str:
        return season_status(season, now=self.context["now"])

    @extend_schema_field(
        serializers.IntegerField(
            allow_null=True,
            min_value=1,
            help_text="Without a level curve, level = points ÷ pointsPerLevel (rounded down). null while a level "
            "curve decides levels: see GET /seasons/{seasonId}/levels.",
        )
    )
    def get_pointsPerLevel(self, season) -> int | None:
        return None if season.curve_max_level is not None else season.points_per_level


class SeasonLevelSerializer(serializers.Serializer):
    level = serializers.IntegerField(min_value=1)
    pointsRequired = serializers.IntegerField(source="points_required", help_text="The points the level needs.")


class SeasonLevelsSerializer(serializers.Serializer):
    """How a season's levels follow from its points: a level curve, or a flat number of points per level."""

    seasonId = serializers.CharField(source="season_id")
    pointsPerLevel = serializers.IntegerField(
        source="points_per_level",
        allow_null=True,
        help_text="Without a curve: level = points ÷ pointsPerLevel (rounded down), uncapped. null with a curve.",
    )
    maxLevel = serializers.IntegerField(
        source="max_level", allow_null=True, help_text="The curve's last level; null without a curve (uncapped)."
    )
    levels = SeasonLevelSerializer(
        many=True,
        help_text="The curve, by level: a cluster is at the highest level whose points it has. Empty without one.",
    )


class ProgressQuerySerializer(serializers.Serializer):
    clusterId = ClusterIdField(help_text="The cluster whose progress to show, taken verbatim (no trimming).")


class ChallengePointsSerializer(serializers.Serializer):
    challengeCode = serializers.CharField(source="challenge_code")
    challengeName = serializers.CharField(source="challenge_name")
    weight = serializers.IntegerField()
    value = serializers.IntegerField(help_text="The gain inside the season (GAINS) or the lifetime value (LIFETIME).")
    points = serializers.IntegerField(help_text="weight × value")


class ClusterSeasonProgressSerializer(serializers.Serializer):
    seasonId = serializers.CharField(source="season_id")
    clusterId = serializers.CharField(source="cluster_id")
    points = serializers.IntegerField()
    level = serializers.IntegerField()
    maxLevel = serializers.IntegerField(
        source="max_level", allow_null=True, help_text="The level curve's last level; null without a curve (uncapped)."
    )
    levelStartsAt = serializers.IntegerField(source="level_starts_at", help_text="The points the current level needs.")
    nextLevelThreshold = serializers.IntegerField(
        source="next_level_threshold", allow_null=True, help_text="The points the next level needs; null at the cap."
    )
    pointsToNextLevel = serializers.IntegerField(source="points_to_next_level", allow_null=True)
    progressPercent = serializers.IntegerField(
        source="progress_percent", min_value=0, max_value=100, help_text="Within the current level; 100 at the cap."
    )
    updatedAt = serializers.DateTimeField(source="updated_at", allow_null=True)
    error = serializers.ChoiceField(
        choices=[POINTS_OVERFLOW],
        allow_null=True,
        help_text="null, or points_overflow: the last recompute could not store this cluster's points (their sum "
        "is beyond 64-bit integers), so points, level and updatedAt are the last stored and breakdown shows the "
        "sum that did not fit. Staff see the cluster in the admin.",
    )
    stale = serializers.BooleanField(
        help_text="True while the season's stored points are out of date: staff changed its dates, scoring, weights "
        "or level curve and it has not been recomputed since."
    )
    known = serializers.BooleanField(
        help_text="False for a cluster hedge has never seen (no challenge progress, no points in any recompute of "
        "the season): its zeros then mean 'unknown id', not 'a new player with no points yet'."
    )
    breakdown = ChallengePointsSerializer(
        many=True, help_text="Each weighted challenge's share of the points, most points first; they sum to points."
    )

    # The fields document the shape (OpenAPI); the body is written out directly, because DRF's
    # per-field machinery (a deep copy of every field, the nested ones too, for each response)
    # cost about as much as the endpoint's queries. The API tests pin the body byte for byte.
    def to_representation(self, progress: ClusterSeasonProgress) -> dict:
        return {
            "seasonId": progress.season_id,
            "clusterId": progress.cluster_id,
            "points": progress.points,
            "level": progress.level,
            "maxLevel": progress.max_level,
            "levelStartsAt": progress.level_starts_at,
            "nextLevelThreshold": progress.next_level_threshold,
            "pointsToNextLevel": progress.points_to_next_level,
            "progressPercent": progress.progress_percent,
            "updatedAt": api_datetime(progress.updated_at),
            "error": progress.error,
            "stale": progress.stale,
            "known": progress.known,
            "breakdown": [
                {
                    "challengeCode": share.challenge_code,
                    "challengeName": share.challenge_name,
                    "weight": share.weight,
                    "value": share.value,
                    "points": share.points,
                }
                for share in progress.breakdown
            ],
        }


class RewardsQuerySerializer(serializers.Serializer):
    clusterId = ClusterIdField(
        required=False,
        help_text="Show each reward's state for this cluster (without it, `state` is null).",
    )


class RewardsQueryErrorSerializer(serializers.Serializer):
    clusterId = serializers.ListField(child=serializers.CharField())


class RewardLineSerializer(serializers.Serializer):
    level = serializers.IntegerField()
    pointsRequired = serializers.IntegerField(
        source="points_required",
        help_text="The points the reward's level needs (the curve's, or level × pointsPerLevel).",
    )
    name = serializers.CharField()
    description = serializers.CharField()
    kind = serializers.CharField()
    quantity = serializers.IntegerField()
    data = serializers.JSONField()
    state = serializers.ChoiceField(choices=RewardState.values, allow_null=True)


# Not "Track": a component and its own property `track` would collide in generated code.
@extend_schema_serializer(component_name="RewardTrack")
class TrackSerializer(serializers.Serializer):
    track = serializers.ChoiceField(choices=Track.values)
    rewards = RewardLineSerializer(many=True)


class SeasonRewardsSerializer(serializers.Serializer):
    seasonId = serializers.CharField(source="season_id")
    clusterId = serializers.CharField(source="cluster_id", allow_null=True)
    level = serializers.IntegerField(source="standing.level", allow_null=True, default=None)
    maxLevel = serializers.IntegerField(source="standing.max_level", allow_null=True, default=None)
    isPremium = serializers.BooleanField(source="is_premium", allow_null=True)
    claimsCloseAt = serializers.DateTimeField(source="claims_close_at")
    tracks = serializers.SerializerMethodField()

    def get_tracks(self, obj) -> TrackSerializer(many=True):
        return TrackSerializer(
            [{"track": track, "rewards": rewards} for track, rewards in obj.tracks.items()], many=True
        ).data
