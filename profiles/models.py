"""A cluster's public face: the display name and avatar the game's backend sets (issue #24).

A row exists only while the cluster has a name or an avatar: clearing both deletes it (its history
keeps what it was, who set it and who cleared it).
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from simple_history.models import HistoricalRecords

from hedge.challenges.models import CLUSTER_ID_MAX_LENGTH

DISPLAY_NAME_MAX_LENGTH = 64
AVATAR_URL_MAX_LENGTH = 2000
# Besides the C0/C1 controls (Unicode category Cc) and the line and paragraph separators: the bidirectional
# overrides, embeddings and isolates, with which a name can make the text after it read backwards.
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def validate_display_name_characters(value: str) -> None:
    """No control characters in a display name (the zero-width joiner of emoji sequences is allowed)."""
    for index, char in enumerate(value):
        if unicodedata.category(char) in ("Cc", "Zl", "Zp") or char in _BIDI_CONTROLS:
            raise ValidationError(
                f"Control characters are not allowed (U+{ord(char):04X} at character {index + 1}).",
                code="control_character",
            )


validate_avatar_url = URLValidator(schemes=["https"], message="Must be an https:// URL.")


class ClusterProfile(models.Model):
    """The name and avatar players see next to a cluster on every board, profile and history.

    Written only through the service API (profiles.services), attributed to its key; staff clear an
    abusive one in the admin.
    """

    cluster_id = models.CharField(primary_key=True, max_length=CLUSTER_ID_MAX_LENGTH)
    display_name = models.CharField(  # noqa: DJ001 - NULL: none set (the API's null); "" is refused
        max_length=DISPLAY_NAME_MAX_LENGTH,
        null=True,
        blank=True,
        help_text="Shown as displayName: trimmed, 1..64 characters, no control characters.",
    )
    avatar_url = models.CharField(  # noqa: DJ001 - NULL: none set (the API's null)
        max_length=AVATAR_URL_MAX_LENGTH, null=True, blank=True, help_text="Shown as avatarUrl: an https:// URL."
    )
    updated_at = models.DateTimeField()
    api_key = models.ForeignKey(
        "rest_framework_api_key.APIKey",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The key that set them last.",
    )

    history = HistoricalRecords(table_name="cluster_profiles_history")

    class Meta:
        db_table = "cluster_profiles"
        verbose_name = "cluster name"
        constraints = [
            models.CheckConstraint(
                condition=Q(display_name__isnull=False) | Q(avatar_url__isnull=False),
                name="cluster_profiles_not_empty",
            ),
            models.CheckConstraint(
                condition=Q(display_name__isnull=True)
                | (~Q(display_name="") & Q(LessThanOrEqual(Length("display_name"), DISPLAY_NAME_MAX_LENGTH))),
                name="cluster_profiles_display_name_length",
            ),
            models.CheckConstraint(
                condition=Q(avatar_url__isnull=True) | Q(avatar_url__startswith="https://"),
                name="cluster_profiles_avatar_https",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cluster_id}: {self.display_name or '(no name)'}"
