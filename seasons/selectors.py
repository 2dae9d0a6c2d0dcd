"""Reads of the season engine. Other apps (leaderboards) read seasons only through here."""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass

from django.db.models import BigIntegerField, Case, FilteredRelation, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.dispatch import Signal
from django.utils import timezone

from .breakdown import ChallengePoints, cluster_breakdown
from .levels import CURVE_FIELDS, standing_of, with_level_curve
from .models import Season, SeasonChallengeWeight


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
    # None at the level curve's cap.
    next_level_threshold: int | None
    # None when the cluster has no row in the season yet.
    updated_at: datetime.datetime | None
    # The level curve's last level; None without a curve (uncapped).
    max_level: int | None = None
    # The points at which the current level started.
    level_starts_at: int = 0
    # 0..100 within the current level (rounded down); 100 at the cap.
    progress_percent: int = 0
    # Which challenge earned how many of the points (get_explained_cluster_progress only).
    breakdown: tuple[ChallengePoints, ...] = ()

    @property
    def points_to_next_level(self) -> int | None:
        return None if self.next_level_threshold is None else self.next_level_threshold - self.points


def get_cluster_progress(*, season_id: str, cluster_id: str) -> ClusterSeasonProgress | None:
    """A cluster's stored points in a season and the level they reach (zeros when it has no row).

    None for an unknown season. The level follows from the points and the season's current level
    curve (or points per level), not from the stored level column, which lags a change of either
    until the season is recomputed: so `level`, `next_level_threshold` and `points_to_next_level`
    always agree. One query, whether or not the cluster has a row: the curve's lookups are
    subqueries of it (levels.with_level_curve). Seasons that have ended answer too; a season that
    has not started answers zeros, whatever is stored.
    """
    row = _progress_row(season_id=season_id, cluster_id=cluster_id)
    if row is None:
        return None
    return _progress(row, cluster_id=cluster_id)


def get_explained_cluster_progress(
    *, season_id: str, cluster_id: str, now: datetime.datetime | None = None
) -> ClusterSeasonProgress | None:
    """get_cluster_progress with its `breakdown`: weight x value of each weighted challenge; three queries.

    None for an unknown season (one query). Raises ProgressWithheld for a cluster whose progress
    must not be served (see `progress_withheld`).
    """
    now = now or timezone.now()
    row = _progress_row(season_id=season_id, cluster_id=cluster_id)
    if row is None:
        return None
    if is_progress_withheld(cluster_id, now=now):
        raise ProgressWithheld(cluster_id)
    breakdown = cluster_breakdown(
        season_id=row["pk"],
        scoring=row["scoring"],
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        cluster_id=cluster_id,
        now=now,
    )
    return dataclasses.replace(_progress(row, cluster_id=cluster_id), breakdown=tuple(breakdown))


def _progress_row(*, season_id: str, cluster_id: str) -> dict | None:
    # The points that count (0 before the season starts), and where they stand on the season's
    # level curve, in the same query (levels.with_level_curve).
    seasons = Season.objects.filter(pk=season_id).annotate(
        mine=FilteredRelation("progress", condition=Q(progress__cluster_id=cluster_id)),
        counted_points=Case(
            When(starts_at__lte=timezone.now(), then=Coalesce("mine__points", Value(0))),
            default=Value(0),
            output_field=BigIntegerField(),
        ),
    )
    return (
        with_level_curve(seasons, points="counted_points")
        .values(
            "pk", "starts_at", "ends_at", "scoring", "mine__points", "mine__updated_at", "counted_points", *CURVE_FIELDS
        )
        .first()
    )


def _progress(row: dict, *, cluster_id: str) -> ClusterSeasonProgress:
    if timezone.now() < row["starts_at"]:
        row["mine__points"] = row["mine__updated_at"] = None
    standing = standing_of(row, points=row["counted_points"])
    return ClusterSeasonProgress(
        season_id=row["pk"],
        cluster_id=cluster_id,
        points=standing.points,
        level=standing.level,
        next_level_threshold=standing.next_level_threshold,
        updated_at=row["mine__updated_at"],
        max_level=standing.max_level,
        level_starts_at=standing.level_starts_at,
        progress_percent=standing.progress_percent,
    )


def get_last_ended_season(*, now: datetime.datetime | None = None) -> Season | None:
    """The season whose end is the latest at or before `now` (active flag or not), else None."""
    now = now or timezone.now()
    return Season.objects.filter(ends_at__lte=now).order_by("-ends_at").first()


# Sent with `cluster_id` and `now` before a cluster's season progress is served: a receiver that
# returns True withholds it (the API answers 404 "excluded"); the stored points stay as they are.
# Seasons read no other app (leaderboards -> seasons), so the leaderboards' exclusions of a cluster
# from everything answer through this hook, connected in LeaderboardsConfig.ready().
progress_withheld = Signal()


class ProgressWithheld(Exception):
    """The cluster's season progress is not served (an exclusion); its stored points are kept."""


def is_progress_withheld(cluster_id: str, *, now: datetime.datetime | None = None) -> bool:
    """Whether a receiver of `progress_withheld` keeps this cluster's season progress from being served."""
    now = now or timezone.now()
    return any(withheld for _, withheld in progress_withheld.send(sender=None, cluster_id=cluster_id, now=now))
