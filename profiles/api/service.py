"""The profiles' service API: the game's backend sets and clears a cluster's display name and avatar.

The service API keys (hedge.core.service: `Authorization: Api-Key <key>`); every write records
the key. Both methods are idempotent: the same PUT again changes nothing, a DELETE of nothing is a 204.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from hedge.core.api import CLUSTER_ID_PATH_PARAMETER, ErrorSerializer, path_cluster_id
from hedge.core.service import ServiceView

from ..services import clear_cluster_profile, set_cluster_profile
from .serializers import ClusterProfileRequestSerializer, ClusterProfileSerializer

_MESSAGES = {"type": "array", "items": {"type": "string"}}
_CLUSTER_ID_REFUSED = {
    "type": "object",
    "properties": {"clusterId": _MESSAGES},
    "required": ["clusterId"],
    "additionalProperties": _MESSAGES,
}
_AUTH = {401: OpenApiResponse(ErrorSerializer, description="No valid API key.")}
_BAD = OpenApiResponse(description="`clusterId`, `displayName` or `avatarUrl` is refused; the body names it.")


class ClusterProfileView(ServiceView):
    @extend_schema(
        operation_id="set_cluster_display_name",
        summary="Set a cluster's public display name and avatar",
        description=(
            "Replaces both (a field left out or null clears it; both null clear them, as DELETE). Idempotent: the "
            "same body again changes nothing. Every entry, profile, history and movers item shows them as "
            "`displayName` and `avatarUrl` from the next request on. `displayName` is trimmed, then must be 1..64 "
            "characters without control characters; `avatarUrl` must be an https:// URL. Staff can clear an "
            "abusive name in the admin."
        ),
        parameters=[CLUSTER_ID_PATH_PARAMETER],
        request=ClusterProfileRequestSerializer,
        responses={200: ClusterProfileSerializer, 400: _BAD, **_AUTH},
        examples=[
            OpenApiExample(
                "a name and an avatar",
                value={"displayName": "mira.eth", "avatarUrl": "https://cdn.example.com/avatars/c-7f3a.png"},
                request_only=True,
            ),
            OpenApiExample(
                "set",
                value={
                    "clusterId": "c-7f3a",
                    "displayName": "mira.eth",
                    "avatarUrl": "https://cdn.example.com/avatars/c-7f3a.png",
                    "updatedAt": "2026-11-27T10:05:03Z",
                },
                response_only=True,
            ),
        ],
    )
    def put(self, request, **kwargs):
        cluster_id = path_cluster_id(kwargs)
        body = ClusterProfileRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        profile = set_cluster_profile(
            cluster_id,
            display_name=body.validated_data["displayName"],
            avatar_url=body.validated_data["avatarUrl"],
            api_key=request.auth,
        )
        return Response(ClusterProfileSerializer((cluster_id, profile)).data)

    @extend_schema(
        operation_id="clear_cluster_display_name",
        summary="Clear a cluster's public display name and avatar",
        description="Idempotent: 204 whether or not the cluster had any.",
        parameters=[CLUSTER_ID_PATH_PARAMETER],
        responses={
            204: OpenApiResponse(description="Cleared."),
            400: OpenApiResponse(_CLUSTER_ID_REFUSED, description="`clusterId` is refused; the body names it."),
            **_AUTH,
        },
    )
    def delete(self, request, **kwargs):
        clear_cluster_profile(path_cluster_id(kwargs), api_key=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)
