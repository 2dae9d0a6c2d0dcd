"""Reads of the season engine. Other apps (leaderboards) read seasons only through here."""

from __future__ import annotations

import datetime

from django.utils import timezone

from .models import Season


def get_active_season(*, now: datetime.datetime | None = None) -> Season | None:
    """The season flagged active whose `starts_at <= now < ends_at`, else None."""
    now = now or timezone.now()
    return Season.objects.filter(is_active=True, starts_at__lte=now, ends_at__gt=now).first()
