"""The public, read-only season API: seasons, the active one, levels, a cluster's progress, reward tracks."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
)
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from hedge.core.api import ErrorSerializer

from ..errors import ProgressWithheld
from ..models import Season, season_id_validator
from ..selectors import (
    active_season_id,
    active_season_with_weights,
    get_explained_cluster_progress,
    get_season_tracks,
    listed_seasons,
    season_levels,
)
from .serializers import (
    ClusterSeasonProgressSerializer,
    ProgressQuerySerializer,
    RewardsQueryErrorSerializer,
    RewardsQuerySerializer,
    SeasonLevelsSerializer,
    SeasonProgressQueryErrorSerializer,
    SeasonRewardsSerializer,
    SeasonSerializer,
)

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
