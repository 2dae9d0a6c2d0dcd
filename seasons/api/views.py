"""The public, read-only season API: serializers and views."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from hedge.api import ClusterIdField, ErrorSerializer, api_datetime

from .models import Scoring, Season, season_id_validator
from .selectors import (
    POINTS_OVERFLOW,
    ClusterSeasonProgress,
    ProgressWithheld,
    SeasonStatus,
    active_season_id,
    active_season_with_weights,
    get_explained_cluster_progress,
    listed_seasons,
    season_levels,
    season_status,
)

# --- serializers -------------------------------------------------------------------------------


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


# --- views -------------------------------------------------------------------------------------

_SEASON_ID_MAX_LENGTH = Season._meta.get_field("id").max_length
T = TypeVar("T")


def read_season(path_id: str, read: Callable[[str], T | None]) -> T:
    """`read(season_id)` for the season a public `{seasonId}` names (`active`: the active season, one query).

    The API's 404 when it names no season (`read` gives None), or "excluded" for a cluster whose
    progress is withheld.
    """
    if path_id == ACTIVE:
        return _read_season_or_404(active_season_id(), read, missing="No season is active.")
    return _read_season_or_404(path_id, read)


def get_season_or_404(season_id: str) -> Season:
    """The season with this id, for the service API (which names seasons by id only)."""
    return _read_season_or_404(season_id, lambda pk: Season.objects.filter(pk=pk).first())


def _read_season_or_404(season_id: str | None, read: Callable[[str], T | None], *, missing: str = "") -> T:
    # An id no season can have is unknown without asking the database (a NUL byte would upset it).
    valid = season_id is not None and len(season_id) <= _SEASON_ID_MAX_LENGTH
    try:
        found = read(season_id) if valid and season_id_validator.regex.fullmatch(season_id) else None
    except ProgressWithheld:
        raise NotFound("excluded") from None
    if found is None:
        raise NotFound(missing or f"Season {season_id!r} does not exist.")
    return found


# In a season's path, this names the active season (GET /seasons/active/progress, /rewards, /levels).
ACTIVE = "active"

SEASON_ID = OpenApiParameter(
    "seasonId",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="Season id, e.g. S1-2025; `active` names the season running now (404 while none is).",
)


# --- what the schema shows as examples: the active season S1-2026 (a 30-level curve), one upcoming, one over ---

_WEIGHTS_EXAMPLE = [
    {"challengeCode": "playtime_hours", "challengeName": "Hours played", "weight": 6},
    {"challengeCode": "quests", "challengeName": "Quests completed", "weight": 25},
    {"challengeCode": "wins", "challengeName": "PvP wins", "weight": 50},
]
# The curve of S1-2026: level n needs 85 n² points (so 17,543 points is level 14 of 30).
LEVELS_EXAMPLE = [{"level": level, "pointsRequired": 85 * level * level} for level in range(1, 31)]
SEASON_EXAMPLE = {
    "id": "S1-2026",
    "name": "Season 1: Frostfall",
    "startsAt": "2026-10-01T00:00:00Z",
    "endsAt": "2027-01-01T00:00:00Z",
    "status": "active",
    "scoring": "GAINS",
    "pointsPerLevel": None,
    "maxLevel": 30,
    "weights": _WEIGHTS_EXAMPLE,
}
_UPCOMING_SEASON_EXAMPLE = {
    "id": "S2-2027",
    "name": "Season 2: Thaw",
    "startsAt": "2027-01-15T00:00:00Z",
    "endsAt": "2027-04-15T00:00:00Z",
    "status": "upcoming",
    "scoring": "GAINS",
    "pointsPerLevel": 500,
    "maxLevel": None,
    "weights": [{"challengeCode": "wins", "challengeName": "PvP wins", "weight": 50}],
}
_FINAL_SEASON_EXAMPLE = {
    "id": "S4-2025",
    "name": "Season 4: Embers",
    "startsAt": "2025-07-01T00:00:00Z",
    "endsAt": "2025-10-01T00:00:00Z",
    "status": "final",
    "scoring": "LIFETIME",
    "pointsPerLevel": 1000,
    "maxLevel": None,
    "weights": [{"challengeCode": "wins", "challengeName": "PvP wins", "weight": 10}],
}
_BREAKDOWN_EXAMPLE = [
    {"challengeCode": "wins", "challengeName": "PvP wins", "weight": 50, "value": 211, "points": 10550},
    {"challengeCode": "quests", "challengeName": "Quests completed", "weight": 25, "value": 243, "points": 6075},
    {"challengeCode": "playtime_hours", "challengeName": "Hours played", "weight": 6, "value": 153, "points": 918},
]


class SeasonListView(APIView):
    @extend_schema(
        operation_id="list_seasons",
        summary="Every season, upcoming ones too, latest start first",
        description="Each season with its status (upcoming, active, ended, final), how its points are earned and "
        "how levels follow from them, so a client can show 'next season starts in ...'.",
        responses={200: SeasonSerializer(many=True)},
        # One season each: drf-spectacular shows an example of a list answer as a list of it.
        examples=[
            OpenApiExample(
                "an upcoming season without a level curve yet", value=_UPCOMING_SEASON_EXAMPLE, response_only=True
            ),
            OpenApiExample("the active season with a level curve", value=SEASON_EXAMPLE, response_only=True),
            OpenApiExample("a season over with its standings final", value=_FINAL_SEASON_EXAMPLE, response_only=True),
        ],
    )
    def get(self, request):
        return Response(SeasonSerializer(listed_seasons(), many=True, context={"now": timezone.now()}).data)


class ActiveSeasonView(APIView):
    @extend_schema(
        operation_id="get_active_season",
        summary="The season running now",
        description="The season flagged active whose dates include now, with how its points are earned.",
        responses={200: SeasonSerializer, 404: ErrorSerializer},
        examples=[OpenApiExample("a season with a level curve", value=SEASON_EXAMPLE, response_only=True)],
    )
    def get(self, request):
        season = active_season_with_weights()
        if season is None:
            raise NotFound("No season is active.")
        return Response(SeasonSerializer(season, context={"now": timezone.now()}).data)


class SeasonLevelsView(APIView):
    @extend_schema(
        operation_id="get_season_levels",
        summary="A season's levels: the points each level needs",
        description="With a level curve: `levels` lists (level, pointsRequired), `maxLevel` is the cap and "
        "`pointsPerLevel` null. Without one: `levels` is empty, `maxLevel` null and level = points ÷ "
        "`pointsPerLevel` (rounded down), uncapped.",
        parameters=[SEASON_ID],
        responses={200: SeasonLevelsSerializer, 404: ErrorSerializer},
        examples=[
            OpenApiExample(
                "a level curve",
                value={"seasonId": "S1-2026", "pointsPerLevel": None, "maxLevel": 30, "levels": LEVELS_EXAMPLE},
                response_only=True,
            ),
            OpenApiExample(
                "no curve and a flat 500 points per level",
                value={"seasonId": "S2-2027", "pointsPerLevel": 500, "maxLevel": None, "levels": []},
                response_only=True,
            ),
        ],
    )
    def get(self, request, seasonId: str):
        levels = read_season(seasonId, season_levels)
        return Response(SeasonLevelsSerializer(levels).data)


class SeasonProgressView(APIView):
    @extend_schema(
        operation_id="get_season_progress",
        summary="A cluster's points and level in a season",
        description=(
            "Stored progress of one cluster; zeros (and updatedAt null) when it has none yet. "
            "Seasons that have ended answer with their final progress. "
            "With a level curve, level is the highest level whose points the cluster reached, capped at maxLevel "
            "(nextLevelThreshold and pointsToNextLevel are then null); without one, level = points ÷ the season's "
            "points per level (rounded down) and nextLevelThreshold = (level + 1) × points per level. "
            "breakdown explains the points: weight × value of each weighted challenge, computed now. "
            "stale is true while staff changes to the season's dates, scoring, weights or level curve are not "
            "recomputed yet (points and breakdown may then disagree). "
            'A cluster excluded by staff from every leaderboard and the season pass is a 404 {"detail": "excluded"}.'
        ),
        parameters=[SEASON_ID, ProgressQuerySerializer],
        responses={
            200: ClusterSeasonProgressSerializer,
            400: SeasonProgressQueryErrorSerializer,
            404: ErrorSerializer,
        },
        examples=[
            OpenApiExample(
                "level 14 of 30",
                value={
                    "seasonId": "S1-2026",
                    "clusterId": "c-7f3a",
                    "points": 17543,
                    "level": 14,
                    "maxLevel": 30,
                    "levelStartsAt": 16660,
                    "nextLevelThreshold": 19125,
                    "pointsToNextLevel": 1582,
                    "progressPercent": 35,
                    "updatedAt": "2026-11-27T10:04:51Z",
                    "error": None,
                    "stale": False,
                    "known": True,
                    "breakdown": _BREAKDOWN_EXAMPLE,
                },
                response_only=True,
            ),
            OpenApiExample(
                "a cluster hedge has never seen",
                value={
                    "seasonId": "S1-2026",
                    "clusterId": "c-0000",
                    "points": 0,
                    "level": 0,
                    "maxLevel": 30,
                    "levelStartsAt": 0,
                    "nextLevelThreshold": 85,
                    "pointsToNextLevel": 85,
                    "progressPercent": 0,
                    "updatedAt": None,
                    "error": None,
                    "stale": False,
                    "known": False,
                    # Every weighted challenge at 0, by code (ties of points keep that order).
                    "breakdown": [
                        {**share, "value": 0, "points": 0}
                        for share in sorted(_BREAKDOWN_EXAMPLE, key=lambda share: share["challengeCode"])
                    ],
                },
                response_only=True,
            ),
        ],
    )
    def get(self, request, seasonId: str):
        query = ProgressQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        cluster_id = query.validated_data["clusterId"]
        progress = read_season(
            seasonId, lambda season_id: get_explained_cluster_progress(season_id=season_id, cluster_id=cluster_id)
        )
        return Response(ClusterSeasonProgressSerializer(progress).data)
