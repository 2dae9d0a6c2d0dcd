"""The service API: what the game's backend (not players) calls to grant premium and claim rewards.

Authenticated by a service API key (hedge.core.service); every row written records the key that
wrote it. Writes are idempotent: repeating a request returns what the first one wrote (200) instead
of writing again (201 the first time).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from hedge.core.api import ClusterIdField, ErrorSerializer, StrictSerializer
from hedge.core.service import ServiceView

from ..errors import ClaimRefused, UnknownLevel
from ..models import PremiumGrant, RewardClaim, Track
from ..selectors import get_cluster_claims
from ..services import claim_reward, grant_premium
from .views import get_season_or_404

# --- serializers -------------------------------------------------------------------------------


class ClusterQuerySerializer(serializers.Serializer):
    clusterId = ClusterIdField()


# Request bodies are StrictSerializers: each field of its declared JSON type, unknown fields refused.
class PremiumRequestSerializer(StrictSerializer):
    clusterId = ClusterIdField()
    reference = serializers.CharField(
        max_length=PremiumGrant._meta.get_field("reference").max_length,
        help_text="The payment or on-chain transaction id; the same reference again returns the first grant.",
    )
    source = serializers.CharField(
        max_length=PremiumGrant._meta.get_field("source").max_length, help_text="e.g. stripe, onchain."
    )


class PremiumGrantSerializer(serializers.Serializer):
    seasonId = serializers.CharField(source="season_id")
    clusterId = serializers.CharField(source="cluster_id")
    reference = serializers.CharField()
    source = serializers.CharField()
    grantedAt = serializers.DateTimeField(source="granted_at")


class ClaimRequestSerializer(StrictSerializer):
    clusterId = ClusterIdField()
    track = serializers.ChoiceField(choices=Track.values)
    level = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1, help_text='A JSON integer written without a fraction: 3, not 3.0 or "3".'
    )


class GrantedRewardSerializer(serializers.Serializer):
    name = serializers.CharField()
    description = serializers.CharField()
    kind = serializers.CharField()
    quantity = serializers.IntegerField()
    data = serializers.JSONField()


class ClaimSerializer(serializers.Serializer):
    seasonId = serializers.CharField(source="season_id")
    clusterId = serializers.CharField(source="cluster_id")
    track = serializers.ChoiceField(choices=Track.values)
    level = serializers.IntegerField()
    claimedAt = serializers.DateTimeField(source="claimed_at")
    levelAtClaim = serializers.IntegerField(source="level_at_claim")
    pointsAtClaim = serializers.IntegerField(source="points_at_claim")
    rewards = GrantedRewardSerializer(many=True, help_text="What the claim granted, as the rewards were then.")


class ClaimListSerializer(serializers.Serializer):
    results = ClaimSerializer(many=True)


class RefusalSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(
        choices=[
            "level_not_reached",
            "premium_required",
            "claims_closed",
            "excluded",
            "stale",
            "reference_used",
            "already_premium",
        ]
    )
    detail = serializers.CharField()


def _refused(exc: ClaimRefused) -> Response:
    return Response({"reason": exc.reason, "detail": str(exc)}, status=status.HTTP_409_CONFLICT)


def _written(serializer_class, written) -> Response:
    code = status.HTTP_201_CREATED if written.created else status.HTTP_200_OK
    return Response(serializer_class(written.row).data, status=code)


_SEASON = OpenApiParameter("seasonId", str, OpenApiParameter.PATH, description="Season id, e.g. S1-2025.")
_AUTH = {401: OpenApiResponse(ErrorSerializer, description="No valid API key.")}
_BAD_BODY = OpenApiResponse(
    description="A field is missing, unknown, of another JSON type or malformed (the body names each field), or the "
    'body is not JSON (`{"detail": ...}`).'
)
_BODY_LIMIT = {413: OpenApiResponse(ErrorSerializer, description="The body is over DATA_UPLOAD_MAX_MEMORY_SIZE.")}


# --- what the schema shows as examples ----------------------------------------------------------

_GRANT_EXAMPLE = {
    "seasonId": "S1-2026",
    "clusterId": "c-7f3a",
    "reference": "pi_3QkX9b2eZvKYlo2C",
    "source": "stripe",
    "grantedAt": "2026-11-27T10:15:02Z",
}
_CLAIM_EXAMPLES = [
    {
        "seasonId": "S1-2026",
        "clusterId": "c-7f3a",
        "track": "FREE",
        "level": 5,
        "claimedAt": "2026-10-19T18:40:11Z",
        "levelAtClaim": 6,
        "pointsAtClaim": 3275,
        "rewards": [
            {
                "name": "Frost badge",
                "description": "Frost badge (free track, level 5).",
                "kind": "badge",
                "quantity": 1,
                "data": {"badge": "frost"},
            }
        ],
    },
    {
        "seasonId": "S1-2026",
        "clusterId": "c-7f3a",
        "track": "FREE",
        "level": 14,
        "claimedAt": "2026-11-27T10:20:45Z",
        "levelAtClaim": 14,
        "pointsAtClaim": 17543,
        "rewards": [
            {
                "name": "HDG",
                "description": "HDG (free track, level 14).",
                "kind": "token",
                "quantity": 100,
                "data": {"token": "HDG"},
            }
        ],
    },
]


# --- views -------------------------------------------------------------------------------------


class PremiumGrantView(ServiceView):
    @extend_schema(
        operation_id="grant_premium",
        summary="Grant a cluster the season's premium track",
        description=(
            "Idempotent on `reference`: 201 with the grant the first time, 200 with the same grant when the "
            "reference was seen. Premium unlocks every premium reward of every level already reached. "
            "409 when the reference belongs to another cluster, the cluster already has premium through "
            "another reference, or claims of the season have closed."
        ),
        parameters=[_SEASON],
        request=PremiumRequestSerializer,
        responses={
            201: PremiumGrantSerializer,
            200: PremiumGrantSerializer,
            400: _BAD_BODY,
            404: ErrorSerializer,
            409: RefusalSerializer,
            **_BODY_LIMIT,
            **_AUTH,
        },
        examples=[
            OpenApiExample(
                "grant",
                request_only=True,
                value={name: _GRANT_EXAMPLE[name] for name in ("clusterId", "reference", "source")},
            ),
            OpenApiExample("granted now", value=_GRANT_EXAMPLE, response_only=True, status_codes=[201]),
            OpenApiExample(
                "granted before with the same reference", value=_GRANT_EXAMPLE, response_only=True, status_codes=[200]
            ),
        ],
    )
    def post(self, request, seasonId: str):
        season_id = seasonId  # the URL's camelCase name
        body = PremiumRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        season = get_season_or_404(season_id)
        try:
            written = grant_premium(
                season,
                cluster_id=body.validated_data["clusterId"],
                reference=body.validated_data["reference"],
                source=body.validated_data["source"],
                api_key=request.auth,
            )
        except ClaimRefused as exc:
            return _refused(exc)
        return _written(PremiumGrantSerializer, written)


class ClaimsView(ServiceView):
    @extend_schema(
        operation_id="claim_reward",
        summary="Claim the rewards of one level of one track for a cluster",
        description=(
            "201 with the claim (and the rewards it granted) the first time; 200 with the same claim when it "
            "exists. 409 with a reason when the level is not reached, premium is missing, claims have closed, the "
            "cluster is excluded from the season pass or the season ended with its points out of date (`stale`: "
            "staff changed it; a running season's claim recomputes its cluster first instead); "
            "404 for an unknown season, or a level of the track without rewards."
        ),
        parameters=[_SEASON],
        request=ClaimRequestSerializer,
        responses={
            201: ClaimSerializer,
            200: ClaimSerializer,
            400: _BAD_BODY,
            404: ErrorSerializer,
            409: RefusalSerializer,
            **_BODY_LIMIT,
            **_AUTH,
        },
        examples=[
            OpenApiExample(
                "claim level 14", request_only=True, value={"clusterId": "c-7f3a", "track": "FREE", "level": 14}
            ),
            OpenApiExample("claimed now", value=_CLAIM_EXAMPLES[1], response_only=True, status_codes=[201]),
            OpenApiExample("claimed before", value=_CLAIM_EXAMPLES[1], response_only=True, status_codes=[200]),
        ],
    )
    def post(self, request, seasonId: str):
        season_id = seasonId  # the URL's camelCase name
        body = ClaimRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        season = get_season_or_404(season_id)
        try:
            written = claim_reward(
                season,
                cluster_id=body.validated_data["clusterId"],
                track=body.validated_data["track"],
                level=body.validated_data["level"],
                api_key=request.auth,
            )
        except UnknownLevel as exc:
            raise NotFound(str(exc)) from exc
        except ClaimRefused as exc:
            return _refused(exc)
        return _written(ClaimSerializer, written)

    @extend_schema(
        operation_id="list_claims",
        summary="A cluster's claims in a season",
        description="Every claim of the cluster in the season, by track (FREE first) and level, each with what it "
        "granted (as the rewards were then). An unknown cluster has none: `results` is empty.",
        parameters=[_SEASON, ClusterQuerySerializer],
        responses={
            200: ClaimListSerializer,
            400: OpenApiResponse(description="`clusterId` is missing or malformed; the body names it."),
            404: ErrorSerializer,
            **_AUTH,
        },
        examples=[OpenApiExample("two claims", value={"results": _CLAIM_EXAMPLES}, response_only=True)],
    )
    def get(self, request, seasonId: str):
        season_id = seasonId
        query = ClusterQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        season = get_season_or_404(season_id)
        claims: list[RewardClaim] = list(
            get_cluster_claims(season_id=season.pk, cluster_id=query.validated_data["clusterId"])
        )
        return Response(ClaimListSerializer({"results": claims}).data)
