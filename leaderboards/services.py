"""Writes of the leaderboards app: generating a run, and pruning old ones."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from hedge.challenges.services.locks import ProgressWritesInFlight, settled_progress_writes
from hedge.core.db import (
    SESSION_MARKER_BASE,
    analyze_in_transaction,
    binary_collation,
    hold_session_marker,
    is_postgresql,
    ranking_plan,
    release_session_marker,
    session_marker_gone_sql,
    set_local_lock_timeout,
    sql_datetime,
    sql_limit,
)
from seasons.services import recompute_season

from . import selectors, signals, sql
from .checksum import definition_snapshot, entries_checksum, input_watermark
from .errors import (
    FinalInputsInFlight,
    GenerationFailed,
    InactiveLeaderboard,
    InvalidDefinition,
    InvalidPeriod,
    LeaderboardError,
    NoteRequired,
    UnknownLeaderboard,
)
from .models import ANALYZED_RUN_ENTRIES, MAX_MOVERS, LeaderboardDef, LeaderboardRun, RunStatus
from .periods import Period, check_final_period, derive_period, explicit_period, season_of
from .resolve import resolve_challenges
from .selectors import LATEST_ORDER

logger = logging.getLogger(__name__)

# A PROCESSING run older than this, found by a later generation of the same leaderboard while it
# holds the lock, belongs to a process that died (a live one would be holding the lock itself).
ABANDONED_AFTER = datetime.timedelta(hours=6)


def generate_leaderboard_run(
    leaderboard_key: str,
    *,
    period_start: datetime.datetime | None = None,
    period_end: datetime.datetime | None = None,
    force: bool = False,
    now: datetime.datetime | None = None,
) -> LeaderboardRun:
    """Rank the clusters of one leaderboard for its current period (or an explicit one) and publish a COMPLETE run.

    The period comes from the time window at `now`, or is the explicit `period_start`/`period_end`
    (a backfill, served as latest only while no scheduled run exists). Refusals (UnknownLeaderboard,
    InactiveLeaderboard unless `force`, InvalidPeriod, InvalidDefinition) write nothing. A failure
    after the run was created records it FAILED and raises GenerationFailed; the previous run
    stays served. Generations of one leaderboard never interleave: the second waits on the
    definition's row lock (PostgreSQL, at most LEADERBOARD_LOCK_TIMEOUT) or the database's write
    lock (SQLite, its busy timeout).
    """
    now = now or timezone.now()
    definition = _definition(leaderboard_key, force=force)
    explicit = explicit_period(period_start, period_end)
    period = explicit or derive_period(definition.time_window, now=now)
    return _generate(definition, period, now=now, is_backfill=explicit is not None)


def generate_final_run(
    leaderboard_key: str,
    *,
    period_start: datetime.datetime,
    period_end: datetime.datetime,
    force: bool = False,
    note: str = "",
    requested_by=None,
    now: datetime.datetime | None = None,
) -> LeaderboardRun:
    """The final standings of an ended period, from values as of its end; replaces an earlier final run of it.

    The earlier final run of the same period (if any) is marked SUPERSEDED, pointing to the new one,
    in the transaction that publishes the new one, so readers see one or the other. Replacing
    needs a `note` (why), kept on the new run with `requested_by` (the staff user; None from a
    command). Raises InvalidPeriod for a period that has not ended, or for ALL_TIME (it has no
    periods), NoteRequired to replace a final run without a note; neither writes anything.
    Ranks only once no progress write stamped before `now` can still commit (FinalInputsInFlight,
    writing nothing, when an ETL run or import is still writing after PROGRESS_WRITE_WAIT).
    """
    now = now or timezone.now()
    note = note.strip()
    definition = _definition(leaderboard_key, force=force)
    period = explicit_period(period_start, period_end)
    if period is None:
        raise InvalidPeriod("A final run needs period_start and period_end.")
    check_final_period(definition.time_window, period, now=now)
    if not note and selectors.has_final_run(definition.key, period):
        raise NoteRequired(definition.key, period)
    with _final_inputs(definition):
        _finalize_season_of(definition, period, now=now)
        return _generate(
            definition, period, now=now, is_backfill=True, is_final=True, note=note, requested_by=requested_by
        )


@dataclass(frozen=True)
class DueFinals:
    """What a catch-up of final runs did: the runs it published, oldest period first, and the periods it skipped."""

    runs: list[LeaderboardRun]
    # Ended periods without final standings beyond LEADERBOARD_FINALS_CATCH_UP, oldest first: not generated.
    skipped: list[Period]

    def skipped_line(self) -> str:
        """What was skipped, for a person (empty when nothing was)."""
        if not self.skipped:
            return ""
        first, last = self.skipped[0], self.skipped[-1]
        return (
            f"{len(self.skipped)} older ended period(s) without final standings skipped, from"
            f" {first.start:%Y-%m-%d %H:%M} to {last.end:%Y-%m-%d %H:%M} UTC (LEADERBOARD_FINALS_CATCH_UP ="
            f" {settings.LEADERBOARD_FINALS_CATCH_UP}); generate one with --final --period-start --period-end"
        )


def generate_due_final_runs(
    leaderboard_key: str,
    *,
    force: bool = False,
    now: datetime.datetime | None = None,
    on_run: Callable[[LeaderboardRun], None] | None = None,
) -> DueFinals:
    """The final runs of every ended period since the leaderboard's last final run, oldest first.

    Cron's generation calls this before the current period's run, so every ended DAILY, WEEKLY,
    MONTHLY and SEASON period gets its final standings once, whatever ticks cron missed: the
    periods that ended after the last final run and after the board was created (the period that
    ended last is due even when the board is younger, as a new board's first final), at most the
    newest LEADERBOARD_FINALS_CATCH_UP of them; older ones are skipped (logged and returned).
    Oldest first, so each final's previous ranks come from the final before it; a failure stops
    the catch-up (GenerationFailed; the runs before it stay published, `on_run` saw each), and the
    next call resumes from there. Waits once for progress writes in flight, like generate_final_run.
    ALL_TIME has no periods: nothing.
    """
    now = now or timezone.now()
    definition = _definition(leaderboard_key, force=force)
    periods = selectors.due_final_periods(definition, now=now)
    due = DueFinals(runs=[], skipped=periods.skipped)
    if due.skipped:
        logger.warning("leaderboard %s: %s", definition.key, due.skipped_line())
    if not periods.due:
        return due
    with _final_inputs(definition):
        for period in periods.due:
            _finalize_season_of(definition, period, now=now)
            run = _generate(definition, period, now=now, is_backfill=False, is_final=True)
            due.runs.append(run)
            if on_run is not None:
                on_run(run)
    return due


@contextmanager
def _final_inputs(definition: LeaderboardDef) -> Iterator[None]:
    """The block ranks final values: every progress write stamped before it was entered has committed.

    Entered before any transaction of the final (so a writer's post-ETL hook, which locks season
    rows, is never waited for while this holds them).
    """
    try:
        with settled_progress_writes():
            yield
    except ProgressWritesInFlight as exc:  # only the wait raises it: nested waits are skipped
        raise FinalInputsInFlight(definition.key, exc) from exc


def _definition(key: str, *, force: bool) -> LeaderboardDef:
    definition = LeaderboardDef.objects.filter(key=key).first()
    if definition is None:
        raise UnknownLeaderboard(key)
    if not definition.is_active and not force:
        raise InactiveLeaderboard(key)
    return definition


def _finalize_season_of(definition: LeaderboardDef, period: Period, *, now: datetime.datetime) -> None:
    """Before the final run of a board of season points: the season's final recompute, if it has not had it.

    The final standings rank the season's final points (values as of its end), which the season
    engine computes once after the season ended (seasons.services.recompute_season).
    """
    if definition.score_source != "SEASON_POINTS":
        return
    season = season_of(period)
    if season.finalized_at is None:
        result = recompute_season(season, now=now)
        logger.info("leaderboard %s: final recompute of season %s first: %s", definition.key, season.pk, result)


def _generate(
    definition: LeaderboardDef,
    period: Period,
    *,
    now: datetime.datetime,
    is_backfill: bool,
    is_final: bool = False,
    note: str = "",
    requested_by=None,
) -> LeaderboardRun:
    try:
        resolved = resolve_challenges(definition)
    except ValidationError as exc:
        raise InvalidDefinition(f"Leaderboard {definition.key!r}: {' '.join(exc.messages)}") from exc
    season = season_of(period) if resolved.season_points else None
    # Committed at once (outside the transaction below), so staff see it while it waits and ranks; its
    # session marker is held before the row is visible, so the run is never taken for abandoned.
    with transaction.atomic():
        run = LeaderboardRun.objects.create(
            leaderboard=definition,
            period_start=period.start,
            period_end=period.end,
            is_backfill=is_backfill,
            is_final=is_final,
            status=RunStatus.PROCESSING,
            challenge=resolved.challenge,
            fallback_challenge=resolved.fallback,
            definition_snapshot=definition_snapshot(definition, resolved, season=season),
            note=note,
            requested_by=requested_by,
        )
        hold_session_marker(run_marker(run.pk))
    try:
        with transaction.atomic():
            _lock_definition(definition)
            _fail_abandoned_runs(definition.key, now=now)
            row_count, ranked_total, exclusions = _insert_entries(run, definition, period, season=season, now=now)
            checksum = entries_checksum(run.pk)
            watermark = input_watermark(resolved, season=season, until=min(period.end, now))
            finished = timezone.now()
            superseded = _supersede_final_run(run, finished=finished) if is_final else None
            if superseded is not None and not note:
                raise NoteRequired(definition.key, period)  # another final run was published meanwhile
            published = LeaderboardRun.objects.filter(pk=run.pk, status=RunStatus.PROCESSING).update(
                status=RunStatus.COMPLETE,
                row_count=row_count,
                ranked_total=ranked_total,
                exclusions_applied=exclusions,
                checksum=checksum,
                input_watermark=watermark,
                finished_at=finished,
                updated_at=finished,
            )
            if not published:
                raise LeaderboardError("the run was marked abandoned while it waited for the lock")
            _set_published(
                run,
                row_count=row_count,
                ranked_total=ranked_total,
                exclusions=exclusions,
                checksum=checksum,
                watermark=watermark,
                finished=finished,
            )
            signals.run_published.send(sender=LeaderboardRun, run=run)
            if is_final:
                signals.final_run_published.send(sender=LeaderboardRun, run=run, superseded=superseded)
    except BaseException as exc:
        _record_failure(run, exc)
        if isinstance(exc, Exception):
            raise GenerationFailed(run, exc) from exc
        raise
    finally:
        release_session_marker(run_marker(run.pk))
    logger.info("leaderboard %s: run %s complete, %s rows", definition.key, run.pk, row_count)
    return run


def _lock_definition(definition: LeaderboardDef) -> None:
    # FOR NO KEY UPDATE: a second caller can still insert its PROCESSING run (whose foreign key
    # takes FOR KEY SHARE on this row) and then queues here. On SQLite the IMMEDIATE transaction
    # already holds the database's write lock.
    set_local_lock_timeout(settings.LEADERBOARD_LOCK_TIMEOUT)
    try:
        list(LeaderboardDef.objects.select_for_update(no_key=True).filter(pk=definition.pk).values_list("pk"))
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", None) != "55P03":  # lock_not_available
            raise
        raise LeaderboardError(
            f"another generation of {definition.key!r} is still running after "
            f"{settings.LEADERBOARD_LOCK_TIMEOUT:g} s (LEADERBOARD_LOCK_TIMEOUT); this one gave up"
        ) from exc


def _set_published(run: LeaderboardRun, *, row_count, ranked_total, exclusions, checksum, watermark, finished) -> None:
    run.status, run.row_count, run.exclusions_applied = RunStatus.COMPLETE, row_count, exclusions
    run.ranked_total = ranked_total
    run.checksum, run.input_watermark = checksum, watermark
    run.finished_at = run.updated_at = finished


def _supersede_final_run(run: LeaderboardRun, *, finished: datetime.datetime) -> LeaderboardRun | None:
    """Mark SUPERSEDED the published final run of `run`'s period, which `run` replaces; returns it (or None).

    A partial unique constraint allows one COMPLETE final run per period, so there is at most one.
    """
    previous = (
        LeaderboardRun.objects.select_for_update()
        .filter(
            leaderboard_id=run.leaderboard_id,
            period_start=run.period_start,
            period_end=run.period_end,
            is_final=True,
            status=RunStatus.COMPLETE,
        )
        .first()
    )
    if previous is None:
        return None
    previous.status, previous.superseded_by, previous.updated_at = RunStatus.SUPERSEDED, run, finished
    previous.save(update_fields=["status", "superseded_by", "updated_at"])
    return previous


def run_marker(run_id: int) -> int:
    """The key of a PROCESSING run's session marker, held by the process generating it (hedge.core.db)."""
    return SESSION_MARKER_BASE + run_id


def _run_marker_gone_sql() -> str:
    """A SQL condition on `leaderboard_runs`: the run's generation is gone.

    PostgreSQL: no session holds the run's marker. SQLite: the run is older than %(abandoned_before)s.
    """
    if not is_postgresql():
        return "created_at < %(abandoned_before)s"
    return session_marker_gone_sql(f"{SESSION_MARKER_BASE} + leaderboard_runs.id")


def _fail_abandoned_runs(key: str, *, now: datetime.datetime) -> int:
    """Mark FAILED the PROCESSING runs of `key` whose generation is gone (a killed process).

    PostgreSQL: at once, when the run's session marker is no longer held. SQLite (no session
    locks): once the run is older than ABANDONED_AFTER. Called under the definition's lock, by
    every generation of `key` and by prune.
    """
    params = {
        "leaderboard": key,
        "now": sql_datetime(now),
        "abandoned_before": sql_datetime(now - ABANDONED_AFTER),
        "error": "abandoned: the process generating it stopped before it finished",
    }
    with connection.cursor() as cursor:
        cursor.execute(sql.FAIL_ABANDONED_RUNS.format(marker_gone=_run_marker_gone_sql()), params)
        return cursor.rowcount


def _insert_entries(
    run: LeaderboardRun, definition: LeaderboardDef, period: Period, *, season, now: datetime.datetime
) -> tuple[int, int, int]:
    """Record the exclusions `run` applies, then rank and write its entries; returns (entries, ranked, exclusions).

    `ranked` counts the clusters ranked before the max_entries cut: the ranking statement writes it on
    the first entry (sql.RANKED_TOTAL_OF_RUN reads it back by one index probe, not a count). A run of
    ANALYZED_RUN_ENTRIES or more is analyzed in the transaction that publishes it.
    """
    params = {
        "run": run.pk,
        "leaderboard": definition.key,
        "challenge": run.challenge_id,
        "fallback": run.fallback_challenge_id,
        "season": season.pk if season is not None else None,
        "limit": sql_limit(definition.max_entries),
        "previous_run": selectors.previous_run_id(run),
        "now": sql_datetime(now),
        "start": sql_datetime(period.start),
        "until": sql_datetime(min(period.end, now)),
    }
    statement = sql.RANK[definition.score_source]
    rank_function = sql.RANK_FUNCTIONS[definition.rank_mode]
    with connection.cursor() as cursor:
        cursor.execute(sql.RECORD_RUN_EXCLUSIONS, params)
        exclusions = cursor.rowcount
        with ranking_plan(cursor):
            cursor.execute(statement.format(rank_function=rank_function, binary=binary_collation()), params)
            row_count = cursor.rowcount
        if row_count >= ANALYZED_RUN_ENTRIES:  # the reads below and every reader once published plan with the run
            analyze_in_transaction(cursor, "leaderboard_entries", "run_id", "previous_rank")
        if params["previous_run"] is not None:  # else no entry has a previous rank, and no run has movers
            cursor.execute(sql.RECORD_RUN_MOVERS, {"run": run.pk, "movers": MAX_MOVERS})
        cursor.execute(sql.RANKED_TOTAL_OF_RUN, {"run": run.pk})
        found = cursor.fetchone()
        return row_count, (found[0] if found else 0), exclusions


def _record_failure(run: LeaderboardRun, exc: BaseException) -> None:
    now = timezone.now()
    run.status, run.finished_at, run.updated_at = RunStatus.FAILED, now, now
    run.error = f"{type(exc).__name__}: {exc}".strip()
    try:
        with transaction.atomic():
            LeaderboardRun.objects.filter(pk=run.pk).update(
                status=run.status, error=run.error, finished_at=now, updated_at=now
            )
            signals.run_failed.send(sender=LeaderboardRun, run=run)
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
    finals_older_than: datetime.timedelta | None = None,
    now: datetime.datetime | None = None,
) -> list[PruneResult]:
    """Delete old runs and their entries: of each leaderboard (or only `leaderboard_key`), keep

    - the `keep` latest COMPLETE runs other than final runs in the latest-run order (scheduled
      runs first, then newest; so the run the API serves as latest is always kept, `keep` being
      at least 1),
    - the `keep` newest FAILED runs (their errors, for diagnosis; they have no entries),
    - every PENDING or PROCESSING run (in flight), and every run that finished at or after `now`,
    - every final run (and every SUPERSEDED one), unless `finals_older_than` is given: then those
      whose period ended more than that long before `now` go too,

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
    finals_ended_before = now - finals_older_than if finals_older_than is not None else None
    return [_prune_one(key, keep=keep, now=now, finals_ended_before=finals_ended_before) for key in keys]


@transaction.atomic
def _prune_one(
    key: str, *, keep: int, now: datetime.datetime, finals_ended_before: datetime.datetime | None
) -> PruneResult:
    list(LeaderboardDef.objects.select_for_update(no_key=True).filter(key=key).values_list("pk", flat=True))
    abandoned = _fail_abandoned_runs(key, now=now)
    runs = LeaderboardRun.objects.filter(leaderboard_id=key)
    kept_complete = runs.filter(status=RunStatus.COMPLETE, is_final=False).order_by(*LATEST_ORDER).values("pk")[:keep]
    kept_failed = runs.filter(status=RunStatus.FAILED).order_by("-id").values("pk")[:keep]
    finals = Q(is_final=True)
    if finals_ended_before is not None:
        finals &= Q(period_end__gte=finals_ended_before)
    doomed = (
        runs.filter(
            status__in=[RunStatus.COMPLETE, RunStatus.FAILED, RunStatus.SUPERSEDED],
            finished_at__lt=now,
        )
        .exclude(finals)
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
        cursor.execute(f"DELETE FROM leaderboard_run_exclusions WHERE run_id IN ({doomed_sql})", params)
        cursor.execute(f"DELETE FROM leaderboard_run_movers WHERE run_id IN ({doomed_sql})", params)
        cursor.execute(f"DELETE FROM leaderboard_runs WHERE id IN ({doomed_sql})", params)
        runs_deleted = cursor.rowcount
    if runs_deleted:
        logger.info("leaderboard %s: pruned %s runs, %s entries", key, runs_deleted, entries_deleted)
    return PruneResult(
        leaderboard_key=key, runs_deleted=runs_deleted, entries_deleted=entries_deleted, runs_abandoned=abandoned
    )
