"""Writes of the season engine: each cluster's points and level in a season, computed set-based."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from hedge.challenges.models import CLUSTER_ID_MAX_LENGTH, cluster_id_problem
from hedge.db import bulk_load, create_temp_table, drop_temp_table, is_postgresql, sql_datetime

from .models import Season, SeasonProgress
from .scoring import level_sql, weighted_points_sql
from .selectors import get_active_season


@dataclass(frozen=True)
class RecomputeResult:
    season_id: str
    # Clusters whose points were computed; each one's row was inserted, updated or left as it was.
    considered: int = 0
    inserted: int = 0
    updated: int = 0

    @property
    def unchanged(self) -> int:
        return self.considered - self.inserted - self.updated

    @property
    def changed(self) -> int:
        return self.inserted + self.updated

    def __str__(self) -> str:
        return (
            f"season {self.season_id}: {self.considered} clusters computed, {self.inserted} inserted,"
            f" {self.updated} updated, {self.unchanged} unchanged"
        )


class SeasonEndedError(ValueError):
    """A season that has ended is not recomputed: its stored progress is final."""


_SCOPE = "seasons_recompute_scope"


def _upsert_sql(*, whole_season: bool) -> str:
    """The one statement that writes season_progress.

    With `whole_season`, it computes every cluster with progress in a weighted challenge plus every
    cluster that already has a row (so a removed weight or vanished progress brings stale points
    down). Otherwise it computes the clusters listed in the scope table, each of which gets a row,
    with 0 points when it has no progress in any weighted challenge. Only rows whose points or
    level differ are rewritten, so `updated_at` says when they last changed.
    """
    contributions = f"SELECT x.cluster_id AS cluster_id, x.points AS points FROM ({weighted_points_sql()}) x"
    if whole_season:
        rows = (
            f"{contributions} UNION ALL SELECT sp.cluster_id, 0 FROM season_progress sp WHERE sp.season_id = %(season)s"
        )
    else:
        rows = (
            f"{contributions} WHERE x.cluster_id IN (SELECT s.cluster_id FROM {_SCOPE} s)"
            f" UNION ALL SELECT s.cluster_id, 0 FROM {_SCOPE} s"
        )
    # SUM of bigint is numeric on PostgreSQL: cast before dividing, or the level would be rounded.
    total = "CAST(SUM(r.points) AS BIGINT)"
    return (
        "INSERT INTO season_progress (season_id, cluster_id, points, level, updated_at)"
        f" SELECT %(season)s, r.cluster_id, {total}, {level_sql(total, '%(points_per_level)s')}, %(now)s"
        f" FROM ({rows}) r"
        " GROUP BY r.cluster_id"
        " ON CONFLICT (season_id, cluster_id) DO UPDATE SET"
        " points = excluded.points, level = excluded.level, updated_at = excluded.updated_at"
        " WHERE season_progress.points <> excluded.points OR season_progress.level <> excluded.level"
    )


# Clusters with a progress row in a weighted challenge of the season that changed since a moment.
_CHANGED_CLUSTERS_SQL = (
    f"INSERT INTO {_SCOPE} (cluster_id)"
    " SELECT DISTINCT p.cluster_id FROM challenge_progress p"
    " JOIN challenges c ON c.id = p.challenge_id"
    " JOIN season_challenge_weights w ON w.challenge_code = c.code AND w.season_id = %(season)s"
    " WHERE p.updated_at >= %(since)s"
)


def _checked_cluster_ids(cluster_ids: Iterable[str]) -> Iterator[tuple[str]]:
    for cluster_id in dict.fromkeys(cluster_ids):
        if (problem := cluster_id_problem(cluster_id)) is not None:
            raise ValueError(problem)
        yield (cluster_id,)


# Stored datetimes have microsecond resolution: the first moment after the watermark.
_TICK = datetime.timedelta(microseconds=1)


def _catch_up_since(season: Season, changed_since: datetime.datetime) -> datetime.datetime:
    """The earliest stamp whose changes may be missing from the season's points, at most `changed_since`."""
    if season.points_synced_through is None:
        return changed_since
    return min(changed_since, season.points_synced_through + _TICK)


def _mark_synced_through(season: Season, moment: datetime.datetime) -> None:
    Season.objects.filter(pk=season.pk).update(points_synced_through=moment)


def _count_rows(cursor, season_id: str, *, scoped: bool) -> int:
    join = f" JOIN {_SCOPE} s ON s.cluster_id = sp.cluster_id" if scoped else ""
    cursor.execute(f"SELECT COUNT(*) FROM season_progress sp{join} WHERE sp.season_id = %s", [season_id])
    return cursor.fetchone()[0]


def recompute_season_points(
    season: Season,
    *,
    cluster_ids: Iterable[str] | None = None,
    changed_since: datetime.datetime | None = None,
    catch_up: bool = False,
    now: datetime.datetime | None = None,
) -> RecomputeResult:
    """Bring season_progress of `season` up to date, in one `INSERT ... SELECT ... ON CONFLICT` statement.

    A cluster's points are the sum over the season's weights of `challenge_progress.value x weight`
    (a missing progress row counts 0) and its level follows from them (see `seasons.scoring`).
    Which clusters are computed:
    - `cluster_ids`: these clusters (each gets a row, 0 points when it has no progress);
    - `changed_since`: every cluster with a progress row in a weighted challenge changed at or
      after that moment (its points still sum all its weighted challenges);
    - neither: every cluster with progress in a weighted challenge, plus every cluster that
      already has a row in this season.
    Only rows whose points or level changed are written, with `updated_at = now`.

    The season's watermark `points_synced_through` (every change stamped at or before it is in
    the points) is kept in the same transaction: a whole-season recompute moves it to `now`.
    With `changed_since` and `catch_up` (the post-ETL hook), the clusters changed after the
    watermark are computed too, when it is earlier than `changed_since` (a run whose hook failed),
    and the watermark then moves to `changed_since`. Recomputing given clusters leaves it alone.

    Recomputes of one season run one at a time. Raises SeasonEndedError for a season that has
    ended and ValueError for a bad cluster id; either way nothing is written.
    """
    if cluster_ids is not None and changed_since is not None:
        raise ValueError("pass cluster_ids or changed_since, not both")
    if catch_up and changed_since is None:
        raise ValueError("catch_up needs changed_since")
    now = now or timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        # The lock serializes recomputes of one season (so the counts are exact and two upserts
        # never deadlock on the same rows) and reads points_per_level as it is now.
        season = Season.objects.select_for_update().get(pk=season.pk)
        if season.ends_at <= now:
            raise SeasonEndedError(
                f"season {season.pk} ended at {season.ends_at:%Y-%m-%d %H:%M %Z}; its progress is final"
            )
        params = {"season": season.pk, "now": sql_datetime(now), "points_per_level": season.points_per_level}
        if cluster_ids is None and changed_since is None:
            before = _count_rows(cursor, season.pk, scoped=False)
            cursor.execute(_upsert_sql(whole_season=True), params)
            changed = cursor.rowcount
            inserted = _count_rows(cursor, season.pk, scoped=False) - before
            _mark_synced_through(season, now)
            # Every row of the season was in scope, and every cluster in scope now has a row.
            return RecomputeResult(
                season.pk, considered=before + inserted, inserted=inserted, updated=changed - inserted
            )

        create_temp_table(cursor, _SCOPE, f"cluster_id varchar({CLUSTER_ID_MAX_LENGTH}) NOT NULL PRIMARY KEY")
        try:
            if cluster_ids is not None:
                considered = bulk_load(cursor, _SCOPE, ("cluster_id",), _checked_cluster_ids(cluster_ids))
            else:
                since = _catch_up_since(season, changed_since) if catch_up else changed_since
                cursor.execute(_CHANGED_CLUSTERS_SQL, {"season": season.pk, "since": sql_datetime(since)})
                considered = cursor.rowcount
            if catch_up:
                # Written first: every statement of this transaction commits or none does.
                _mark_synced_through(season, changed_since)
            if considered == 0:
                return RecomputeResult(season.pk)
            if is_postgresql():
                # Autovacuum never analyzes temp tables; without statistics the planner guesses
                # hundreds of rows and hash-joins whole tables even for a single cluster.
                cursor.execute(f"ANALYZE {_SCOPE}")
            inserted = considered - _count_rows(cursor, season.pk, scoped=True)
            cursor.execute(_upsert_sql(whole_season=False), params)
            changed = cursor.rowcount
        finally:
            drop_temp_table(cursor, _SCOPE)
    return RecomputeResult(season.pk, considered=considered, inserted=inserted, updated=changed - inserted)


def compute_season_points_for_cluster(
    cluster_id: str, *, now: datetime.datetime | None = None
) -> SeasonProgress | None:
    """The request's computeSeasonPointsForCluster: upsert one cluster's row in the active season.

    No active season: returns None and writes nothing. Otherwise computes exactly as
    `recompute_season_points` does (it is the same statement, scoped to one cluster) and returns
    the cluster's SeasonProgress row, with 0 points when it has no progress.
    """
    season = get_active_season(now=now)
    if season is None:
        return None
    with transaction.atomic():
        recompute_season_points(season, cluster_ids=[cluster_id], now=now)
        return SeasonProgress.objects.get(season=season, cluster_id=cluster_id)
