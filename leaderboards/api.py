"""Public, anonymous, read-only leaderboard endpoints. Thin: validate, select, serialize."""

import re
from urllib.parse import urlencode

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from hedge.api import ErrorSerializer

from . import selectors
from .models import LeaderboardRun, is_well_formed_key
from .periods import next_resets
from .serializers import (
    FinalRunListSerializer,
    FinalRunSummarySerializer,
    FinalsQueryErrorSerializer,
    FinalsQuerySerializer,
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


def _run_response(run: LeaderboardRun, *, limit: int) -> Response:
    entries = selectors.top_entry_values(run, limit=limit)
    context = {"run": run, "next_reset_at": next_resets([run.leaderboard.time_window], now=timezone.now())}
    return Response(LeaderboardRunSerializer({"run": run, "entries": entries}, context=context).data)


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
        definitions = list(selectors.active_definitions_with_latest_run())
        context = {"next_reset_at": next_resets([d.time_window for d in definitions], now=timezone.now())}
        return Response(LeaderboardListItemSerializer(definitions, many=True, context=context).data)


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


class LeaderboardFinalsView(APIView):
    @extend_schema(
        operation_id="leaderboards_finals",
        summary="The final runs of a leaderboard's ended periods, newest period first.",
        parameters=[_KEY, FinalsQuerySerializer],
        responses={
            200: FinalRunListSerializer,
            400: OpenApiResponse(FinalsQueryErrorSerializer, description="`limit` or `before` is malformed."),
            404: OpenApiResponse(ErrorSerializer, description="Unknown or inactive leaderboard."),
        },
    )
    def get(self, request, key):
        params = FinalsQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        limit, before = params.validated_data["limit"], params.validated_data.get("before")
        if not is_well_formed_key(key) or selectors.get_definition(key) is None:
            raise _no_leaderboard(key)
        runs = list(selectors.final_runs(key, before=before)[: limit + 1])
        next_url = None
        if len(runs) > limit:
            runs = runs[:limit]
            query = urlencode({"limit": limit, "before": runs[-1].pk})
            next_url = request.build_absolute_uri(f"{request.path}?{query}")
        return Response({"results": FinalRunSummarySerializer(runs, many=True).data, "next": next_url})


class LeaderboardPreviousFinalView(APIView):
    @extend_schema(
        operation_id="leaderboards_finals_previous",
        summary="The final run of the period before the current one, and its top entries by position.",
        parameters=[_KEY, LimitQuerySerializer],
        responses={
            200: LeaderboardRunSerializer,
            400: _BAD_LIMIT,
            404: OpenApiResponse(
                ErrorSerializer,
                description="Unknown or inactive leaderboard, or no final run of the previous period.",
            ),
        },
    )
    def get(self, request, key):
        limit = _limit(request)
        if not is_well_formed_key(key):
            raise _no_leaderboard(key)
        run = selectors.previous_final_run(key)
        if run is None:
            raise _not_found_for_key(key, f"Leaderboard {key!r} has no final run of its previous period yet.")
        return _run_response(run, limit=limit)
