"""Public, anonymous reads of prizes: the awards of a final run. Thin: validate, select, serialize.

(Each board's prize table is on its item of GET /leaderboards, through leaderboards.extensions.)
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from hedge.api import ErrorSerializer
from leaderboards.models import is_well_formed_key
from leaderboards.serializers import PageQueryErrorSerializer

from .. import selectors
from .serializers import RunAwardsQuerySerializer, RunAwardsSerializer

_BIGINT_ID = re.compile(r"[0-9]{1,18}")


class RunAwardsView(APIView):
    @extend_schema(
        operation_id="list_run_awards",
        summary="The awards of a final run, by position.",
        description="Keyset pages as the run's entries: `limit` awarded clusters after position `after`, each with "
        "all its awards (rows stack). The settlement reference is never shown here.",
        parameters=[
            OpenApiParameter("key", str, OpenApiParameter.PATH, description="The leaderboard's key."),
            OpenApiParameter("runId", {"type": "integer", "minimum": 1}, OpenApiParameter.PATH),
            RunAwardsQuerySerializer,
        ],
        responses={
            200: RunAwardsSerializer,
            400: OpenApiResponse(PageQueryErrorSerializer, description="`limit` or `after` is malformed."),
            404: OpenApiResponse(ErrorSerializer, description="Unknown or inactive leaderboard, or no such final run."),
        },
    )
    def get(self, request, key: str, runId: str):
        params = RunAwardsQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        limit, after = params.validated_data["limit"], params.validated_data["after"]
        run = None
        if is_well_formed_key(key) and _BIGINT_ID.fullmatch(runId):
            run = selectors.final_run(key, int(runId))
        if run is None:
            raise NotFound(f"Leaderboard {key!r} has no published final run {runId!r}.")
        awards = selectors.run_awards_page(run.pk, after=after, limit=limit)
        next_url = None
        if awards and len({award["position"] for award in awards}) == limit:
            query = urlencode({"limit": limit, "after": awards[-1]["position"]})
            next_url = request.build_absolute_uri(f"{request.path}?{query}")
        return Response(RunAwardsSerializer({"run": run, "awards": awards, "next": next_url}).data)
