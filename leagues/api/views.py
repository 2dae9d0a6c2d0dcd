"""Public, anonymous, read-only league endpoints. Thin: validate, select, serialize.

Like the run reads they carry an ETag (of the body) and a Cache-Control header capped by the next reset
of the board; a request whose If-None-Match matches is answered 304 with no body.
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.views import APIView

from hedge.core.api import CLUSTER_ID_PATH_PARAMETER, NOT_MODIFIED, ErrorSerializer, cached_response, path_cluster_id
from leaderboards.models import is_well_formed_key
from leaderboards.periods import next_resets

from .. import selectors
from ..errors import LeagueError
from ..models import League
from .serializers import (
    LeagueClusterErrorSerializer,
    LeagueHistorySerializer,
    LeagueSerializer,
    LeagueStandingsSerializer,
)

_KEY = OpenApiParameter("key", str, OpenApiParameter.PATH, description="The league's key.")
_CACHE = [
    OpenApiParameter("If-None-Match", str, OpenApiParameter.HEADER, required=False),
    OpenApiParameter("ETag", str, OpenApiParameter.HEADER, response=[200, 304], description="Of the body."),
    OpenApiParameter(
        "Cache-Control",
        str,
        OpenApiParameter.HEADER,
        response=[200, 304],
        description="`public, max-age=N`, N at most API_CACHE_SECONDS and never past the board's next reset.",
    ),
]
_BAD_CLUSTER = OpenApiResponse(LeagueClusterErrorSerializer, description="`clusterId` is malformed; the body names it.")


def _league(key: str) -> League:
    league = selectors.active_league(key) if is_well_formed_key(key) else None
    if league is None:
        raise NotFound(f"No active league {key!r}.")
    return league


class LeagueListView(APIView):
    @extend_schema(
        operation_id="list_leagues",
        summary="Active leagues, each with its board, cohort size and tiers with their promotion and demotion zones.",
        description=(
            "Every active league by key: the board it follows (`leaderboard`, `timeWindow`), `cohortSize`, "
            "`idleDemotion`, and its tiers lowest first, each zone a `count` or a `percent` of a cohort (rounded up). "
            "Ties at a zone's edge go the members' way; a member in both zones promotes."
        ),
        parameters=_CACHE,
        responses={200: LeagueSerializer(many=True), 304: NOT_MODIFIED},
        examples=[
            OpenApiExample(
                "a weekly league",
                response_only=True,
                value={
                    "key": "weekly",
                    "name": "Weekly league",
                    "leaderboard": "weekly_wins",
                    "timeWindow": "WEEKLY",
                    "cohortSize": 30,
                    "idleDemotion": True,
                    "tiers": [
                        {
                            "level": 1,
                            "name": "Bronze",
                            "promote": {"count": 10, "percent": None},
                            "demote": {"count": 0, "percent": None},
                        },
                        {
                            "level": 2,
                            "name": "Silver",
                            "promote": {"count": 0, "percent": None},
                            "demote": {"count": None, "percent": 16.7},
                        },
                    ],
                },
            )
        ],
    )
    def get(self, request):
        leagues = list(selectors.active_leagues())
        now = timezone.now()
        resets = next_resets([league.leaderboard.time_window for league in leagues], now=now)
        body = [LeagueSerializer().to_representation(league) for league in leagues]
        return cached_response(request, body, list(resets.values()), now=now)


class LeagueClusterView(APIView):
    @extend_schema(
        operation_id="get_league_cohort_of_cluster",
        summary="The cluster's tier and cohort in the league's current period, its cohort's standings and zones.",
        description=(
            "The period is the one of the board's latest completed run; the standings rank the cohort's members by "
            "that run (members it does not rank gained nothing: score 0, at the bottom), with the zone each would "
            "end in if the period ended now. 404 for a cluster without a place in that period."
        ),
        parameters=[_KEY, CLUSTER_ID_PATH_PARAMETER, *_CACHE],
        responses={
            200: LeagueStandingsSerializer,
            304: NOT_MODIFIED,
            400: _BAD_CLUSTER,
            404: OpenApiResponse(ErrorSerializer, description="Unknown league, or the cluster is not in it now."),
        },
        examples=[
            OpenApiExample(
                "a silver cohort in midweek",
                response_only=True,
                value={
                    "tier": {"level": 2, "name": "Silver"},
                    "cohort": {"id": "2-14", "size": 30},
                    "runId": 1042,
                    "periodStart": "2026-11-23T00:00:00Z",
                    "periodEnd": "2026-11-30T00:00:00Z",
                    "nextResetAt": "2026-11-30T00:00:00Z",
                    "standings": [
                        {"clusterId": "c-19d2", "rank": 1, "score": 240, "zone": "promote"},
                        {"clusterId": "c-7f3a", "rank": 2, "score": 212, "zone": "promote"},
                        {"clusterId": "c-0b44", "rank": 3, "score": 198, "zone": "stay"},
                        {"clusterId": "c-5e10", "rank": 30, "score": 0, "zone": "demote"},
                    ],
                    "you": {"clusterId": "c-7f3a", "rank": 2, "score": 212, "zone": "promote"},
                },
            )
        ],
    )
    def get(self, request, key, **kwargs):
        cluster_id = path_cluster_id(kwargs)
        if not is_well_formed_key(key):
            raise NotFound(f"No active league {key!r}.")
        try:
            cohort = selectors.cohort_now(key, cluster_id)
        except LeagueError as exc:  # UnknownLeague, NotInLeague
            raise NotFound(str(exc)) from exc
        now = timezone.now()
        reset = next_resets([cohort.time_window], now=now)[cohort.time_window]
        body = LeagueStandingsSerializer(context={"next_reset_at": reset}).to_representation(cohort)
        return cached_response(request, body, [reset], now=now)


class LeagueClusterHistoryView(APIView):
    @extend_schema(
        operation_id="list_league_history_of_cluster",
        summary="The cluster's tier, cohort rank and move in each ended period of the league, newest first.",
        description=(
            "One item per period whose final run wrote the league's moves (at most 100): the tier the cluster raced "
            "in, its cohort, its rank and score in the cohort by the final run, the move and the tier it led to. "
            "An unknown cluster is a 200 with no results."
        ),
        parameters=[_KEY, CLUSTER_ID_PATH_PARAMETER, *_CACHE],
        responses={
            200: LeagueHistorySerializer,
            304: NOT_MODIFIED,
            400: _BAD_CLUSTER,
            404: OpenApiResponse(ErrorSerializer, description="Unknown or inactive league."),
        },
        examples=[
            OpenApiExample(
                "promoted last week",
                response_only=True,
                value={
                    "league": "weekly",
                    "clusterId": "c-7f3a",
                    "results": [
                        {
                            "periodStart": "2026-11-16T00:00:00Z",
                            "periodEnd": "2026-11-23T00:00:00Z",
                            "tier": {"level": 1, "name": "Bronze"},
                            "cohort": "1-88",
                            "rank": 3,
                            "score": 187,
                            "move": "promote",
                            "nextTier": {"level": 2, "name": "Silver"},
                        }
                    ],
                },
            )
        ],
    )
    def get(self, request, key, **kwargs):
        cluster_id = path_cluster_id(kwargs)
        league = _league(key)
        results = selectors.cluster_history(league, cluster_id)
        serializer = LeagueHistorySerializer().fields["results"].child
        body = {
            "league": league.key,
            "clusterId": cluster_id,
            "results": [serializer.to_representation(row) for row in results],
        }
        now = timezone.now()
        reset = next_resets([league.leaderboard.time_window], now=now)[league.leaderboard.time_window]
        return cached_response(request, body, [reset], now=now)
