"""Reads of the pass: a season's reward tracks, and where one cluster stands on each reward.

A reward's state for a cluster, first match wins:

- `claimed`: the cluster claimed its level of its track (a claim stays, whatever happens later);
- `closed`: claims of the season have closed (`Season.claims_deadline`);
- `locked`: the cluster's level is below the reward's;
- `premium_required`: a PREMIUM reward of a reached level, and the cluster has no premium pass;
- `claimable`: otherwise.

The level is the one the API shows (stored points on the season's current curve), so a reward
shown claimable is one the claim endpoint accepts.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import BigIntegerField, Case, Exists, F, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from .levels import CURVE_FIELDS, LevelStanding, standing_of, with_level_curve
from .models import PremiumGrant, RewardClaim, Season, SeasonLevel, SeasonProgress, SeasonReward, Track
from .selectors import ProgressWithheld, is_progress_withheld


class RewardState:
    LOCKED = "locked"
    CLAIMABLE = "claimable"
    CLAIMED = "claimed"
    PREMIUM_REQUIRED = "premium_required"
    CLOSED = "closed"
    values = (LOCKED, CLAIMABLE, CLAIMED, PREMIUM_REQUIRED, CLOSED)


@dataclass(frozen=True)
class RewardLine:
    track: str
    level: int
    name: str
    description: str
    kind: str
    quantity: int
    data: Any
    # None when no cluster was asked about.
    state: str | None
    # The points the reward's level needs; None only for a level beyond the curve (which the admin refuses).
    points_required: int | None = None


@dataclass(frozen=True)
class SeasonTracks:
    season_id: str
    claims_close_at: datetime.datetime
    # None when no cluster was asked about.
    cluster_id: str | None = None
    standing: LevelStanding | None = None
    is_premium: bool | None = None
    tracks: dict[str, list[RewardLine]] = field(default_factory=dict)


def season_with_cluster_standing(season_id: str, cluster_id: str, *, now: datetime.datetime) -> QuerySet[Season]:
    """The season with the cluster's standing, in one query.

    Annotated `cluster_points` (its stored points; 0 without a row or before the season starts),
    the curve fields of levels.CURVE_FIELDS for those points, and `cluster_is_premium`.
    """
    points = SeasonProgress.objects.filter(season=OuterRef("pk"), cluster_id=cluster_id).values("points")[:1]
    seasons = Season.objects.filter(pk=season_id).annotate(
        cluster_points=Case(
            When(starts_at__lte=now, then=Coalesce(Subquery(points), Value(0))),
            default=Value(0),
            output_field=BigIntegerField(),
        ),
        cluster_is_premium=Exists(PremiumGrant.objects.filter(season=OuterRef("pk"), cluster_id=cluster_id)),
    )
    return with_level_curve(seasons, points="cluster_points")


def rewards_with_points_required(season_id: str) -> QuerySet[SeasonReward]:
    """The season's rewards by track and level, each annotated `points_required` of its level; one query.

    The curve's threshold of the level (season_levels' (season, level) unique index) when the season
    has a curve (None for a level beyond it), else level x points_per_level: where the level starts.
    """
    curve = SeasonLevel.objects.filter(season_id=OuterRef("season_id"))
    return (
        SeasonReward.objects.filter(season_id=season_id)
        .annotate(
            points_required=Case(
                When(
                    Exists(curve),
                    then=Subquery(curve.filter(level=OuterRef("level")).values("points_required")[:1]),
                ),
                default=F("level") * F("season__points_per_level"),
                output_field=BigIntegerField(),
            )
        )
        .order_by("track", "level", "name")
    )


def get_season_tracks(
    *, season_id: str, cluster_id: str | None = None, now: datetime.datetime | None = None
) -> SeasonTracks | None:
    """The season's FREE and PREMIUM tracks by level, each reward with the cluster's state; None for an unknown season.

    Without `cluster_id` the rewards have no state. Raises ProgressWithheld for a cluster whose
    progress is withheld (an exclusion from everything, see selectors.withhold_progress_where), as
    /progress does: no reward is shown claimable that the claim endpoint would refuse. Four queries
    with a cluster (the season with the cluster's points, curve standing and premium; whether its
    progress is withheld; the rewards; the cluster's claims), two without.
    """
    now = now or timezone.now()
    if cluster_id is None:
        season = Season.objects.filter(pk=season_id).first()
        if season is None:
            return None
        result = SeasonTracks(season_id=season.pk, claims_close_at=season.claims_deadline)
        claimed, reached, premium, closed = set(), 0, False, False
    else:
        row = (
            season_with_cluster_standing(season_id, cluster_id, now=now)
            .values("pk", "ends_at", "claims_close_at", "cluster_points", "cluster_is_premium", *CURVE_FIELDS)
            .first()
        )
        if row is None:
            return None
        if is_progress_withheld(cluster_id, now=now):
            raise ProgressWithheld(cluster_id)
        season = Season(pk=row["pk"], ends_at=row["ends_at"], claims_close_at=row["claims_close_at"])
        standing = standing_of(row, points=row["cluster_points"])
        result = SeasonTracks(
            season_id=season.pk,
            claims_close_at=season.claims_deadline,
            cluster_id=cluster_id,
            standing=standing,
            is_premium=row["cluster_is_premium"],
        )
        claimed = set(
            RewardClaim.objects.filter(season_id=season.pk, cluster_id=cluster_id).values_list("track", "level")
        )
        reached, premium, closed = standing.level, row["cluster_is_premium"], now >= season.claims_deadline
    for track in Track.values:
        result.tracks[track] = []
    for reward in rewards_with_points_required(season.pk):
        state = None
        if cluster_id is not None:
            if (reward.track, reward.level) in claimed:
                state = RewardState.CLAIMED
            elif closed:
                state = RewardState.CLOSED
            elif reached < reward.level:
                state = RewardState.LOCKED
            elif reward.track == Track.PREMIUM and not premium:
                state = RewardState.PREMIUM_REQUIRED
            else:
                state = RewardState.CLAIMABLE
        result.tracks[reward.track].append(
            RewardLine(
                track=reward.track,
                level=reward.level,
                name=reward.name,
                description=reward.description,
                kind=reward.kind,
                quantity=reward.quantity,
                data=reward.data,
                state=state,
                points_required=reward.points_required,
            )
        )
    return result


def get_cluster_claims(*, season_id: str, cluster_id: str) -> QuerySet[RewardClaim]:
    """The cluster's claims in the season, by track and level."""
    return RewardClaim.objects.filter(season_id=season_id, cluster_id=cluster_id).order_by("track", "level")
