"""Public, anonymous, read-only leaderboard endpoints. Thin: validate, select, serialize."""

import re

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from hedge.api import ErrorSerializer

from . import selectors
from .models import is_well_formed_key
from .serializers import (
    LeaderboardListItemSerializer,
    LeaderboardRunSerializer,
    LimitErrorSerializer,
    LimitQuerySerializer,
)

_BIGINT_ID = re.compile(r"[0-9]{1,18}")

_KEY = OpenApiParameter(
    "key",
    str,
    OpenApiParameter.PATH,
    description="The leaderboard's key. A key no leaderboard can have is a 404 like an unknown one.",
)
_RUN_ID = OpenApiParameter("runId", int, OpenApiParameter.PATH, description="The run's id.")
_BAD_LIMIT = OpenApiResponse(LimitErrorSerializer, description="`limit` is not an integer in 1..1000.")


def _limit(request) -> int:
    params = LimitQuerySerializer(data=request.query_params)
    params.is_valid(raise_exception=True)
    return params.validated_data["limit"]


def _run_response(run: selectors.PublicRun, *, limit: int) -> Response:
    entries = selectors.top_entry_values(run, limit=limit)
    return Response(LeaderboardRunSerializer({"run": run, "entries": entries}).data)


def _no_leaderboard(key: str) -> NotFound:
    return NotFound(f"No active leaderboard {key!r}.")


def _not_found_for_key(key: str, missing: str) -> NotFound:
    if selectors.get_definition(key) is None:
        return _no_leaderboard(key)
    return NotFound(missing)


class LeaderboardListView(APIView):
    @extend_schema(
        operation_id="leaderboards_list",
        summary="Active leaderboards, each with its latest completed run (or null).",
        responses={200: LeaderboardListItemSerializer(many=True)},
    )
    def get(self, request):
        definitions = selectors.active_definitions_with_latest_run()
        return Response(LeaderboardListItemSerializer(definitions, many=True).data)


class LeaderboardLatestView(APIView):
    @extend_schema(
        operation_id="leaderboards_latest",
        summary="The latest completed run of a leaderboard and its top entries by position.",
        parameters=[_KEY, LimitQuerySerializer],
        responses={
            200: LeaderboardRunSerializer,
            400: _BAD_LIMIT,
            404: OpenApiResponse(ErrorSerializer, description="Unknown or inactive leaderboard, or no completed run."),
        },
    )
    def get(self, request, key):
        limit = _limit(request)
        # A key no leaderboard can have is unknown without asking the database (PostgreSQL refuses a NUL byte).
        if not is_well_formed_key(key):
            raise _no_leaderboard(key)
        run = selectors.latest_complete_run(key)
        if run is None:
            raise _not_found_for_key(key, f"Leaderboard {key!r} has no completed run yet.")
        return _run_response(run, limit=limit)


class LeaderboardRunView(APIView):
    @extend_schema(
        operation_id="leaderboards_run",
        summary="One completed run of a leaderboard and its top entries by position.",
        parameters=[_KEY, _RUN_ID, LimitQuerySerializer],
        responses={
            200: LeaderboardRunSerializer,
            400: _BAD_LIMIT,
            404: OpenApiResponse(
                ErrorSerializer, description="Unknown or inactive leaderboard, or no completed run with this id in it."
            ),
        },
    )
    def get(self, request, key, runId):
        limit = _limit(request)
        if not is_well_formed_key(key):
            raise _no_leaderboard(key)
        run = selectors.complete_run(key, int(runId)) if _BIGINT_ID.fullmatch(runId) else None
        if run is None:
            raise _not_found_for_key(key, f"Leaderboard {key!r} has no completed run {runId!r}.")
        return _run_response(run, limit=limit)
