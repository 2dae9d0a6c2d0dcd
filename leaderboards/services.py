"""Writes of the leaderboards app: generating a run, and pruning old ones."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, OperationalError, connection, transaction
from django.utils import timezone

from hedge.db import is_postgresql, sql_datetime

from .errors import GenerationFailed, InactiveLeaderboard, InvalidDefinition, LeaderboardError, UnknownLeaderboard
from .models import LeaderboardDef, LeaderboardRun, RankMode, RunStatus
from .periods import Period, derive_period, explicit_period
from .resolve import ResolvedChallenges, resolve_challenges
from .selectors import LATEST_ORDER

logger = logging.getLogger(__name__)

# A PROCESSING run older than this, found by a later generation of the same leaderboard while it
# holds the lock, belongs to a process that died (a live one would be holding the lock itself).
ABANDONED_AFTER = datetime.timedelta(hours=6)

_RANK_FUNCTIONS = {RankMode.DENSE: "DENSE_RANK", RankMode.COMPETITION: "RANK"}


def generate_leaderboard_run(
    leaderboard_key: str,
    *,
    period_start: datetime.datetime | None = None,
    period_end: datetime.datetime | None = None,
    force: bool = False,
    now: datetime.datetime | None = None,
) -> LeaderboardRun:
    """Rank every cluster for one leaderboard and publish the result as a new COMPLETE run.

    1. Load the definition (UnknownLeaderboard; InactiveLeaderboard unless `force`), derive the
       period from its window at `now` (NoActiveSeason for SEASON between seasons) or take the
       explicit `period_start`/`period_end` (both or neither, aware, start < end: InvalidPeriod),
       resolve its challenges (InvalidDefinition). Nothing is written when any of these fails.
       A run with an explicit period is a backfill (`is_backfill`): it is served as the latest
       run only while the leaderboard has no scheduled COMPLETE run.
    2. Create the run as PROCESSING and commit it, so staff can see it.
    3. In one transaction: lock the definition row, rank with one `INSERT ... SELECT` using window
       functions (order: score desc, tiebreaker desc, cluster_id asc; rank per rank_mode; the first
       max_entries positions, all when 0), set row_count and COMPLETE. Readers see the
       whole run or none of it; earlier runs are never touched.
    4. On any error the transaction rolls back (no entries remain), the run is recorded FAILED
       with the error text in its own write, and GenerationFailed (with `.run`, the original error
       chained) is raised.

    Concurrency: generations of the same leaderboard never interleave. A second caller WAITS for
    the first to finish: on PostgreSQL on the definition's row lock (SELECT ... FOR NO KEY UPDATE;
    its PROCESSING run is already visible while it waits) for at most settings.LEADERBOARD_LOCK_TIMEOUT
    seconds, after which its run fails saying another generation is still running; on SQLite on the
    database write lock, which every IMMEDIATE transaction takes, for at most the busy timeout
    (30 s), after which it fails with "database is locked".
    """
    now = now or timezone.now()
    definition = LeaderboardDef.objects.filter(key=leaderboard_key).first()
    if definition is None:
        raise UnknownLeaderboard(leaderboard_key)
    if not definition.is_active and not force:
        raise InactiveLeaderboard(leaderboard_key)
    explicit = explicit_period(period_start, period_end)
    period = explicit or derive_period(definition.time_window, now=now)
    try:
        resolved = resolve_challenges(definition)
    except ValidationError as exc:
        raise InvalidDefinition(f"Leaderboard {leaderboard_key!r}: {' '.join(exc.messages)}") from exc

    run = _create_processing_run(definition, resolved, period, is_backfill=explicit is not None)
    try:
        with transaction.atomic():
            _lock_definition(definition)
            started = timezone.now()
            row_count = _insert_entries(run, definition, resolved, period, stamp=started)
            finished = timezone.now()
            if not _publish(run, row_count=row_count, finished=finished):
                raise LeaderboardError("the run was marked abandoned while it waited for the lock")
    except BaseException as exc:
        _record_failure(run, exc)
        if isinstance(exc, Exception):
            raise GenerationFailed(run, exc) from exc
        raise
    run.status, run.row_count = RunStatus.COMPLETE, row_count
    run.finished_at = run.updated_at = finished
    logger.info("leaderboard %s: run %s complete, %s rows", definition.key, run.pk, row_count)
    return run


# The run's own bookkeeping (create, publish) is written as plain SQL: it is on the path of every
# generation, and at top-N sizes the ORM's per-statement cost was a third of hedge's time next to
# the bare ranking statement (docs/benchmarks.md).


def _create_processing_run(
    definition: LeaderboardDef, resolved: ResolvedChallenges, period: Period, *, is_backfill: bool
) -> LeaderboardRun:
    """Insert the run as PROCESSING and commit it at once, so staff can see it while it ranks."""
    now = timezone.now()
    run = LeaderboardRun(
        leaderboard=definition,
        period_start=period.start,
        period_end=period.end,
        is_backfill=is_backfill,
        status=RunStatus.PROCESSING,
        challenge=resolved.challenge,
        fallback_challenge=resolved.fallback,
        created_at=now,
        updated_at=now,
    )
    stamp = sql_datetime(now)
    insert = (
        "INSERT INTO leaderboard_runs (leaderboard_key, period_start, period_end, is_backfill, status, row_count,"
        " challenge_id, fallback_challenge_id, error, created_at, updated_at)"
        " VALUES (%s, %s, %s, %s, %s, 0, %s, %s, '', %s, %s) RETURNING id"
    )
    params = [
        definition.key,
        sql_datetime(period.start),
        sql_datetime(period.end),
        is_backfill,
        RunStatus.PROCESSING,
        resolved.challenge.pk,
        resolved.fallback.pk if resolved.fallback else None,
        stamp,
        stamp,
    ]
    with connection.cursor() as cursor:
        if is_postgresql() and not connection.in_atomic_block:
            # The PROCESSING marker needs no flush to disk of its own (a crash loses the whole
            # generation anyway): it commits without waiting for one, and is visible at once.
            # Both statements go in one round trip and run as one implicit transaction, which
            # SET LOCAL (set_config(..., true)) lasts for.
            cursor.execute(f"SELECT set_config('synchronous_commit', 'off', true); {insert}", params)
            cursor.nextset()
        else:
            cursor.execute(insert, params)
        run.pk = cursor.fetchone()[0]
    return run


def _publish(run: LeaderboardRun, *, row_count: int, finished: datetime.datetime) -> bool:
    """Mark the run COMPLETE with its row count; False when it is no longer PROCESSING."""
    stamp = sql_datetime(finished)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE leaderboard_runs SET status = %s, row_count = %s, finished_at = %s, updated_at = %s"
            " WHERE id = %s AND status = %s",
            [RunStatus.COMPLETE, row_count, stamp, stamp, run.pk, RunStatus.PROCESSING],
        )
        return cursor.rowcount == 1


def _lock_definition(definition: LeaderboardDef) -> None:
    # FOR NO KEY UPDATE: a second caller can still insert its PROCESSING run (whose foreign key
    # takes FOR KEY SHARE on this row) and then queues here. On SQLite select_for_update is a
    # no-op; the IMMEDIATE transaction already holds the database's write lock (and its busy
    # timeout bounds the wait).
    if not is_postgresql():
        list(LeaderboardDef.objects.select_for_update(no_key=True).filter(pk=definition.pk).values_list("pk"))
        return
    # Bound the wait, so cron ticks queued behind a long generation give up instead of piling up.
    # (It stays set for the rest of this transaction, whose other statements wait on no lock.)
    # One round trip for both: this is on every generation's path.
    timeout = f"{int(settings.LEADERBOARD_LOCK_TIMEOUT * 1000)}ms"
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('lock_timeout', %s, true);"
                " SELECT 1 FROM leaderboard_defs WHERE id = %s FOR NO KEY UPDATE",
                [timeout, definition.pk],
            )
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", None) != "55P03":  # lock_not_available
            raise
        raise LeaderboardError(
            f"another generation of {definition.key!r} is still running after "
            f"{settings.LEADERBOARD_LOCK_TIMEOUT:g} s (LEADERBOARD_LOCK_TIMEOUT); this one gave up"
        ) from exc


def _fail_abandoned_runs(key: str, *, now: datetime.datetime) -> int:
    """Mark FAILED the PROCESSING runs of `key` older than ABANDONED_AFTER: their process died.

    Housekeeping, done by `prune_leaderboard_runs` under the definition's lock rather than on
    every generation's hot path. A live generation never gets that old: it waits at most
    LEADERBOARD_LOCK_TIMEOUT for the lock, and a run marked meanwhile fails instead of publishing.
    """
    return LeaderboardRun.objects.filter(
        leaderboard_id=key, status=RunStatus.PROCESSING, created_at__lt=now - ABANDONED_AFTER
    ).update(
        status=RunStatus.FAILED,
        error=f"abandoned: still PROCESSING after {ABANDONED_AFTER} (the process running it stopped)",
        finished_at=now,
        updated_at=now,
    )


def _score_source_sql(resolved: ResolvedChallenges, period: Period) -> tuple[str, list]:
    """The SELECT of what is ranked: one row (cluster_id, score, tiebreaker, fallback_value) per cluster.

    v1 scores are the clusters' current challenge_progress values, whatever the period; clusters
    without a progress row are not ranked. Time-bounded scores (from challenge_progress_history
    over `period`) and excluded clusters belong here, without touching the ranking.
    """
    if resolved.fallback is None:
        return (
            "SELECT p.cluster_id AS cluster_id, p.value AS score, 0 AS tiebreaker,"
            " CAST(NULL AS bigint) AS fallback_value"
            " FROM challenge_progress p WHERE p.challenge_id = %s",
            [resolved.challenge.pk],
        )
    return (
        "SELECT p.cluster_id AS cluster_id, p.value AS score, COALESCE(f.value, 0) AS tiebreaker,"
        " f.value AS fallback_value"
        " FROM challenge_progress p"
        " LEFT JOIN challenge_progress f ON f.challenge_id = %s AND f.cluster_id = p.cluster_id"
        " WHERE p.challenge_id = %s",
        [resolved.fallback.pk, resolved.challenge.pk],
    )


def _insert_entries(
    run: LeaderboardRun,
    definition: LeaderboardDef,
    resolved: ResolvedChallenges,
    period: Period,
    *,
    stamp: datetime.datetime,
) -> int:
    """Rank and write the entries of `run` in one INSERT ... SELECT; returns how many were written."""
    source, source_params = _score_source_sql(resolved, period)
    order = f"s.score DESC, s.tiebreaker DESC, {_binary('s.cluster_id')}"
    if definition.max_entries:
        # The first N rows in the full order are the top N whatever the ranking, and ranks within
        # them are the same as over every row, so the window functions only see N rows (a top-N
        # sort or an index scan instead of sorting every cluster).
        ranked = f"(SELECT s.* FROM ({source}) s ORDER BY {order} LIMIT %s) r"
        source_params = [*source_params, definition.max_entries]
    else:
        ranked = f"({source}) r"
    build_object = "jsonb_build_object" if is_postgresql() else "json_object"
    rank_function = _RANK_FUNCTIONS[RankMode(definition.rank_mode)]
    sql = (
        "INSERT INTO leaderboard_entries"
        " (run_id, cluster_id, rank, position, score, tiebreaker, payload, created_at)"
        " SELECT %s, r.cluster_id,"
        f" {rank_function}() OVER (ORDER BY r.score DESC, r.tiebreaker DESC),"
        f" ROW_NUMBER() OVER (ORDER BY r.score DESC, r.tiebreaker DESC, {_binary('r.cluster_id')}),"
        " r.score, r.tiebreaker,"
        f" {build_object}('challengeCode', CAST(%s AS text), 'fallbackChallengeCode', CAST(%s AS text),"
        " 'fallbackValue', r.fallback_value),"
        " %s"
        f" FROM {ranked}"
    )
    params = [
        run.pk,
        resolved.challenge.code,
        resolved.fallback.code if resolved.fallback else None,
        sql_datetime(stamp),
        *source_params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _binary(column: str) -> str:
    """`column` compared byte by byte (code point order), as SQLite's default BINARY collation does.

    PostgreSQL otherwise orders text by the database's collation (e.g. en_US puts "a b" after
    "Cluster-c" and ignores case first), so positions among equal scores would differ between
    databases and with the server's locale.
    """
    return f'{column} COLLATE "C"' if is_postgresql() else column


def _record_failure(run: LeaderboardRun, exc: BaseException) -> None:
    now = timezone.now()
    run.status, run.finished_at, run.updated_at = RunStatus.FAILED, now, now
    run.error = f"{type(exc).__name__}: {exc}".strip()
    try:
        LeaderboardRun.objects.filter(pk=run.pk).update(
            status=run.status, error=run.error, finished_at=now, updated_at=now
        )
    except DatabaseError:
        # The database itself is what failed; the PROCESSING row is cleaned up as abandoned later.
        logger.exception("leaderboard %s: could not record run %s as FAILED", run.leaderboard_id, run.pk)
    logger.warning("leaderboard %s: run %s failed: %s", run.leaderboard_id, run.pk, run.error)


# --- retention ---------------------------------------------------------------------------------

DEFAULT_KEEP = 20


@dataclass(frozen=True)
class PruneResult:
    leaderboard_key: str
    runs_deleted: int
    entries_deleted: int
    runs_abandoned: int = 0


def prune_leaderboard_runs(
    *,
    keep: int = DEFAULT_KEEP,
    leaderboard_key: str | None = None,
    now: datetime.datetime | None = None,
) -> list[PruneResult]:
    """Delete old runs and their entries: of each leaderboard (or only `leaderboard_key`), keep

    - the `keep` latest COMPLETE runs in the latest-run order (scheduled runs first, then newest;
      so the run the API serves as latest is always kept, `keep` being at least 1),
    - the `keep` newest FAILED runs (their errors, for diagnosis; they have no entries),
    - every PENDING or PROCESSING run (in flight), and every run that finished at or after `now`,

    and delete every other run with its entries. Per leaderboard, in one transaction that holds
    the definition's lock (so no generation publishes meanwhile): one `DELETE ... WHERE run_id IN
    (SELECT ...)` for the entries and one for the runs; no entry row is read into Python, and the
    number of statements does not depend on how many runs or entries there are.

    Raises ValueError when `keep` < 1, UnknownLeaderboard for an unknown key.
    Returns one PruneResult per leaderboard, by key.
    """
    if keep < 1:
        raise ValueError(f"keep must be at least 1 (the latest run is always kept), not {keep}")
    now = now or timezone.now()
    definitions = LeaderboardDef.objects.order_by("key")
    if leaderboard_key is not None:
        definitions = definitions.filter(key=leaderboard_key)
    keys = list(definitions.values_list("key", flat=True))
    if leaderboard_key is not None and not keys:
        raise UnknownLeaderboard(leaderboard_key)
    return [_prune_one(key, keep=keep, now=now) for key in keys]


@transaction.atomic
def _prune_one(key: str, *, keep: int, now: datetime.datetime) -> PruneResult:
    list(LeaderboardDef.objects.select_for_update(no_key=True).filter(key=key).values_list("pk", flat=True))
    abandoned = _fail_abandoned_runs(key, now=now)
    runs = LeaderboardRun.objects.filter(leaderboard_id=key)
    kept_complete = runs.filter(status=RunStatus.COMPLETE).order_by(*LATEST_ORDER).values("pk")[:keep]
    kept_failed = runs.filter(status=RunStatus.FAILED).order_by("-id").values("pk")[:keep]
    doomed = (
        runs.filter(status__in=[RunStatus.COMPLETE, RunStatus.FAILED], finished_at__lt=now)
        .exclude(pk__in=kept_complete)
        .exclude(pk__in=kept_failed)
        .order_by()
        .values("pk")
    )
    # Both DELETEs evaluate `doomed` anew. Under the lock no run becomes COMPLETE, so the runs
    # whose entries go are exactly the COMPLETE runs that go; a run that fails meanwhile has no
    # entries (its transaction rolled back) and at worst pushes the oldest kept FAILED run out.
    doomed_sql, params = doomed.query.sql_with_params()
    # Raw on purpose: QuerySet.delete() on runs would load each run and cascade in batches.
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM leaderboard_entries WHERE run_id IN ({doomed_sql})", params)
        entries_deleted = cursor.rowcount
        cursor.execute(f"DELETE FROM leaderboard_runs WHERE id IN ({doomed_sql})", params)
        runs_deleted = cursor.rowcount
    if runs_deleted:
        logger.info("leaderboard %s: pruned %s runs, %s entries", key, runs_deleted, entries_deleted)
    return PruneResult(
        leaderboard_key=key, runs_deleted=runs_deleted, entries_deleted=entries_deleted, runs_abandoned=abandoned
    )
