"""Writes of the season engine: each cluster's points and level in a season, computed set-based."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
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

# How the clusters of a scope are computed (see `_upsert_sql`).
WHOLE_SEASON, SCOPE_BY_INDEX, SCOPE_BY_SCAN = "whole season", "scope by index", "scope by scan"

# A scope fetching at most this share of challenge_progress through the index on cluster_id is
# computed cluster by cluster; a larger one by one scan of the table. Measured at a million clusters
# x 10 challenges, in memory: 1% of the clusters takes 0.35 s by index against 1.2 s by scan, 10%
# takes about the same either way, and beyond that the scan wins.
_BY_INDEX_MAX_SHARE = 0.05
# Below this many progress rows to fetch, a scope is computed by index whatever the table's size.
_BY_INDEX_MIN_ROWS = 10_000


def _upsert_sql(*, scope: str, counted: bool) -> str:
    """The one statement that writes season_progress.

    `WHOLE_SEASON` computes every cluster with progress in a weighted challenge plus every cluster
    that already has a row (so a removed weight or vanished progress brings stale points down).
    The scoped forms compute the clusters listed in the scope table, each of which gets a row, with
    0 points when it has no progress in any weighted challenge. Only rows whose points or level
    differ are rewritten, so `updated_at` says when they last changed.

    `SCOPE_BY_INDEX` sums each cluster's points in a correlated subquery, which PostgreSQL can only
    run as an index lookup per cluster. `SCOPE_BY_SCAN` restricts the progress rows to the scope
    and leaves the plan to the planner, which with the default `random_page_cost` scans the whole
    table even for a small scope (its cost model assumes spinning disks).

    With `counted` (PostgreSQL) the statement returns one row: the season's rows before it ran
    (whole season only; the outer query reads the snapshot from before the insert), the rows it
    inserted and the rows it inserted or updated. An inserted row has no `xmax`; a row rewritten by
    ON CONFLICT DO UPDATE carries the row lock the upsert took first.
    """
    contributions = f"SELECT x.cluster_id AS cluster_id, x.points AS points FROM ({weighted_points_sql()}) x"
    if scope == WHOLE_SEASON:
        rows = (
            f"{contributions} UNION ALL SELECT sp.cluster_id, 0 FROM season_progress sp WHERE sp.season_id = %(season)s"
        )
    elif scope == SCOPE_BY_INDEX:
        rows = (
            f"SELECT s.cluster_id AS cluster_id,"
            f" COALESCE((SELECT SUM(x.points) FROM ({weighted_points_sql()}) x WHERE x.cluster_id = s.cluster_id), 0)"
            f" AS points FROM {_SCOPE} s"
        )
    else:
        rows = (
            f"{contributions} WHERE x.cluster_id IN (SELECT s.cluster_id FROM {_SCOPE} s)"
            f" UNION ALL SELECT s.cluster_id, 0 FROM {_SCOPE} s"
        )
    # SUM of bigint is numeric on PostgreSQL: cast before dividing, or the level would be rounded.
    total = "CAST(SUM(r.points) AS BIGINT)"
    # Summed in a derived table, so the points are computed once and the level reads them (an
    # expression used twice would run the by-index subquery twice). `WHERE true` lets SQLite's
    # parser tell the ON CONFLICT clause from a join constraint.
    upsert = (
        "INSERT INTO season_progress (season_id, cluster_id, points, level, updated_at)"
        f" SELECT %(season)s, t.cluster_id, t.points, {level_sql('t.points', '%(points_per_level)s')}, %(now)s"
        f" FROM (SELECT r.cluster_id AS cluster_id, {total} AS points FROM ({rows}) r GROUP BY r.cluster_id) t"
        " WHERE true"
        " ON CONFLICT (season_id, cluster_id) DO UPDATE SET"
        " points = excluded.points, level = excluded.level, updated_at = excluded.updated_at"
        " WHERE season_progress.points <> excluded.points OR season_progress.level <> excluded.level"
    )
    if not counted:
        return upsert
    before = (
        "(SELECT COUNT(*) FROM season_progress sp WHERE sp.season_id = %(season)s)" if scope == WHOLE_SEASON else "NULL"
    )
    return (
        f"WITH up AS ({upsert} RETURNING (xmax = 0) AS inserted)"
        f" SELECT {before}, COUNT(*) FILTER (WHERE up.inserted), COUNT(*) FROM up"
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


def _scope_form(cursor, considered: int) -> str:
    """`SCOPE_BY_INDEX` when the scope's clusters cover a small share of challenge_progress, else `SCOPE_BY_SCAN`."""
    if not is_postgresql():
        return SCOPE_BY_INDEX
    # The planner's own row estimate of the table (-1 before its first ANALYZE); at most one row
    # per cluster and challenge is fetched through the index on cluster_id.
    cursor.execute(
        "SELECT c.reltuples, (SELECT COUNT(*) FROM challenges) FROM pg_class c"
        " WHERE c.oid = 'challenge_progress'::regclass"
    )
    progress_rows, challenges = cursor.fetchone()
    fetched = considered * challenges
    if fetched <= _BY_INDEX_MIN_ROWS or progress_rows < 0:
        return SCOPE_BY_INDEX
    return SCOPE_BY_INDEX if fetched <= _BY_INDEX_MAX_SHARE * progress_rows else SCOPE_BY_SCAN


@contextmanager
def _jit_off(cursor, off: bool) -> Iterator[None]:
    """PostgreSQL's JIT compilation switched off for the statements inside, and restored after.

    The by-index upsert is tens of thousands of short index lookups, but `random_page_cost` prices
    each as disk reads: from about 10,000 clusters its estimate passes `jit_optimize_above_cost`
    and compiling the plan (0.3 s) takes longer than running the lookups it would speed up.
    SET LOCAL alone would last to the end of a caller's enclosing transaction; a rollback undoes it.
    """
    if not off:
        yield
        return
    cursor.execute("SELECT current_setting('jit'), set_config('jit', 'off', true)")
    previous = cursor.fetchone()[0]
    yield
    cursor.execute("SELECT set_config('jit', %s, true)", [previous])


def _write_points(cursor, params: dict, scope: str, *, considered: int = 0) -> tuple[int, int, int]:
    """Run the upsert over `scope`; returns how many clusters were considered, inserted and changed."""
    if is_postgresql():
        # The counts come back from the upsert itself: no extra scan of season_progress.
        with _jit_off(cursor, scope == SCOPE_BY_INDEX):
            cursor.execute(_upsert_sql(scope=scope, counted=True), params)
            before, inserted, changed = cursor.fetchone()
        return (before + inserted if scope == WHOLE_SEASON else considered), inserted, changed
    # SQLite has no INSERT inside WITH: count the season's rows (in scope) around the upsert.
    before = _count_rows(cursor, params["season"], scoped=scope != WHOLE_SEASON)
    cursor.execute(_upsert_sql(scope=scope, counted=False), params)
    changed = cursor.rowcount
    if scope != WHOLE_SEASON:
        return considered, considered - before, changed
    after = _count_rows(cursor, params["season"], scoped=False)
    # Every row of the season was in scope, and every cluster in scope now has a row.
    return after, after - before, changed


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
            considered, inserted, changed = _write_points(cursor, params, WHOLE_SEASON)
            _mark_synced_through(season, now)
            return RecomputeResult(season.pk, considered=considered, inserted=inserted, updated=changed - inserted)

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
            scope = _scope_form(cursor, considered)
            considered, inserted, changed = _write_points(cursor, params, scope, considered=considered)
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
