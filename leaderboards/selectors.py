"""Reads of the leaderboards app. Views and the admin read through here.

"The latest run" of a leaderboard is its most recently created COMPLETE scheduled run (one whose
period came from the time window); a backfill (a run given an explicit period) is the latest only
while the leaderboard has no scheduled COMPLETE run at all. So a backfill of any period, past or
future, never hides the current run, and a change of time window takes effect with the next run
(a period_end order would let an old MONTHLY run's end, or one explicit future period, win for good).
"""

from __future__ import annotations

from django.db.models import Count, OuterRef, QuerySet, Subquery

from .models import LeaderboardDef, LeaderboardEntry, LeaderboardRun, RunStatus
from .resolve import ResolvedChallenges, resolve_challenges

__all__ = [
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


def _public_runs(key: str) -> QuerySet[LeaderboardRun]:
    return LeaderboardRun.objects.select_related("leaderboard").filter(
        leaderboard_id=key, leaderboard__is_active=True, status=RunStatus.COMPLETE
    )


def latest_complete_run(key: str) -> LeaderboardRun | None:
    """The latest COMPLETE run of an active leaderboard, with its definition, in one query."""
    return _public_runs(key).order_by(*LATEST_ORDER).first()


def complete_run(key: str, run_id: int) -> LeaderboardRun | None:
    """Run `run_id` if it is a COMPLETE run of the active leaderboard `key`, with its definition, in one query."""
    return _public_runs(key).filter(pk=run_id).first()


def top_entries(run: LeaderboardRun, *, limit: int) -> QuerySet[LeaderboardEntry]:
    """The first `limit` entries of `run` by position (the (run, position) unique index)."""
    return LeaderboardEntry.objects.filter(run=run).order_by("position")[:limit]


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
