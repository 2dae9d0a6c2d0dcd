"""Writes of the profiles app: a cluster's display name and avatar, set and cleared.

Audited (django-simple-history on ClusterProfile): a write through the service API is attributed to its
key (the row's `api_key`, and the history row's change reason); a clear in the admin to the staff user.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from rest_framework_api_key.models import APIKey

from hedge.core.audit import changes_attributed_to

from .models import ClusterProfile


def _by_key(api_key: APIKey) -> str:
    return f"service API key {api_key.prefix} ({api_key.name})"


@transaction.atomic
def set_cluster_profile(
    cluster_id: str, *, display_name: str | None, avatar_url: str | None, api_key: APIKey
) -> ClusterProfile | None:
    """Set the cluster's display name and avatar (both replaced; None clears one, both None clear the row).

    Idempotent: the same values again change nothing (no write, no history row) and return the same row.
    Values are taken as given: the API validates them (trimmed, no control characters, https).
    """
    if display_name is None and avatar_url is None:
        clear_cluster_profile(cluster_id, api_key=api_key)
        return None
    values = {"display_name": display_name, "avatar_url": avatar_url}
    with changes_attributed_to(_by_key(api_key)):
        profile, created = ClusterProfile.objects.select_for_update().get_or_create(
            cluster_id=cluster_id, defaults={**values, "updated_at": timezone.now(), "api_key": api_key}
        )
        if created or (profile.display_name, profile.avatar_url) == (display_name, avatar_url):
            return profile
        profile.display_name, profile.avatar_url = display_name, avatar_url
        profile.updated_at, profile.api_key = timezone.now(), api_key
        profile.save()
    return profile


@transaction.atomic
def clear_cluster_profile(cluster_id: str, *, api_key: APIKey) -> bool:
    """Clear the cluster's display name and avatar (delete its row); whether it had any. Idempotent."""
    with changes_attributed_to(_by_key(api_key)):
        # One by one, through the model: each deletion leaves its history row.
        deleted, _ = ClusterProfile.objects.filter(pk=cluster_id).delete()
    return deleted > 0


@transaction.atomic
def clear_cluster_profiles(cluster_ids: Iterable[str], *, reason: str) -> int:
    """Clear these clusters' display names and avatars (staff: an abusive name); how many had one."""
    with changes_attributed_to(reason):
        deleted, _ = ClusterProfile.objects.filter(pk__in=list(cluster_ids)).delete()
    return deleted
