"""Public, anonymous, read-only player-centred endpoints. Thin: validate, select, serialize.

Like the run reads they carry an ETag (of the body) and a Cache-Control header capped by the next reset
of the boards shown; a request whose If-None-Match matches is answered 304 with no body.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.views import APIView

from hedge.core.api import CLUSTER_ID_PATH_PARAMETER, NOT_MODIFIED, ErrorSerializer, cached_response, path_cluster_id
from leaderboards.api.views import (
    BY_ID,
    FINAL_HEADER_EXAMPLE,
    HEADER_EXAMPLE,
    LATEST,
    PREVIOUS_FINAL,
    RunEndpoint,
    run_endpoint,
)
from leaderboards.models import is_well_formed_key
from leaderboards.periods import next_resets

from .. import selectors
from .serializers import (
    HistoryQueryErrorSerializer,
    HistoryQuerySerializer,
    HistorySerializer,
    MoversQueryErrorSerializer,
    MoversQuerySerializer,
    MoversSerializer,
    ProfileQueryErrorSerializer,
    ProfileSerializer,
)

_KEY = OpenApiParameter("key", str, OpenApiParameter.PATH, description="The leaderboard's key.")
_CACHE_HEADERS = [
    OpenApiParameter("ETag", str, OpenApiParameter.HEADER, response=[200, 304], description="Of the body."),
    OpenApiParameter(
        "Cache-Control",
        str,
        OpenApiParameter.HEADER,
        response=[200, 304],
        description="`public, max-age=N`, N at most API_CACHE_SECONDS and never past the next reset of a board shown.",
    ),
]
_IF_NONE_MATCH = OpenApiParameter("If-None-Match", str, OpenApiParameter.HEADER, required=False)


# What the schema shows: the cluster of leaderboards.api.views's examples (second this week and in last week's final).
_BEST_EXAMPLE = {
    "rank": 2,
    "runId": FINAL_HEADER_EXAMPLE["runId"],
    "periodStart": FINAL_HEADER_EXAMPLE["periodStart"],
    "periodEnd": FINAL_HEADER_EXAMPLE["periodEnd"],
}
_PROFILE_EXAMPLE = {
    "clusterId": "c-7f3a",
    "displayName": "mira.eth",
    "avatarUrl": "https://cdn.example.com/avatars/c-7f3a.png",
    "leaderboards": [
        {
            "key": "daily_quests",
            "name": "Quests today",
            "timeWindow": "DAILY",
            "runId": 1045,
            "periodStart": "2026-11-27T00:00:00Z",
            "periodEnd": "2026-11-28T00:00:00Z",
            "nextResetAt": "2026-11-28T00:00:00Z",
            "rank": 57,
            "position": 61,
            "score": 4,
            "previousRank": None,
            "rankChange": None,
            "percentile": 88.2,
            "total": 512,
            "best": None,
        },
        {
            "key": HEADER_EXAMPLE["key"],
            "name": HEADER_EXAMPLE["name"],
            "timeWindow": HEADER_EXAMPLE["timeWindow"],
            "runId": HEADER_EXAMPLE["runId"],
            "periodStart": HEADER_EXAMPLE["periodStart"],
            "periodEnd": HEADER_EXAMPLE["periodEnd"],
            "nextResetAt": HEADER_EXAMPLE["nextResetAt"],
            "rank": 2,
            "position": 2,
            "score": 212,
            "previousRank": 5,
            "rankChange": 3,
            "percentile": 99.9,
            "total": HEADER_EXAMPLE["rankedTotal"],
            "best": _BEST_EXAMPLE,
        },
    ],
    "season": {
        "seasonId": "S1-2026",
        "points": 17543,
        "level": 14,
        "maxLevel": 30,
        "progressPercent": 35,
        "nextLevelThreshold": 19125,
        "claimable": 1,
    },
    "awards": {"pending": 1, "settled": 3},
}


class ClusterProfileView(APIView):
    @extend_schema(
        operation_id="get_cluster_profile",
        summary="Where one cluster stands everywhere: every board that ranks it, the active season, its awards.",
        description=(
            "One item per active board whose latest completed run ranks the cluster, by key (boards that do not "
            "rank it, an exclusion included, are left out). A cluster nobody knows is a 200 with an empty list; "
            'one excluded by staff from every leaderboard and the season pass is a 404 {"detail": "excluded"}.'
        ),
        parameters=[CLUSTER_ID_PATH_PARAMETER, _IF_NONE_MATCH, *_CACHE_HEADERS],
        responses={
            200: ProfileSerializer,
            304: NOT_MODIFIED,
            400: ProfileQueryErrorSerializer,
            404: OpenApiResponse(ErrorSerializer, description="`excluded`."),
        },
        examples=[
            OpenApiExample("ranked on two boards", value=_PROFILE_EXAMPLE, response_only=True),
            OpenApiExample(
                "a cluster nobody knows while no season is active",
                value={
                    "clusterId": "c-0000",
                    "displayName": None,
                    "avatarUrl": None,
                    "leaderboards": [],
                    "season": None,
                    "awards": {"pending": 0, "settled": 0},
                },
                response_only=True,
            ),
        ],
    )
    def get(self, request, **kwargs):
        cluster_id = path_cluster_id(kwargs)
        now = timezone.now()
        try:
            profile = selectors.cluster_profile(cluster_id, now=now)
        except selectors.Excluded:
            raise NotFound("excluded") from None
        resets = next_resets([standing.time_window for standing in profile.leaderboards], now=now)
        body = ProfileSerializer(profile, context={"next_reset_at": resets}).data
        return cached_response(request, body, list(resets.values()), now=now)


class ClusterHistoryView(APIView):
    @extend_schema(
        operation_id="list_final_standings_of_cluster",
        summary="A cluster's standing in each final run of a leaderboard, newest period first.",
        description="Periods the cluster was not ranked in are left out. `best` is over every completed final run "
        "(superseded ones never count). Keyset pages like /finals: `before` is the last runId of the previous page.",
        parameters=[_KEY, CLUSTER_ID_PATH_PARAMETER, HistoryQuerySerializer, _IF_NONE_MATCH, *_CACHE_HEADERS],
        responses={
            200: HistorySerializer,
            304: NOT_MODIFIED,
            400: OpenApiResponse(HistoryQueryErrorSerializer, description="`clusterId`, `limit` or `before`."),
            404: OpenApiResponse(ErrorSerializer, description="Unknown or inactive leaderboard."),
        },
        examples=[
            OpenApiExample(
                "two final standings",
                value={
                    "clusterId": "c-7f3a",
                    "displayName": "mira.eth",
                    "avatarUrl": "https://cdn.example.com/avatars/c-7f3a.png",
                    "results": [
                        {
                            "runId": FINAL_HEADER_EXAMPLE["runId"],
                            "periodStart": FINAL_HEADER_EXAMPLE["periodStart"],
                            "periodEnd": FINAL_HEADER_EXAMPLE["periodEnd"],
                            "rank": 2,
                            "position": 2,
                            "score": 230,
                            "total": FINAL_HEADER_EXAMPLE["rankedTotal"],
                            "percentile": 99.9,
                        },
                        {
                            "runId": 1019,
                            "periodStart": "2026-11-09T00:00:00Z",
                            "periodEnd": "2026-11-16T00:00:00Z",
                            "rank": 5,
                            "position": 5,
                            "score": 187,
                            "total": 2874,
                            "percentile": 99.8,
                        },
                    ],
                    "best": _BEST_EXAMPLE,
                    "next": "https://hedge.example.com/leaderboards/weekly_wins/clusters/c-7f3a/history?limit=2&before=1019",
                },
                response_only=True,
            )
        ],
    )
    def get(self, request, key, **kwargs):
        cluster_id = path_cluster_id(kwargs)
        params = HistoryQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        limit, before = params.validated_data["limit"], params.validated_data.get("before")
        head = selectors.history_head(key, cluster_id) if is_well_formed_key(key) else None
        if head is None:
            raise NotFound(f"No active leaderboard {key!r}.")
        results = selectors.final_history(key, cluster_id, limit=limit + 1, before=before)
        next_url = None
        if len(results) > limit:
            results = results[:limit]
            query = urlencode({"limit": limit, "before": results[-1].run_id})
            next_url = request.build_absolute_uri(f"{request.path}?{query}")
        page = {"cluster_id": cluster_id, "name": head.name, "results": results, "best": head.best, "next": next_url}
        body = HistorySerializer(page).data
        now = timezone.now()
        resets = next_resets([head.time_window], now=now)
        return cached_response(request, body, list(resets.values()), now=now)


class MoversEndpoint(RunEndpoint):
    """The entries of a run that moved most (leaderboards.sql.RECORD_RUN_MOVERS, recorded at generation)."""

    kind = "movers"
    operation_id = "get_{run}_movers"
    summary = "The entries of {described} of a leaderboard that moved most since the previous run"
    about = (
        "The entries with the largest `rankChange` (`direction=up`) or the smallest (`down`) among those with a "
        "`previousRank`, ties by position."
    )

    @staticmethod
    def examples(header: dict) -> list[tuple[str, dict]]:
        payload = {"challengeCode": "wins", "fallbackChallengeCode": "streak"}
        risers = [
            {
                "rank": 17,
                "position": 17,
                "clusterId": "c-a2c8",
                "score": 131,
                "tiebreaker": 22,
                "previousRank": 388,
                "rankChange": 371,
                "payload": {**payload, "fallbackValue": 22},
                "displayName": "Nightowls",
                "avatarUrl": "https://cdn.example.com/avatars/c-a2c8.png",
            },
            {
                "rank": 41,
                "position": 43,
                "clusterId": "c-5e10",
                "score": 96,
                "tiebreaker": 7,
                "previousRank": 201,
                "rankChange": 160,
                "payload": {**payload, "fallbackValue": 7},
                "displayName": None,
                "avatarUrl": None,
            },
        ]
        return [("the two biggest risers", {"leaderboard": header, "entries": risers})]

    query = (MoversQuerySerializer,)
    response = MoversSerializer
    bad_request = OpenApiResponse(MoversQueryErrorSerializer, description="`direction` or `limit` is malformed.")

    def parameters(self, request, kwargs):
        params = MoversQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        direction, limit = params.validated_data["direction"], params.validated_data["limit"]
        return {"direction": direction, "limit": limit}, f"{direction}:{limit}"

    def names(self, run, params):
        # The movers come with their names, which the ETag needs before the body (one query for both).
        self.entries, names = selectors.movers_with_names(run.id, params["direction"].upper(), params["limit"])
        return names

    def body(self, request, run, params, context):
        return MoversSerializer({"run": run, "entries": self.entries}, context=context).data


LatestMoversView = run_endpoint(MoversEndpoint, LATEST)
RunMoversView = run_endpoint(MoversEndpoint, BY_ID)
PreviousFinalMoversView = run_endpoint(MoversEndpoint, PREVIOUS_FINAL)
