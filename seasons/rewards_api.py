"""The public reward tracks of a season: anonymous and read-only, like the rest of the public API."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from hedge.api import ClusterIdField, ErrorSerializer

from .api import SEASON_ID, read_season
from .models import Track
from .rewards import RewardState, get_season_tracks


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


class SeasonRewardsView(APIView):
    @extend_schema(
        operation_id="get_season_rewards",
        summary="A season's FREE and PREMIUM reward tracks, with a cluster's state on each reward",
        description=(
            "Rewards by track and level. With `clusterId`, each has a `state`: claimed (the cluster claimed "
            "it), closed (claims have closed), locked (level not reached), premium_required (a premium reward "
            "of a reached level, without premium), claimable. `level` and `maxLevel` are the cluster's level "
            "and the curve's cap (null: uncapped). "
            'A cluster excluded by staff from every leaderboard and the season pass is a 404 {"detail": "excluded"}, '
            "as in /progress: nothing is shown claimable that a claim would refuse."
        ),
        parameters=[
            SEASON_ID,
            RewardsQuerySerializer,
        ],
        responses={200: SeasonRewardsSerializer, 400: RewardsQueryErrorSerializer, 404: ErrorSerializer},
    )
    def get(self, request, seasonId: str):
        query = RewardsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        cluster_id = query.validated_data.get("clusterId")
        tracks = read_season(seasonId, lambda season_id: get_season_tracks(season_id=season_id, cluster_id=cluster_id))
        return Response(SeasonRewardsSerializer(tracks).data)
