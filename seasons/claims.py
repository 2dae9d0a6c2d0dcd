"""Writes of the pass: premium grants and reward claims, each idempotent and safe under concurrency.

Both are called by the service API only, with the API key that asked (every row records it).
Idempotency rests on the database's unique constraints: a second identical request, concurrent
or later, finds the first one's row instead of writing another.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework_api_key.models import APIKey

from . import signals
from .levels import level_of
from .models import PremiumGrant, RewardClaim, Season, SeasonProgress, SeasonReward, Track
from .selectors import is_progress_withheld
from .services import recompute_clusters

T = TypeVar("T")


class ClaimRefused(Exception):
    """The request is understood but refused now (HTTP 409); `reason` is a stable code for the caller."""

    def __init__(self, reason: str, message: str):
        self.reason = reason
        super().__init__(message)


class UnknownLevel(LookupError):
    """The track has no reward at that level (HTTP 404)."""


@dataclass(frozen=True)
class Written(Generic[T]):
    row: T
    # False: the row already existed (an identical earlier or concurrent request wrote it).
    created: bool


def grant_premium(
    season: Season,
    *,
    cluster_id: str,
    reference: str,
    source: str,
    api_key: APIKey,
    now: datetime.datetime | None = None,
) -> Written[PremiumGrant]:
    """Give a cluster the season's premium track, idempotent on `reference` (a payment or transaction id).

    The same reference again (for the same cluster) returns the first grant. Refused (ClaimRefused):
    the reference was used for another cluster (`reference_used`), the cluster already has premium
    through another reference (`already_premium`: the second payment is not recorded, refund it),
    or the season's claims have closed (`claims_closed`: there is nothing left to unlock).
    """
    now = now or timezone.now()
    existing = PremiumGrant.objects.filter(season=season, reference=reference).first()
    if existing is None:
        if now >= season.claims_deadline:
            raise ClaimRefused("claims_closed", _closed_message(season))
        try:
            with transaction.atomic():
                grant = PremiumGrant.objects.create(
                    season=season,
                    cluster_id=cluster_id,
                    reference=reference,
                    source=source,
                    granted_at=now,
                    api_key=api_key,
                )
                signals.premium_granted.send(sender=PremiumGrant, grant=grant)
            return Written(grant, created=True)
        except IntegrityError:
            # Another request wrote a grant of this reference or this cluster first; it is committed now.
            existing = PremiumGrant.objects.filter(season=season, reference=reference).first()
    if existing is None:
        held = PremiumGrant.objects.get(season=season, cluster_id=cluster_id)
        raise ClaimRefused(
            "already_premium",
            f"Cluster {cluster_id!r} already has premium in season {season.pk} (reference {held.reference!r},"
            f" granted {held.granted_at:%Y-%m-%d %H:%M} UTC); this reference was not recorded.",
        )
    if existing.cluster_id != cluster_id:
        raise ClaimRefused(
            "reference_used",
            f"Reference {reference!r} already granted premium to another cluster in season {season.pk}.",
        )
    return Written(existing, created=False)


def claim_reward(
    season: Season,
    *,
    cluster_id: str,
    track: str,
    level: int,
    api_key: APIKey,
    now: datetime.datetime | None = None,
) -> Written[RewardClaim]:
    """Claim the rewards of one level of one track for a cluster; a claim that exists is returned as it is.

    Decided against the cluster's stored points (recomputed by the post-ETL hook) on the season's
    current level curve, under a row lock on that progress row, in the transaction that writes the
    claim: so the check and the insert see one state, and 32 identical concurrent claims write one
    row (the unique constraint; the others return it). UnknownLevel when the track has no reward at
    that level; ClaimRefused with `claims_closed`, `excluded` (an exclusion from everything, see
    selectors.withhold_progress_where), `stale`, `level_not_reached` or `premium_required`.
    A season whose stored points are out of date (`points_stale_since`: staff changed its dates,
    scoring, weights or curve) decides on fresh points: a running season recomputes the cluster
    first; an ended one refuses (`stale`) until the season's final recompute.
    A claim stays when the cluster later loses the level (a corrected value): it is never taken back.
    """
    now = now or timezone.now()
    rewards = list(SeasonReward.objects.filter(season=season, track=track, level=level).order_by("name"))
    if not rewards:
        raise UnknownLevel(f"Season {season.pk} has no {track} reward at level {level}.")
    existing = RewardClaim.objects.filter(season=season, cluster_id=cluster_id, track=track, level=level).first()
    if existing is not None:
        return Written(existing, created=False)
    if now >= season.claims_deadline:
        raise ClaimRefused("claims_closed", _closed_message(season))
    if is_progress_withheld(cluster_id, now=now):
        raise ClaimRefused("excluded", f"Cluster {cluster_id!r} is excluded from the season pass; it cannot claim.")
    if season.points_stale_since is not None and season.starts_at <= now:
        _refresh_stale_points(season, cluster_id, now=now)
    with transaction.atomic():
        points = (
            SeasonProgress.objects.select_for_update()
            .filter(season=season, cluster_id=cluster_id)
            .values_list("points", flat=True)
            .first()
        )
        if points is None or now < season.starts_at:
            points = 0
        reached = level_of(season, points)
        if reached < level:
            raise ClaimRefused(
                "level_not_reached",
                f"Cluster {cluster_id!r} is at level {reached} of season {season.pk} ({points:,} points);"
                f" level {level} is not reached.",
            )
        if track == Track.PREMIUM and not PremiumGrant.objects.filter(season=season, cluster_id=cluster_id).exists():
            raise ClaimRefused("premium_required", f"Cluster {cluster_id!r} has no premium pass in season {season.pk}.")
        try:
            with transaction.atomic():
                claim = RewardClaim.objects.create(
                    season=season,
                    cluster_id=cluster_id,
                    track=track,
                    level=level,
                    claimed_at=now,
                    level_at_claim=reached,
                    points_at_claim=points,
                    rewards=[_granted(reward) for reward in rewards],
                    api_key=api_key,
                )
                signals.reward_claimed.send(sender=RewardClaim, claim=claim)
        except IntegrityError:
            # A concurrent identical claim committed first (on SQLite, or without a progress row to lock).
            claim = RewardClaim.objects.get(season=season, cluster_id=cluster_id, track=track, level=level)
            return Written(claim, created=False)
    return Written(claim, created=True)


def _refresh_stale_points(season: Season, cluster_id: str, *, now: datetime.datetime) -> None:
    """Bring one cluster's stored points up to the season's current settings before a claim is decided on them."""
    if now < season.ends_at:
        recompute_clusters(season, [cluster_id], now=now)
        return
    raise ClaimRefused(
        "stale",
        f"Season {season.pk}'s points are out of date since {season.points_stale_since:%Y-%m-%d %H:%M} UTC (its"
        " settings changed after it ended); claims are decided again once the season is recomputed.",
    )


def _granted(reward: SeasonReward) -> dict:
    return {
        "name": reward.name,
        "description": reward.description,
        "kind": reward.kind,
        "quantity": reward.quantity,
        "data": reward.data,
    }


def _closed_message(season: Season) -> str:
    return f"Claims of season {season.pk} closed at {season.claims_deadline:%Y-%m-%d %H:%M} UTC."
