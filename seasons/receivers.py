"""The season engine's receivers of the challenge substrate's signals (hedge.challenges.signals)."""

from __future__ import annotations

import datetime
import logging

from django.db import transaction

from hedge.challenges.signals import ProgressChange

from . import signals
from .errors import SeasonPointsFailed
from .models import Season, SeasonChallengeWeight
from .selectors import get_active_season
from .services import RecomputeResult, recompute_changed_since, recompute_season

logger = logging.getLogger(__name__)


def recompute_active_season(sender, *, change: ProgressChange, **kwargs) -> RecomputeResult | None:
    """After progress changed, recompute the active season's points of the clusters that changed.

    One set-based call for the whole run (the changed clusters are found in SQL through
    `changed_since`); nothing happens when no season is active or no changed challenge is weighted.
    The call catches up on the season's watermark: when an earlier run's hook failed, its
    clusters are recomputed now too (see `recompute_changed_since`).
    A season never computed (no watermark: created or activated after it started) or out of date
    (`points_stale_since`: staff changed what its points follow from) is recomputed whole instead,
    every cluster, whatever the run changed: the clusters that do not change again would otherwise
    keep no points, or stale ones, for the rest of the season.
    """
    season = get_active_season()
    if season is None:
        return None
    try:
        if season.points_synced_through is None or season.points_stale_since is not None:
            result = recompute_season(season)
        else:
            weighted = SeasonChallengeWeight.objects.filter(season=season, challenge_id__in=change.challenge_codes)
            if not weighted.exists():
                return None
            result = recompute_changed_since(season, change.changed_since)
    except Exception as exc:
        # The recompute rolled back; its failure is recorded (for staff alerting) in a transaction of its own.
        with transaction.atomic():
            signals.recompute_failed.send(
                sender=Season, season=season, error=f"{type(exc).__name__}: {exc}", failed_clusters=None
            )
        raise
    logger.info("season points after %s: %s", change.source, result)
    if result.failed:
        # The others are written (and committed); raising reports it as the hook's error (non-zero exit).
        raise SeasonPointsFailed(str(result))
    return result


def history_needed_by_seasons(sender, *, now: datetime.datetime, **kwargs) -> datetime.datetime | None:
    """The start of the earliest season that has started and is not final yet: its points read history from there."""
    return (
        Season.objects.filter(finalized_at__isnull=True, starts_at__lte=now)
        .order_by("starts_at")
        .values_list("starts_at", flat=True)
        .first()
    )
