"""A cluster's public face: the display name and avatar the game's backend sets (issue #24).

A row exists only while the cluster has a name or an avatar: clearing both deletes it (its history
keeps what it was, who set it and who cleared it).
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator, URLValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from simple_history.models import HistoricalRecords

from hedge.core.clusters import CLUSTER_ID_MAX_LENGTH

DISPLAY_NAME_MAX_LENGTH = 64
AVATAR_URL_MAX_LENGTH = 2000
# Control characters a display name may not hold: C0 and C1 (Unicode's Cc), the line and paragraph
# separators, and the bidirectional marks, embeddings, overrides and isolates (the zero-width joiner of
# emoji sequences is allowed). Written once, as a regular expression class that Python and the API
# schema (ECMA-262) read alike.
_CONTROLS = r"\u0000-\u001f\u007f-\u009f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"


class DisplayNameCharacters(RegexValidator):
    """No control characters in a display name, and at least one visible character.

    The regex is what the API schema states as the field's `pattern` (drf-spectacular reads it); a refusal
    names the first control character and where it is.
    """

    regex = rf"^[^{_CONTROLS}]*[^\s{_CONTROLS}][^{_CONTROLS}]*$"
    message = "A display name needs a visible character."

    def __call__(self, value: str) -> None:
        if found := re.search(f"[{_CONTROLS}]", value):
            raise ValidationError(
                f"Control characters are not allowed (U+{ord(found.group()):04X} at character {found.start() + 1}).",
                code="control_character",
            )
        super().__call__(value)


validate_display_name_characters = DisplayNameCharacters()

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
