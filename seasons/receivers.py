"""The season engine's end of the post-ETL hook (`hedge.challenges.signals.progress_changed`)."""

from __future__ import annotations

import logging

from hedge.challenges.signals import ProgressChange

from .models import SeasonChallengeWeight
from .selectors import get_active_season
from .services import RecomputeResult, recompute_changed_since

logger = logging.getLogger(__name__)


def recompute_active_season(sender, *, change: ProgressChange, **kwargs) -> RecomputeResult | None:
    """After progress changed, recompute the active season's points of the clusters that changed.

    One set-based call for the whole run (the changed clusters are found in SQL through
    `changed_since`); nothing happens when no season is active or no changed challenge is weighted.
    The call catches up on the season's watermark: when an earlier run's hook failed, its
    clusters are recomputed now too (see `recompute_changed_since`).
    """
    season = get_active_season()
    if season is None:
        return None
    weighted = SeasonChallengeWeight.objects.filter(season=season, challenge_id__in=change.challenge_codes)
    if not weighted.exists():
        return None
    result = recompute_changed_since(season, change.changed_since)
    logger.info("season points after %s: %s", change.source, result)
    return result
