"""The public reward tracks of a season: anonymous and read-only, like the rest of the public API."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from hedge.api import ClusterIdField, ErrorSerializer

from .api import LEVELS_EXAMPLE, SEASON_ID, read_season
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


def _reward_example(track: str, level: int, name: str, kind: str, quantity: int, data: dict, state) -> dict:
    return {
        "level": level,
        "pointsRequired": LEVELS_EXAMPLE[level - 1]["pointsRequired"],
        "name": name,
        "description": f"{name} ({track.lower()} track, level {level}).",
        "kind": kind,
        "quantity": quantity,
        "data": data,
        "state": state,
    }


def _tracks_example(states: dict[tuple[str, int], str] | None) -> list[dict]:
    """S1-2026's tracks, each reward in the state `states` gives it (None: no cluster asked about)."""
    rewards = {
        "FREE": [(5, "Frost badge", "badge", 1, {"badge": "frost"}), (14, "HDG", "token", 100, {"token": "HDG"})],
        "PREMIUM": [(5, "Ice crown", "cosmetic", 1, {"sku": "crown_ice"}), (20, "HDG", "token", 500, {"token": "HDG"})],
    }
    return [
        {
            "track": track,
            "rewards": [
                _reward_example(track, *reward, states[track, reward[0]] if states else None)
                for reward in rewards[track]
            ],
        }
        for track in ("FREE", "PREMIUM")
    ]


# A cluster at level 14 without premium: it claimed level 5, level 14 is waiting, premium would unlock more.
_CLUSTER_STATES = {
    ("FREE", 5): "claimed",
    ("FREE", 14): "claimable",
    ("PREMIUM", 5): "premium_required",
    ("PREMIUM", 20): "locked",
}


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
        examples=[
            OpenApiExample(
                "a cluster at level 14 without premium",
                value={
                    "seasonId": "S1-2026",
                    "clusterId": "c-7f3a",
                    "level": 14,
                    "maxLevel": 30,
                    "isPremium": False,
                    "claimsCloseAt": "2027-01-15T00:00:00Z",
                    "tracks": _tracks_example(_CLUSTER_STATES),
                },
                response_only=True,
            ),
            OpenApiExample(
                "the tracks alone without clusterId",
                value={
                    "seasonId": "S1-2026",
                    "clusterId": None,
                    "level": None,
                    "maxLevel": None,
                    "isPremium": None,
                    "claimsCloseAt": "2027-01-15T00:00:00Z",
                    "tracks": _tracks_example(None),
                },
                response_only=True,
            ),
        ],
    )
    def get(self, request, seasonId: str):
        query = RewardsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        cluster_id = query.validated_data.get("clusterId")
        tracks = read_season(seasonId, lambda season_id: get_season_tracks(season_id=season_id, cluster_id=cluster_id))
        return Response(SeasonRewardsSerializer(tracks).data)
