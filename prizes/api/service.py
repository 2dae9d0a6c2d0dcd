"""The prizes' service API: what the game's backend calls to list awards and report them paid.

The service API keys (hedge.core.service: `Authorization: Api-Key <key>`); every settle
records the key. Settling is idempotent: the same reference again answers 200 with the same award.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from hedge.core.api import ErrorSerializer
from hedge.core.service import ServiceView

from .. import selectors
from ..errors import SettleRefused, UnknownAward
from ..services import settle_award
from .serializers import (
    ServiceAwardListSerializer,
    ServiceAwardSerializer,
    ServiceAwardsQuerySerializer,
    SettleRefusalSerializer,
    SettleRequestSerializer,
)

_BIGINT_ID = re.compile(r"[0-9]{1,18}")
_AUTH = {401: OpenApiResponse(ErrorSerializer, description="No valid API key.")}


# What the schema shows: the awards of weekly_wins' final run 1031 (leaderboards.api.views.FINAL_HEADER_EXAMPLE).
_AWARD_EXAMPLE = {
    "id": 5120,
    "leaderboard": "weekly_wins",
    "runId": 1031,
    "periodStart": "2026-11-16T00:00:00Z",
    "periodEnd": "2026-11-23T00:00:00Z",
    "clusterId": "c-19d2",
    "rank": 1,
    "score": 251,
    "league": None,
    "prize": {"name": "Gold crate", "kind": "item", "quantity": 1, "data": {"sku": "crate_gold"}},
    "status": "PENDING",
    "reference": None,
    "settledAt": None,
}
# A league tier's prize in the same run: rank 1 of its cohort of the Gold tier (weekly_league).
_TIER_AWARD_EXAMPLE = {
    **_AWARD_EXAMPLE,
    "id": 5121,
    "clusterId": "c-7a30",
    "rank": 1,
    "score": 87,
    "league": {"key": "weekly_league", "level": 3, "cohort": "3-12"},
    "prize": {"name": "Gold tier winner", "kind": "token", "quantity": 50, "data": {}},
}
_SETTLED_EXAMPLE = {
    **_AWARD_EXAMPLE,
    "status": "SETTLED",
    "reference": "0x5f2c9a41d7e3b8c06a1f4e2d9b7c3a58e6f0d1b2c4a7e9f3d5b8c1a6e2f4d7e1",
    "settledAt": "2026-11-24T11:02:37Z",
}


class AwardsView(ServiceView):
    @extend_schema(
        operation_id="list_awards",
        summary="Awards, by id (keyset pages), optionally of one status and one leaderboard",
        description="The awards to pay (`status=PENDING`) or paid, oldest first: `limit` awards with an id after "
        "`after`. `next` is the URL of the next page (null when this one is not full). A VOID award belongs to "
        "a final run a correction replaced: never pay it (the new run has its own awards). `league` names the "
        "league, tier and cohort of a league tier's prize (its `rank` is the rank within that cohort); null for "
        "the board's prize table.",
        parameters=[ServiceAwardsQuerySerializer],
        responses={
            200: ServiceAwardListSerializer,
            400: OpenApiResponse(description="A parameter is malformed; the body names it."),
            **_AUTH,
        },
        examples=[
            OpenApiExample(
                "awards to pay",
                value={
                    "results": [_AWARD_EXAMPLE, _TIER_AWARD_EXAMPLE],
                    "next": "https://hedge.example.com/service/awards?status=PENDING&after=5121&limit=2",
                },
                response_only=True,
            )
        ],
    )
    def get(self, request):
        query = ServiceAwardsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        awards = selectors.service_awards(
            status=params.get("status"),
            leaderboard_key=params.get("leaderboard"),
            after=params["after"],
            limit=params["limit"],
        )
        next_url = None
        if len(awards) == params["limit"]:
            kept = {name: params[name] for name in ("status", "leaderboard") if name in params}
            next_query = urlencode({**kept, "after": awards[-1]["id"], "limit": params["limit"]})
            next_url = request.build_absolute_uri(f"{request.path}?{next_query}")
        serializer = ServiceAwardSerializer()
        return Response({"results": [serializer.to_representation(a) for a in awards], "next": next_url})


class SettleAwardView(ServiceView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="settle_award",
        summary="Report an award paid, with the game's reference",
        description=(
            "200 with the award, SETTLED. The same reference again answers 200 with the same award. "
            "409 `already_settled` (settled with another reference), `reference_used` (another award has "
            "this reference), `void` (its final run was corrected)."
        ),
        parameters=[OpenApiParameter("awardId", {"type": "integer", "minimum": 1}, OpenApiParameter.PATH)],
        request=SettleRequestSerializer,
        responses={
            200: ServiceAwardSerializer,
            400: OpenApiResponse(description='The body is not `{"reference": "..."}`; the body names the field.'),
            404: ErrorSerializer,
            409: SettleRefusalSerializer,
            **_AUTH,
        },
        examples=[
            OpenApiExample("settle", request_only=True, value={"reference": _SETTLED_EXAMPLE["reference"]}),
            OpenApiExample("a settled award", value=_SETTLED_EXAMPLE, response_only=True),
            OpenApiExample(
                "a settled league tier award",
                value={**_TIER_AWARD_EXAMPLE, **{k: _SETTLED_EXAMPLE[k] for k in ("status", "settledAt")}}
                | {"reference": "0x9e41c7d2a5b8f3e06d1c4a7b2e9f5d83c6a0b4e7f1d2c5a8b3e6f9d0c7a4b1e2"},
                response_only=True,
            ),
        ],
    )
    def post(self, request, awardId: str):
        body = SettleRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if not _BIGINT_ID.fullmatch(awardId):
            raise NotFound(f"No award {awardId!r}.")
        try:
            settled = settle_award(int(awardId), reference=body.validated_data["reference"], api_key=request.auth)
        except UnknownAward as exc:
            raise NotFound(str(exc)) from exc
        except SettleRefused as exc:
            return Response({"reason": exc.reason, "detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(ServiceAwardSerializer(settled.award).data)
