"""Reads of the season engine and its pass (reward tracks, where a cluster stands on each reward).

Other apps (leaderboards) read seasons only through here."""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass, field
from typing import Any

from django.db import connections
from django.db.models import BigIntegerField, Case, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from hedge.core.db import columns_of, db_datetime, instances_from_row, prepared_statements_cursor, sql_datetime
from hedge.core.routers import read_alias

from . import sql
from .breakdown import ChallengePoints, cluster_breakdown
from .errors import ProgressWithheld
from .levels import CURVE_FIELDS, LevelStanding, standing_of, with_level_curve
from .models import (
    PremiumGrant,
    RewardClaim,
    Season,
    SeasonChallengeWeight,
    SeasonLevel,
    SeasonProgress,
    SeasonReward,
    Track,
)


@functools.cache
def _active_season_statement() -> str:
    return sql.ACTIVE_SEASON.format(season=columns_of(Season, "s"))


def get_active_season(*, now: datetime.datetime | None = None) -> Season | None:
    """The season flagged active whose `starts_at <= now < ends_at`, else None."""
    # A plain statement (sql.ACTIVE_SEASON): every season read of the public API asks, and the queryset
    # cost more to compile than the statement to run.
    db = connections[read_alias()]
    with db.cursor() as cursor:
        cursor.execute(_active_season_statement(), {"now": sql_datetime(now or timezone.now())})
        row = cursor.fetchone()
        if row is None:
            return None
        columns = [column[0] for column in cursor.description]
    [season] = instances_from_row(db, row, columns, [Season])
    return season


def _with_weights(seasons: QuerySet[Season]) -> QuerySet[Season]:
    """Each season's weights as `weights_with_challenges`, by challenge code, with their challenges; one more query."""
    weights = SeasonChallengeWeight.objects.select_related("challenge").order_by("challenge_id")
    return seasons.prefetch_related(Prefetch("weights", queryset=weights, to_attr="weights_with_challenges"))


def _public(seasons: QuerySet[Season]) -> QuerySet[Season]:
    """Seasons as the public API shows them: with their weights (one more query) and `curve_max_level`
    (the level curve's last level, None without a curve; a subquery over season_levels' primary key)."""
    last_level = SeasonLevel.objects.filter(season=OuterRef("pk")).order_by("-level").values("level")[:1]
    return _with_weights(seasons.annotate(curve_max_level=Subquery(last_level)))


def listed_seasons(*, now: datetime.datetime | None = None) -> QuerySet[Season]:
    """Every season, upcoming ones too, latest start first, with their weights and curve's cap; two queries."""
    return _public(Season.objects.order_by("-starts_at", "-id"))


def active_season_with_weights(*, now: datetime.datetime | None = None) -> Season | None:
    """get_active_season with `weights_with_challenges` and `curve_max_level`; two queries (one when there is none)."""
    now = now or timezone.now()
    return _public(Season.objects.filter(is_active=True, starts_at__lte=now, ends_at__gt=now)).first()


def active_season_id(*, now: datetime.datetime | None = None) -> str | None:
    """The id of the active season (see get_active_season), else None; one query."""
    now = now or timezone.now()
    seasons = Season.objects.filter(is_active=True, starts_at__lte=now, ends_at__gt=now)
    return seasons.values_list("pk", flat=True).first()


@dataclass(frozen=True)
class SeasonLevels:
    season_id: str
    # None while a curve decides levels.
    points_per_level: int | None
    max_level: int | None
    levels: list[SeasonLevel]


def season_levels(season_id: str) -> SeasonLevels | None:
    """How the season's levels follow from points: its curve by level, or its points per level; None: no season.

    Two queries (the season, its curve by the (season, level) unique index).
    """
    season = Season.objects.filter(pk=season_id).values("pk", "points_per_level").first()
    if season is None:
        return None
    levels = list(SeasonLevel.objects.filter(season_id=season_id).order_by("level"))
    return SeasonLevels(
        season_id=season["pk"],
        points_per_level=None if levels else season["points_per_level"],
        max_level=levels[-1].level if levels else None,
        levels=levels,
    )


class SeasonStatus:
    """Where a season is in its life, as the public API names it."""

    UPCOMING = "upcoming"  # not started yet
    ACTIVE = "active"  # flagged active and running: progress is updated
    ENDED = "ended"  # past its end, or stopped by staff before it (progress no longer updated)
    FINAL = "final"  # ended and its final standings are fixed (finalized_at)
    values = (UPCOMING, ACTIVE, ENDED, FINAL)


def season_status(season: Season, *, now: datetime.datetime) -> str:
    if season.finalized_at is not None:
        return SeasonStatus.FINAL
    if now < season.starts_at:
        return SeasonStatus.UPCOMING
    if season.is_active and now < season.ends_at:
        return SeasonStatus.ACTIVE
    return SeasonStatus.ENDED


# The error of a cluster whose season points could not be stored (a SeasonProgressError).
POINTS_OVERFLOW = "points_overflow"


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
    # Which challenge earned how many of the points.
    breakdown: tuple[ChallengePoints, ...] = ()
    # POINTS_OVERFLOW when the last recompute could not store the cluster's points (their sum is beyond 64-bit
    # integers): `points` and `updated_at` are then the last stored, `breakdown` the sum that did not fit.
    error: str | None = None
    # The season's stored points are out of date (Season.points_stale_since) until it is recomputed.
    stale: bool = False
    # False for a cluster hedge has never seen (no challenge progress, no points in the season).
    known: bool = True

    @property
    def points_to_next_level(self) -> int | None:
        return None if self.next_level_threshold is None else self.next_level_threshold - self.points


def get_explained_cluster_progress(
    *, season_id: str, cluster_id: str, now: datetime.datetime | None = None
) -> ClusterSeasonProgress | None:
    """A cluster's stored points in a season, the level they reach, and its `breakdown`; two queries.

    The level follows from the points and the season's current level curve (or points per level), not
    from the stored level column, which lags a change of either until the season is recomputed: so
    `level`, `next_level_threshold` and `points_to_next_level` always agree. Seasons that have ended
    answer too; a season that has not started answers zeros, whatever is stored. The breakdown is the
    weight x value of each weighted challenge. The queries:
    1. the season with the cluster's standing and whether its progress is withheld (sql.PROGRESS);
    2. the breakdown (breakdown.cluster_breakdown), whose statement follows the season's scoring.
    On PostgreSQL both are prepared once per connection (hedge.core.db.prepared_statements_cursor): index
    probes by equality, whose planning cost more than running them.
    None for an unknown season (one query). Raises ProgressWithheld for a cluster whose progress
    must not be served (see `withhold_progress_where`).
    """
    now = now or timezone.now()
    using = read_alias()
    row = _progress_row(season_id=season_id, cluster_id=cluster_id, now=now, using=using)
    if row is None:
        return None
    if row["withheld"]:
        raise ProgressWithheld(cluster_id)
    breakdown = cluster_breakdown(
        season_id=row["season_id"],
        scoring=row["scoring"],
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        cluster_id=cluster_id,
        now=now,
        using=using,
    )
    return _progress(row, cluster_id=cluster_id, breakdown=tuple(breakdown))


def _progress_row(*, season_id: str, cluster_id: str, now: datetime.datetime, using: str) -> dict | None:
    params = {"season": season_id, "cluster": cluster_id, "now": sql_datetime(now)}
    with prepared_statements_cursor(using) as cursor:
        cursor.execute(_progress_statement(), params)
        values = cursor.fetchone()
        if values is None:
            return None
        row = dict(zip([column[0] for column in cursor.description], values, strict=True))
    for name in ("starts_at", "ends_at", "updated_at"):
        row[name] = db_datetime(row[name])
    return row


def _progress(row: dict, *, cluster_id: str, breakdown: tuple[ChallengePoints, ...] = ()) -> ClusterSeasonProgress:
    standing = standing_of(row, points=row["points"])
    return ClusterSeasonProgress(
        season_id=row["season_id"],
        cluster_id=cluster_id,
        points=standing.points,
        level=standing.level,
        next_level_threshold=standing.next_level_threshold,
        updated_at=row["updated_at"],
        max_level=standing.max_level,
        level_starts_at=standing.level_starts_at,
        progress_percent=standing.progress_percent,
        breakdown=breakdown,
        error=POINTS_OVERFLOW if row["points_overflow"] else None,
        stale=bool(row["stale"]),
        known=bool(row["known"]),
    )


# Flagged active now, or at some moment of its History: a season never active has no final standings.
_WAS_ACTIVE = Q(is_active=True) | Q(Exists(Season.history.model.objects.filter(id=OuterRef("pk"), is_active=True)))


def get_last_ended_season(*, now: datetime.datetime | None = None) -> Season | None:
    """Of the seasons that were ever active, the one whose end is the latest at or before `now`, else None.

    Ever active: flagged active now, or at some moment of its History (deactivated since). A season
    never active (a draft, a copy, a test) has no final standings: the due final of a SEASON board
    (leaderboards.periods.previous_period), and with it the season's final recompute, is never made
    for it; staff may still generate a final for its dates explicitly (`--final`). One query.
    """
    now = now or timezone.now()
    return Season.objects.filter(_WAS_ACTIVE, ends_at__lte=now).order_by("-ends_at").first()


def seasons_ended_between(*, after: datetime.datetime, now: datetime.datetime) -> QuerySet[Season]:
    """Of the seasons ever active, those that ended after `after` and at or before `now`, the earliest end first."""
    return Season.objects.filter(_WAS_ACTIVE, ends_at__gt=after, ends_at__lte=now).order_by("ends_at", "id")


# --- withholding a cluster's progress ------------------------------------------------------------
#
# Seasons read no other app (leaderboards -> seasons), so an app that must keep a cluster's
# progress from being served (the leaderboards' exclusions from everything) registers a SQL
# condition in its AppConfig.ready() (withhold_progress_where), evaluated inside the progress
# read's own statement (sql.PROGRESS), so it costs no query; the stored points stay as they are,
# and the API answers 404 "excluded".

_withheld_conditions: list[str] = []


def withhold_progress_where(condition: str) -> None:
    """Withhold the season progress of a cluster whenever the SQL `condition` holds for it.

    `condition` is a boolean SQL expression over the parameters `%(cluster)s` (the cluster id) and
    `%(now)s` (the moment of the read, as hedge.core.db.sql_datetime writes it), typically an EXISTS
    over the registering app's own table and index; it must run on PostgreSQL and SQLite alike.
    Call it from AppConfig.ready(); registering the same condition twice changes nothing.
    """
    if condition not in _withheld_conditions:
        _withheld_conditions.append(condition)
        _progress_statement.cache_clear()


def stop_withholding_progress_where(condition: str) -> None:
    """Withdraw a condition registered with withhold_progress_where (nothing if it is not registered)."""
    if condition in _withheld_conditions:
        _withheld_conditions.remove(condition)
        _progress_statement.cache_clear()


def is_progress_withheld(cluster_id: str, *, now: datetime.datetime) -> bool:
    """Whether a registered condition withholds the cluster's progress now (claims are refused too); one query.

    Read where reads go now: a replica while a public API request is served, else the primary.
    """
    if not _withheld_conditions:
        return False
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(
            f"SELECT CASE WHEN {_withheld()} THEN 1 ELSE 0 END", {"cluster": cluster_id, "now": sql_datetime(now)}
        )
        return cursor.fetchone()[0] == 1


def _withheld() -> str:
    """The registered conditions as one SQL condition (FALSE: none)."""
    return " OR ".join(f"({condition})" for condition in _withheld_conditions) or "FALSE"


@functools.cache
def _progress_statement() -> str:
    return sql.PROGRESS.format(withheld=_withheld())


def season_of_period(start: datetime.datetime, end: datetime.datetime) -> Season | None:
    """The season whose dates are exactly [start, end) (a SEASON leaderboard's period), else None."""
    return Season.objects.filter(starts_at=start, ends_at=end).order_by("-id").first()


# --- the pass: reward tracks ---------------------------------------------------------------------
#
# Reads of the pass: a season's reward tracks, and where one cluster stands on each reward.
#
# A reward's state for a cluster, first match wins:
#
# - `claimed`: the cluster claimed its level of its track (a claim stays, whatever happens later);
# - `closed`: claims of the season have closed (`Season.claims_deadline`);
# - `locked`: the cluster's level is below the reward's;
# - `premium_required`: a PREMIUM reward of a reached level, and the cluster has no premium pass;
# - `claimable`: otherwise.
#
# The level is the one the API shows (stored points on the season's current curve), so a reward
# shown claimable is one the claim endpoint accepts.


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
