"""Reads of the season engine. Other apps (leaderboards) read seasons only through here."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import FilteredRelation, Prefetch, Q, QuerySet
from django.utils import timezone

from .models import Season, SeasonChallengeWeight
from .scoring import level_for_points, next_level_threshold


def get_active_season(*, now: datetime.datetime | None = None) -> Season | None:
    """The season flagged active whose `starts_at <= now < ends_at`, else None."""
    now = now or timezone.now()
    return Season.objects.filter(is_active=True, starts_at__lte=now, ends_at__gt=now).first()


def _with_weights(seasons: QuerySet[Season]) -> QuerySet[Season]:
    """Each season's weights as `weights_with_challenges`, by challenge code, with their challenges; one more query."""
    weights = SeasonChallengeWeight.objects.select_related("challenge").order_by("challenge_id")
    return seasons.prefetch_related(Prefetch("weights", queryset=weights, to_attr="weights_with_challenges"))


def started_seasons(*, now: datetime.datetime | None = None) -> QuerySet[Season]:
    """Seasons whose start has passed (running or ended), newest first, with their weights; two queries."""
    now = now or timezone.now()
    return _with_weights(Season.objects.filter(starts_at__lte=now).order_by("-starts_at", "-id"))


def active_season_with_weights(*, now: datetime.datetime | None = None) -> Season | None:
    """get_active_season with `weights_with_challenges`; two queries (one when there is none)."""
    now = now or timezone.now()
    return _with_weights(Season.objects.filter(is_active=True, starts_at__lte=now, ends_at__gt=now)).first()


@dataclass(frozen=True)
class ClusterSeasonProgress:
    season_id: str
    cluster_id: str
    points: int
    level: int
    next_level_threshold: int
    # None when the cluster has no row in the season yet.
    updated_at: datetime.datetime | None

    @property
    def points_to_next_level(self) -> int:
        return self.next_level_threshold - self.points


def get_cluster_progress(*, season_id: str, cluster_id: str) -> ClusterSeasonProgress | None:
    """A cluster's stored points in a season and the level they reach (zeros when it has no row).

    None for an unknown season. The level follows from the points and the season's current
    points per level, not from the stored level column, which lags a change of points per level
    until the season is recomputed: so `level`, `next_level_threshold` and `points_to_next_level`
    always agree (the last is always positive). One query, whether or not the cluster has a row.
    Seasons that have ended answer too; a season that has not started answers zeros, whatever is stored.
    """
    row = (
        Season.objects.filter(pk=season_id)
        .annotate(mine=FilteredRelation("progress", condition=Q(progress__cluster_id=cluster_id)))
        .values("pk", "points_per_level", "starts_at", "mine__points", "mine__updated_at")
        .first()
    )
    if row is None:
        return None
    if timezone.now() < row["starts_at"]:
        row["mine__points"] = row["mine__updated_at"] = None
    points = row["mine__points"] or 0
    level = level_for_points(points, row["points_per_level"])
    return ClusterSeasonProgress(
        season_id=row["pk"],
        cluster_id=cluster_id,
        points=points,
        level=level,
        next_level_threshold=next_level_threshold(level, row["points_per_level"]),
        updated_at=row["mine__updated_at"],
    )


def get_last_ended_season(*, now: datetime.datetime | None = None) -> Season | None:
    """The season whose end is the latest at or before `now` (active flag or not), else None."""
    now = now or timezone.now()
    return Season.objects.filter(ends_at__lte=now).order_by("-ends_at").first()
