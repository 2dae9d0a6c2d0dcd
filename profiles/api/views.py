"""Public, anonymous, read-only player-centred endpoints. Thin: validate, select, serialize.

Like the run reads they carry an ETag (of the body) and a Cache-Control header capped by the next reset
of the boards shown; a request whose If-None-Match matches is answered 304 with no body.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from urllib.parse import urlencode

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.http import parse_etags
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from hedge.api import ErrorSerializer
from leaderboards import selectors as leaderboard_selectors
from leaderboards.api import BY_ID, LATEST, PREVIOUS_FINAL, RunEndpoint, run_endpoint
from leaderboards.models import is_well_formed_key
from leaderboards.periods import next_resets
from leaderboards.serializers import ClusterPathSerializer

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

_CLUSTER_ID = OpenApiParameter(
    "clusterId",
    {"type": "string", "minLength": 1, "maxLength": 128, "pattern": r"^(?!\.\.?$)[^/\u0000]+$"},
    OpenApiParameter.PATH,
    description="The cluster's id, taken verbatim (no trimming).",
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
_NOT_MODIFIED = OpenApiResponse(description="Not modified: If-None-Match names the current ETag. No body.")


def _cluster_id(kwargs) -> str:
    params = ClusterPathSerializer(data={"clusterId": kwargs["clusterId"]})
    params.is_valid(raise_exception=True)
    return params.validated_data["clusterId"]


def _cached_response(request, body: dict, resets: list[datetime.datetime | None], *, now) -> Response:
    """`body` with its ETag and Cache-Control, or a 304 when If-None-Match names the ETag."""
    max_age = settings.API_CACHE_SECONDS
    for reset in resets:
        if reset is not None:
            max_age = max(0, min(max_age, int((reset - now).total_seconds())))
    text = json.dumps(body, sort_keys=True, cls=DjangoJSONEncoder)
    etag = f'"{hashlib.blake2b(text.encode(), digest_size=16).hexdigest()}"'
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={max_age}"}
    header = request.headers.get("If-None-Match")
    if header and any(tag == "*" or tag.removeprefix("W/") == etag for tag in parse_etags(header)):
        return Response(status=304, headers=headers)
    return Response(body, headers=headers)


class ClusterProfileView(APIView):
    @extend_schema(
        operation_id="get_cluster_profile",
        summary="Where one cluster stands everywhere: every board that ranks it, the active season, its awards.",
        description=(
            "One item per active board whose latest completed run ranks the cluster, by key (boards that do not "
            "rank it, an exclusion included, are left out). A cluster nobody knows is a 200 with an empty list; "
            'one excluded by staff from every leaderboard and the season pass is a 404 {"detail": "excluded"}.'
        ),
        parameters=[_CLUSTER_ID, _IF_NONE_MATCH, *_CACHE_HEADERS],
        responses={
            200: ProfileSerializer,
            304: _NOT_MODIFIED,
            400: ProfileQueryErrorSerializer,
            404: OpenApiResponse(ErrorSerializer, description="`excluded`."),
        },
    )
    def get(self, request, **kwargs):
        cluster_id = _cluster_id(kwargs)
        now = timezone.now()
        try:
            profile = selectors.cluster_profile(cluster_id, now=now)
        except selectors.Excluded:
            raise NotFound("excluded") from None
        resets = next_resets([standing.time_window for standing in profile.leaderboards], now=now)
        body = ProfileSerializer(profile, context={"next_reset_at": resets}).data
        return _cached_response(request, body, list(resets.values()), now=now)


class ClusterHistoryView(APIView):
    @extend_schema(
        operation_id="list_final_standings_of_cluster",
        summary="A cluster's standing in each final run of a leaderboard, newest period first.",
        description="Periods the cluster was not ranked in are left out. `best` is over every completed final run "
        "(superseded ones never count). Keyset pages like /finals: `before` is the last runId of the previous page.",
        parameters=[_KEY, _CLUSTER_ID, HistoryQuerySerializer, _IF_NONE_MATCH, *_CACHE_HEADERS],
        responses={
            200: HistorySerializer,
            304: _NOT_MODIFIED,
            400: OpenApiResponse(HistoryQueryErrorSerializer, description="`clusterId`, `limit` or `before`."),
            404: OpenApiResponse(ErrorSerializer, description="Unknown or inactive leaderboard."),
        },
    )
    def get(self, request, key, **kwargs):
        cluster_id = _cluster_id(kwargs)
        params = HistoryQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        limit, before = params.validated_data["limit"], params.validated_data.get("before")
        definition = leaderboard_selectors.get_definition(key) if is_well_formed_key(key) else None
        if definition is None:
            raise NotFound(f"No active leaderboard {key!r}.")
        results = selectors.final_history(key, cluster_id, limit=limit + 1, before=before)
        next_url = None
        if len(results) > limit:
            results = results[:limit]
            query = urlencode({"limit": limit, "before": results[-1].run_id})
            next_url = request.build_absolute_uri(f"{request.path}?{query}")
        best = selectors.best_final(key, cluster_id)
        name = selectors.name_of_cluster(cluster_id)
        page = {"cluster_id": cluster_id, "name": name, "results": results, "best": best, "next": next_url}
        body = HistorySerializer(page).data
        now = timezone.now()
        resets = next_resets([definition.time_window], now=now)
        return _cached_response(request, body, list(resets.values()), now=now)


class MoversEndpoint(RunEndpoint):
    """The entries of a run that moved most (leaderboards.sql.RECORD_RUN_MOVERS, recorded at generation)."""

    kind = "movers"
    operation_id = "get_{run}_movers"
    summary = "The entries of {described} of a leaderboard that moved most since the previous run"
    about = (
        "The entries with the largest `rankChange` (`direction=up`) or the smallest (`down`) among those with a "
        "`previousRank`, ties by position."
    )
    examples = ()
    query = (MoversQuerySerializer,)
    response = MoversSerializer
    bad_request = OpenApiResponse(MoversQueryErrorSerializer, description="`direction` or `limit` is malformed.")

    def parameters(self, request, kwargs):
        params = MoversQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        direction, limit = params.validated_data["direction"], params.validated_data["limit"]
        return {"direction": direction, "limit": limit}, f"{direction}:{limit}"

    def names(self, run, params):
        return selectors.names_of_movers(run.id, params["direction"].upper(), params["limit"])

    def body(self, request, run, params, context):
        entries = leaderboard_selectors.movers(run, direction=params["direction"].upper(), limit=params["limit"])
        return MoversSerializer({"run": run, "entries": entries}, context=context).data


LatestMoversView = run_endpoint(MoversEndpoint, LATEST)
RunMoversView = run_endpoint(MoversEndpoint, BY_ID)
PreviousFinalMoversView = run_endpoint(MoversEndpoint, PREVIOUS_FINAL)
