"""Reads of the leaderboards app. Views and the admin read through here.

"The latest run" of a leaderboard is its most recently created COMPLETE scheduled run (one whose
period came from the time window); a backfill (a run given an explicit period) is the latest only
while the leaderboard has no scheduled COMPLETE run at all. So a backfill of any period, past or
future, never hides the current run, and a change of time window takes effect with the next run
(a period_end order would let an old MONTHLY run's end, or one explicit future period, win for good).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.utils import timezone

from .models import LeaderboardDef, LeaderboardEntry, LeaderboardRun, RunStatus
from .resolve import ResolvedChallenges, resolve_challenges

__all__ = [
    "PublicRun",
    "ResolvedChallenges",
    "active_definitions_with_latest_run",
    "complete_run",
    "definitions_with_last_run",
    "get_definition",
    "latest_complete_run",
    "newest_complete_run_id",
    "resolve_challenges",
    "run_counts",
    "top_entries",
    "top_entry_values",
]

# Scheduled runs (is_backfill false) first, then the newest; leaderboard_runs_complete_idx serves it.
LATEST_ORDER = ["is_backfill", "-id"]
# Fields of the latest COMPLETE run that the public list shows.
_SUMMARY_FIELDS = {
    "latest_run_id": "id",
    "latest_period_start": "period_start",
    "latest_period_end": "period_end",
    "latest_row_count": "row_count",
    "latest_finished_at": "finished_at",
}


def active_definitions_with_latest_run() -> QuerySet[LeaderboardDef]:
    """Active definitions by key, each annotated `latest_*` from its latest COMPLETE run (None without one).

    One query whatever the number of definitions.
    """
    latest = LeaderboardRun.objects.filter(leaderboard=OuterRef("key"), status=RunStatus.COMPLETE).order_by(
        *LATEST_ORDER
    )
    annotations = {name: Subquery(latest.values(field)[:1]) for name, field in _SUMMARY_FIELDS.items()}
    return LeaderboardDef.objects.filter(is_active=True).annotate(**annotations).order_by("key")


def definitions_with_last_run() -> QuerySet[LeaderboardDef]:
    """Every definition annotated with its most recent run of any status (admin: is it healthy?)."""
    latest = LeaderboardRun.objects.filter(leaderboard=OuterRef("key")).order_by("-id")
    return LeaderboardDef.objects.annotate(
        last_run_id=Subquery(latest.values("id")[:1]),
        last_run_status=Subquery(latest.values("status")[:1]),
        last_run_at=Subquery(latest.values("created_at")[:1]),
        last_run_rows=Subquery(latest.values("row_count")[:1]),
    )


def get_definition(key: str, *, active_only: bool = True) -> LeaderboardDef | None:
    definitions = LeaderboardDef.objects.filter(key=key)
    if active_only:
        definitions = definitions.filter(is_active=True)
    return definitions.first()


@dataclass(frozen=True, slots=True)
class PublicRun:
    """A COMPLETE run of an active leaderboard, as the public API shows it, with its definition's fields."""

    id: int
    key: str
    name: str
    description: str
    time_window: str
    period_start: datetime.datetime
    period_end: datetime.datetime
    row_count: int
    finished_at: datetime.datetime


# Raw on purpose: this runs on every public request, and building and compiling the same statement
# through the ORM (a join, a filter across it, values_list) costs three times the query itself.
# The ORDER BY is LATEST_ORDER; leaderboard_runs_complete_idx serves both statements.
_PUBLIC_RUN_SQL = (
    "SELECT r.id, d.key, d.name, d.description, d.time_window, r.period_start, r.period_end, r.row_count,"
    " r.finished_at FROM leaderboard_runs r JOIN leaderboard_defs d ON d.key = r.leaderboard_key"
    " WHERE r.leaderboard_key = %s AND r.status = %s AND d.is_active = %s{run_filter}"
    " ORDER BY r.is_backfill, r.id DESC LIMIT 1"
)
_LATEST_RUN_SQL = _PUBLIC_RUN_SQL.format(run_filter="")
_RUN_BY_ID_SQL = _PUBLIC_RUN_SQL.format(run_filter=" AND r.id = %s")


def _aware(value: datetime.datetime) -> datetime.datetime:
    # SQLite hands a raw cursor naive UTC datetimes; the ORM would make them aware the same way.
    return value if timezone.is_aware(value) else timezone.make_aware(value, connection.timezone)


def _public_run(sql: str, params: list) -> PublicRun | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    run_id, key, name, description, time_window, period_start, period_end, row_count, finished_at = row
    return PublicRun(
        id=run_id,
        key=key,
        name=name,
        description=description,
        time_window=time_window,
        period_start=_aware(period_start),
        period_end=_aware(period_end),
        row_count=row_count,
        finished_at=_aware(finished_at),
    )


def latest_complete_run(key: str) -> PublicRun | None:
    """The latest COMPLETE run of an active leaderboard, with its definition's fields, in one query."""
    return _public_run(_LATEST_RUN_SQL, [key, RunStatus.COMPLETE.value, True])


def complete_run(key: str, run_id: int) -> PublicRun | None:
    """Run `run_id` if it is a COMPLETE run of the active leaderboard `key`, with its definition's fields; one query."""
    return _public_run(_RUN_BY_ID_SQL, [key, RunStatus.COMPLETE.value, True, run_id])


def top_entries(run: LeaderboardRun | int, *, limit: int) -> QuerySet[LeaderboardEntry]:
    """The first `limit` entries of `run` by position (the (run, position) unique index)."""
    return LeaderboardEntry.objects.filter(run=run).order_by("position")[:limit]


ENTRY_FIELDS = ("rank", "position", "cluster_id", "score", "tiebreaker", "payload")
# Bumped whenever ENTRY_FIELDS or their values change meaning, so a shared cache (Redis) never
# hands a new release the rows an old one stored.
_ENTRY_CACHE_VERSION = 1
# Entries never go stale (see top_entry_values); the timeout only returns memory of runs nobody asks for.
ENTRY_CACHE_SECONDS = 3600


def top_entry_values(run: PublicRun, *, limit: int) -> list[dict]:
    """The first `limit` entries of COMPLETE `run` by position, as dicts of ENTRY_FIELDS; cached.

    A COMPLETE run's entries never change: generation writes them in the same transaction that
    publishes the run, nothing updates a COMPLETE run or its entries afterwards (the admin is read
    only), and runs leave only by deletion (`prune_leaderboard_runs`). So (run, limit) always
    has the same answer and Django's cache ("default") may keep it, with no invalidation:
    - callers get `run` from latest_complete_run / complete_run, which ask the database on every
      request, so a newly published run is served at once and a deleted or no longer public run
      is never looked up here;
    - the key holds the run's `finished_at` next to its id, so a run id that comes round again
      (a restored or re-created database, SQLite reusing ids after a rollback, two databases
      sharing one Redis) never finds another run's entries.
    A hit costs no query; a miss one, by the (run, position) unique index.
    """
    key = f"leaderboards:entries:v{_ENTRY_CACHE_VERSION}:{run.id}:{run.finished_at.isoformat()}:{limit}"
    entries = cache.get(key)
    if entries is None:
        entries = list(top_entries(run.id, limit=limit).values(*ENTRY_FIELDS))
        cache.set(key, entries, ENTRY_CACHE_SECONDS)
    return entries


def run_counts(keys: list[str]) -> dict[str, int]:
    """How many runs each of these leaderboards has, leaving out those without any; one query."""
    counts = (
        LeaderboardRun.objects.filter(leaderboard_id__in=keys)
        .order_by()
        .values_list("leaderboard_id")
        .annotate(runs=Count("id"))
    )
    return dict(counts)


def newest_complete_run_id() -> int | None:
    """The id of the most recently created COMPLETE run of any leaderboard (admin's default run to show)."""
    return LeaderboardRun.objects.filter(status=RunStatus.COMPLETE).order_by("-id").values_list("id", flat=True).first()
