"""Writes of the season engine: each cluster's points and level in a season, computed set-based; and of its pass:
premium grants and reward claims."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db import IntegrityError, connection, transaction
from django.db.models import DateTimeField, Exists, F, OuterRef, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from rest_framework_api_key.models import APIKey

from hedge.challenges.models import BIGINT_MAX, MAX_PROGRESS_VALUE
from hedge.challenges.services.locks import settled_progress_writes
from hedge.core.clusters import CLUSTER_ID_MAX_LENGTH, cluster_id_problem
from hedge.core.db import (
    analyze_in_transaction,
    bulk_load,
    counted_upsert,
    create_temp_table,
    drop_temp_table,
    estimated_rows,
    sql_datetime,
    sum_beyond_bigint,
    without_jit,
)

from . import signals, sql
from .errors import ClaimRefused, SeasonEndedError, SeasonNotStartedError, UnknownLevel
from .levels import level_of
from .models import PremiumGrant, RewardClaim, Scoring, Season, SeasonProgress, SeasonReward, Track
from .selectors import get_active_season, is_progress_withheld


@dataclass(frozen=True)
class RecomputeResult:
    season_id: str
    # Clusters whose points were computed; each one's row was inserted, updated or left as it was.
    considered: int = 0
    inserted: int = 0
    updated: int = 0
    # Clusters whose points do not fit a 64-bit integer: not written, recorded in season_progress_errors.
    failed: int = 0

    @property
    def unchanged(self) -> int:
        return self.considered - self.inserted - self.updated - self.failed

    @property
    def changed(self) -> int:
        return self.inserted + self.updated

    def __str__(self) -> str:
        failed = f", {self.failed} failed (points beyond 64-bit integers)" if self.failed else ""
        return (
            f"season {self.season_id}: {self.considered} clusters computed, {self.inserted} inserted,"
            f" {self.updated} updated, {self.unchanged} unchanged{failed}"
        )


def recompute_season(season: Season, *, now: datetime.datetime | None = None) -> RecomputeResult:
    """Compute every cluster of `season`: those that earned points, and those that already have a row.

    A season that has ended is computed once more, from values as of its end, and marked final
    (`finalized_at`); after that SeasonEndedError. A season that has not started raises
    SeasonNotStartedError. Moves the season's watermark (`points_synced_through`) to `now`, and
    clears `points_stale_since`: every stored row now follows from the season as it is.

    Reads only once every progress write stamped at or before `now` has committed (it waits for an
    ETL run or import in flight, at most PROGRESS_WRITE_WAIT, else ProgressWritesInFlight): final
    points never miss a write in flight, and the watermark never passes one (a later catch-up
    would skip it).
    """
    now = now or timezone.now()  # before the wait: the writes it waits for are stamped up to here
    with settled_progress_writes(), transaction.atomic(), connection.cursor() as cursor:
        season = _locked(season, now=now, allow_final=True)
        ended = season.ends_at <= now
        params = _params(season, now=now)
        if season.scoring == Scoring.GAINS:
            statement, form = sql.GAINS_SEASON, "GAINS"
        else:
            statement, form = (sql.VALUES_AS_OF_SEASON, "VALUES_AS_OF") if ended else (sql.LIFETIME_SEASON, "LIFETIME")
        cursor.execute(sql.CLEAR_ERRORS_SEASON, params)
        guarded = _can_overflow(season)
        failed = _record_overflows(cursor, sql.FIND_OVERFLOWS[form], params) if guarded else 0
        statement = statement.format(guard=sql.OVERFLOW_GUARD if guarded else "")
        inserted, changed = counted_upsert(cursor, statement, params, count_sql=sql.COUNT_SEASON)
        cursor.execute(sql.COUNT_SEASON, params)
        considered = cursor.fetchone()[0]
        if failed:  # a failed cluster without a row is not counted above
            considered += (
                failed
                - SeasonProgress.objects.filter(
                    season=season, cluster_id__in=season.progress_errors.values("cluster_id")
                ).count()
            )
        Season.objects.filter(pk=season.pk).update(
            points_synced_through=now, finalized_at=now if ended else None, points_stale_since=None
        )
        if failed:
            _send_recompute_failed(season, failed)
        if ended:
            signals.season_finalized.send(sender=Season, season=season, finalized_at=now)
    return RecomputeResult(
        season.pk, considered=considered, inserted=inserted, updated=changed - inserted, failed=failed
    )


def recompute_clusters(
    season: Season, cluster_ids: Iterable[str], *, now: datetime.datetime | None = None
) -> RecomputeResult:
    """Compute these clusters of a running season; each gets a row, with 0 points when it earned nothing.

    ValueError (nothing written) for a bad cluster id; SeasonEndedError / SeasonNotStartedError
    outside the season. The watermark is left alone.
    """
    now = now or timezone.now()
    with transaction.atomic(), connection.cursor() as cursor, _scope(cursor):
        season = _locked(season, now=now)
        considered = bulk_load(cursor, sql.SCOPE_TABLE, ("cluster_id",), _checked_cluster_ids(cluster_ids))
        return _upsert_scope(cursor, season, considered=considered, now=now)


def recompute_changed_since(
    season: Season, changed_since: datetime.datetime, *, now: datetime.datetime | None = None
) -> RecomputeResult:
    """The post-ETL hook's recompute: the clusters with a weighted progress row changed at or after `changed_since`.

    Catches up: when the season's watermark is earlier (a run whose hook failed), the clusters
    changed since the watermark are computed too. The watermark then moves to `changed_since`,
    in the same transaction.
    """
    now = now or timezone.now()
    with transaction.atomic(), connection.cursor() as cursor, _scope(cursor):
        season = _locked(season, now=now)
        since = changed_since
        if season.points_synced_through is not None:
            since = min(changed_since, season.points_synced_through + _TICK)
        cursor.execute(sql.CHANGED_CLUSTERS, {"season": season.pk, "since": sql_datetime(since)})
        considered = cursor.rowcount
        Season.objects.filter(pk=season.pk).update(points_synced_through=changed_since)
        return _upsert_scope(cursor, season, considered=considered, now=now)


def mark_points_stale(season: Season, *, now: datetime.datetime | None = None) -> bool:
    """Record that the season's stored points and levels no longer follow from its settings; whether it did.

    Called when staff change its dates, scoring, weights, points per level or level curve. Only a
    season already computed (a watermark, or progress rows) has anything stale; a season never
    computed is computed whole by its first post-ETL hook anyway. The first moment is kept until
    a recompute of the whole season clears it (`recompute_season`). One UPDATE.
    """
    now = now or timezone.now()
    computed = Q(points_synced_through__isnull=False) | Q(Exists(SeasonProgress.objects.filter(season=OuterRef("pk"))))
    marked = Season.objects.filter(computed, pk=season.pk, finalized_at__isnull=True).update(
        points_stale_since=Coalesce(F("points_stale_since"), Value(now, output_field=DateTimeField()))
    )
    return marked == 1


def compute_season_points_for_cluster(
    cluster_id: str, *, now: datetime.datetime | None = None
) -> SeasonProgress | None:
    """The request's computeSeasonPointsForCluster: upsert one cluster's row in the active season.

    No active season: returns None and writes nothing. Otherwise the cluster's row as
    `recompute_clusters` computes it (0 points when it earned nothing).
    """
    season = get_active_season(now=now)
    if season is None:
        return None
    with transaction.atomic():
        recompute_clusters(season, [cluster_id], now=now)
        return SeasonProgress.objects.get(season=season, cluster_id=cluster_id)


# Stored datetimes have microsecond resolution: the first moment after the watermark.
_TICK = datetime.timedelta(microseconds=1)


def _locked(season: Season, *, now: datetime.datetime, allow_final: bool = False) -> Season:
    """The season re-read under its row lock, which serializes its recomputes; refuses one outside its dates."""
    # Its weights come with it (one query): choosing and guarding a recompute reads them up to three times.
    season = Season.objects.select_for_update().prefetch_related("weights").get(pk=season.pk)
    if now < season.starts_at:
        raise SeasonNotStartedError(
            f"season {season.pk} starts at {season.starts_at:%Y-%m-%d %H:%M %Z}; it has no progress before then"
        )
    if season.ends_at <= now and (not allow_final or season.finalized_at is not None):
        raise SeasonEndedError(
            f"season {season.pk} ended at {season.ends_at:%Y-%m-%d %H:%M %Z}"
            + (
                " and its progress is final"
                if season.finalized_at
                else "; recompute the whole season once to finalize it"
            )
        )
    return season


def _params(season: Season, *, now: datetime.datetime) -> dict:
    return {
        "season": season.pk,
        "points_per_level": season.points_per_level,
        "now": sql_datetime(now),
        "start": sql_datetime(season.starts_at),
        "until": sql_datetime(min(season.ends_at, now)),
    }


@contextmanager
def _scope(cursor) -> Iterator[None]:
    create_temp_table(cursor, sql.SCOPE_TABLE, f"cluster_id varchar({CLUSTER_ID_MAX_LENGTH}) NOT NULL PRIMARY KEY")
    try:
        yield
    finally:
        drop_temp_table(cursor, sql.SCOPE_TABLE)


def _upsert_scope(cursor, season: Season, *, considered: int, now: datetime.datetime) -> RecomputeResult:
    if considered == 0:
        return RecomputeResult(season.pk)
    params = _params(season, now=now)
    form = "GAINS" if season.scoring == Scoring.GAINS else "LIFETIME"
    statement = sql.GAINS_SCOPE if form == "GAINS" else _lifetime_scope_statement(season, considered)
    if statement is not sql.LIFETIME_SCOPE_BY_INDEX:
        # The others join the scope, planned from its size; the by-index form reads it once, row by row,
        # whatever the statistics say (and ANALYZE costs a catalog write per recompute).
        analyze_in_transaction(cursor, sql.SCOPE_TABLE)
    without_jit(cursor)
    cursor.execute(sql.CLEAR_ERRORS_SCOPE, params)
    guarded = _can_overflow(season)
    failed = _record_overflows(cursor, sql.FIND_OVERFLOWS_SCOPE[form], params) if guarded else 0
    statement = statement.format(guard=sql.OVERFLOW_GUARD if guarded else "")
    inserted, changed = counted_upsert(cursor, statement, params, count_sql=sql.COUNT_SCOPE)
    if failed:
        _send_recompute_failed(season, failed)
    return RecomputeResult(
        season.pk, considered=considered, inserted=inserted, updated=changed - inserted, failed=failed
    )


# A LIFETIME scope whose pairs are at most this share of challenge_progress is computed pair by
# pair through the index; a larger one by one scan. The planner, misled by the weights join,
# scans every progress row of the season's challenges even for one changed cluster
# (docs/benchmarks.md has the figures).
_BY_INDEX_MAX_SHARE = 0.05


def _lifetime_scope_statement(season: Season, considered: int) -> str:
    if _can_overflow(season):
        # The by-index form sums each cluster before the guard could leave it out (SQLite raises).
        return sql.LIFETIME_SCOPE
    rows = estimated_rows("challenge_progress")
    pairs = considered * len(season.weights.all())
    return sql.LIFETIME_SCOPE_BY_INDEX if rows is None or pairs <= _BY_INDEX_MAX_SHARE * rows else sql.LIFETIME_SCOPE


def _can_overflow(season: Season) -> bool:
    """Whether a cluster's points could go beyond 64-bit integers (every value at its maximum, x the weights)."""
    return sum(w.weight for w in season.weights.all()) * MAX_PROGRESS_VALUE > BIGINT_MAX


def _record_overflows(cursor, statement: str, params: dict) -> int:
    """Record the clusters whose points do not fit (the guarded upsert then leaves them alone); how many.

    Run only for a season whose weights could overflow (`_can_overflow`): almost no season.
    """
    error = "season points beyond 64-bit integers (the sum of weight x value of its challenges)"
    cursor.execute(statement.format(beyond_bigint=sum_beyond_bigint("r.points")), {**params, "error": error})
    return cursor.rowcount


def _send_recompute_failed(season: Season, failed: int) -> None:
    error = f"{failed} cluster(s) not stored: season points beyond 64-bit integers (season_progress_errors)"
    signals.recompute_failed.send(sender=Season, season=season, error=error, failed_clusters=failed)


def _checked_cluster_ids(cluster_ids: Iterable[str]) -> Iterator[tuple[str]]:
    for cluster_id in dict.fromkeys(cluster_ids):
        if (problem := cluster_id_problem(cluster_id)) is not None:
            raise ValueError(problem)
        yield (cluster_id,)


# --- the pass: premium grants and reward claims ---------------------------------------------------
#
# Writes of the pass: premium grants and reward claims, each idempotent and safe under concurrency.
#
# Both are called by the service API only, with the API key that asked (every row records it).
# Idempotency rests on the database's unique constraints: a second identical request, concurrent
# or later, finds the first one's row instead of writing another.


T = TypeVar("T")


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
