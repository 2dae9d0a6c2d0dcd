"""Public, anonymous reads of prizes: the awards of a final run. Thin: validate, select, serialize.

(Each board's prize table is on its item of GET /leaderboards, through leaderboards.extensions.)
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from hedge.core.api import ErrorSerializer
from leaderboards.api.serializers import PageQueryErrorSerializer
from leaderboards.models import is_well_formed_key

from .. import selectors
from .serializers import RunAwardsQuerySerializer, RunAwardsSerializer

_BIGINT_ID = re.compile(r"[0-9]{1,18}")


# What the schema shows: the prize table of leaderboards.api.views's example board (its GET /leaderboards item).
_GOLD_CRATE = {"name": "Gold crate", "kind": "item", "quantity": 1, "data": {"sku": "crate_gold"}}
_TOKENS = {"name": "HDG", "kind": "token", "quantity": 50, "data": {"token": "HDG"}}


def _award_example(cluster_id: str, place: int, score: int, prize: dict, status: str = "PENDING") -> dict:
    return {"clusterId": cluster_id, "rank": place, "position": place, "score": score, "prize": prize, "status": status}


class RunAwardsView(APIView):
    @extend_schema(
        operation_id="list_run_awards",
        summary="The awards of a final run, by position.",
        description="Keyset pages as the run's entries: `limit` awarded clusters after position `after`, each with "
        "all its awards (rows stack). The board's prize table only (a league tier's awards are by cohort rank: "
        "see `GET /service/awards`). The settlement reference is never shown here.",
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
        examples=[
            OpenApiExample(
                "two clusters and three awards",
                value={
                    "leaderboard": "weekly_wins",
                    "runId": 1031,
                    "periodStart": "2026-11-16T00:00:00Z",
                    "periodEnd": "2026-11-23T00:00:00Z",
                    "awards": [
                        _award_example("c-19d2", 1, 251, _GOLD_CRATE),
                        _award_example("c-19d2", 1, 251, _TOKENS, status="SETTLED"),
                        _award_example("c-7f3a", 2, 230, _GOLD_CRATE),
                    ],
                    "next": "https://hedge.example.com/leaderboards/weekly_wins/runs/1031/awards?limit=2&after=2",
                },
                response_only=True,
            )
        ],
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
