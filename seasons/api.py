"""The public, read-only season API: serializers and views."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from hedge.api import ErrorSerializer
from hedge.challenges.models import CLUSTER_ID_MAX_LENGTH

from .models import Season, season_id_validator
from .selectors import get_active_season, get_cluster_progress

# --- serializers -------------------------------------------------------------------------------


class SeasonProgressQueryErrorSerializer(serializers.Serializer):
    clusterId = serializers.ListField(child=serializers.CharField())


class SeasonSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    startsAt = serializers.DateTimeField(source="starts_at")
    endsAt = serializers.DateTimeField(source="ends_at")


class ProgressQuerySerializer(serializers.Serializer):
    clusterId = serializers.CharField(max_length=CLUSTER_ID_MAX_LENGTH, help_text="The cluster whose progress to show.")


class ClusterSeasonProgressSerializer(serializers.Serializer):
    seasonId = serializers.CharField(source="season_id")
    clusterId = serializers.CharField(source="cluster_id")
    points = serializers.IntegerField()
    level = serializers.IntegerField()
    nextLevelThreshold = serializers.IntegerField(source="next_level_threshold")
    pointsToNextLevel = serializers.IntegerField(source="points_to_next_level")
    updatedAt = serializers.DateTimeField(source="updated_at", allow_null=True)


# --- views -------------------------------------------------------------------------------------

_SEASON_ID_MAX_LENGTH = Season._meta.get_field("id").max_length


class ActiveSeasonView(APIView):
    @extend_schema(
        operation_id="seasons_active",
        summary="The season running now",
        description="The season flagged active whose dates include now.",
        responses={200: SeasonSerializer, 404: ErrorSerializer},
    )
    def get(self, request):
        season = get_active_season()
        if season is None:
            raise NotFound("No season is active.")
        return Response(SeasonSerializer(season).data)


class SeasonProgressView(APIView):
    @extend_schema(
        operation_id="seasons_progress",
        summary="A cluster's points and level in a season",
        description=(
            "Stored progress of one cluster; zeros (and updatedAt null) when it has none yet. "
            "Seasons that have ended answer with their final progress. "
            "level = points ÷ the season's points per level (rounded down); "
            "nextLevelThreshold = (level + 1) × points per level, so pointsToNextLevel is always positive."
        ),
        parameters=[
            OpenApiParameter(
                "season_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="Season id, e.g. S1-2025."
            ),
            ProgressQuerySerializer,
        ],
        responses={
            200: ClusterSeasonProgressSerializer,
            400: SeasonProgressQueryErrorSerializer,
            404: ErrorSerializer,
        },
    )
    def get(self, request, season_id: str):
        query = ProgressQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        # An id no season can have is unknown without asking the database (a NUL byte would upset it).
        valid_id = len(season_id) <= _SEASON_ID_MAX_LENGTH and season_id_validator.regex.fullmatch(season_id)
        progress = (
            get_cluster_progress(season_id=season_id, cluster_id=query.validated_data["clusterId"])
            if valid_id
            else None
        )
        if progress is None:
            raise NotFound(f"Season {season_id!r} does not exist.")
        return Response(ClusterSeasonProgressSerializer(progress).data)
