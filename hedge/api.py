"""API building blocks shared by hedge's apps."""

from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """The body of every 404 (and other non-field errors): `{"detail": "..."}`."""

    detail = serializers.CharField()
