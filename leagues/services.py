"""Writes of the leagues app: placement inside a board's generation, and the moves at period end.

Both run inside the board's transaction (leaderboards.signals): whatever they write commits or rolls
back with the run. Each league is one or two set-based statements (leagues.sql), never a loop over
clusters.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import connection
from django.db.models import Exists, OuterRef
from django.utils import timezone

from hedge.core.db import analyze_in_transaction, bulk_join_plan, create_temp_table, drop_temp_table, sql_datetime
from leaderboards.models import LeaderboardRun
from leaderboards.sql import RANK_FUNCTIONS

from . import signals, sql
from .models import League, LeaguePeriod, LeagueTier, Move


def _leagues_of(run: LeaderboardRun) -> list[League]:
    """The active leagues with tiers that follow `run`'s board; one query."""
    tiers = LeagueTier.objects.filter(league=OuterRef("pk"))
    return list(
        League.objects.filter(leaderboard_id=run.leaderboard_id, is_active=True)
        .filter(Exists(tiers))
        .select_related("leaderboard")
    )


def place_run_members(run: LeaderboardRun, *, now: datetime.datetime | None = None) -> dict[str, int]:
    """Seat `run`'s clusters that have no place yet in its period, in every league of its board.

    Opens the league's period on its first placement (with the league's cohort size then). A run of a
    period older than one the league already placed in places nobody (a backfill of the past does not
    rewrite who raced whom). Returns {league key: members placed}. Must run inside the run's generation.
    """
    now = now or timezone.now()
    placed: dict[str, int] = {}
    if not run.row_count:
        return placed
    for league in _leagues_of(run):
        if LeaguePeriod.objects.filter(league=league, period_start__gt=run.period_start).exists():
            continue
        period, _ = LeaguePeriod.objects.get_or_create(
            league=league,
            period_start=run.period_start,
            defaults={"period_end": run.period_end, "cohort_size": league.cohort_size, "opened_at": now},
        )
        previous = (
            LeaguePeriod.objects.filter(league=league, period_start__lt=period.period_start)
            .order_by("-period_start")
            .values_list("period_start", flat=True)
            .first()
        )
        params = {
            "league": league.pk,
            "start": sql_datetime(period.period_start),
            "previous": sql_datetime(previous) if previous is not None else None,
            "run": run.pk,
            "size": period.cohort_size,
        }
        with connection.cursor() as cursor:
            create_temp_table(cursor, sql.SEATS_TABLE, sql.SEATS_COLUMNS)
            try:
                cursor.execute(sql.TIER_SEATS, params)
                analyze_in_transaction(cursor, sql.SEATS_TABLE)
                with bulk_join_plan(cursor):
                    cursor.execute(sql.PLACE_MEMBERS, params)
                placed[league.key] = cursor.rowcount
            finally:
                drop_temp_table(cursor, sql.SEATS_TABLE)
    return placed


@dataclass(frozen=True)
class Closed:
    league: League
    period: LeaguePeriod
    rewritten: bool  # a correction rewrote moves written before
    counts: dict[int, dict[str, int]]  # level -> {move: members}


def close_period(
    run: LeaderboardRun, *, superseded: LeaderboardRun | None = None, now: datetime.datetime | None = None
) -> list[Closed]:
    """Write each league's moves of `run`'s period from `run`, the board's final run; inside its publication.

    A correction (a final run replacing one whose moves are written) rewrites the period's moves only
    while no later period of the league has members; after that it changes nothing and the period
    records the run (`unapplied_correction_run_id`, shown in the admin). Sends signals.period_closed
    the first time a period's moves are written.
    """
    now = now or timezone.now()
    closed = []
    for league in _leagues_of(run):
        period = LeaguePeriod.objects.select_for_update().filter(league=league, period_start=run.period_start).first()
        if period is None:
            continue
        params = {"league": league.pk, "start": sql_datetime(period.period_start)}
        rewritten = period.closed_by_run_id is not None
        with connection.cursor() as cursor:
            if rewritten:
                cursor.execute(sql.LATER_PERIOD_FILLED, params)
                if cursor.fetchone() is not None:
                    period.unapplied_correction_run_id = run.pk
                    period.save(update_fields=["unapplied_correction_run_id"])
                    continue
                cursor.execute(sql.DELETE_MOVES, params)
            statement = sql.WRITE_MOVES.format(
                rank_function=RANK_FUNCTIONS[league.leaderboard.rank_mode], scope=sql.PERIOD_SCOPE
            )
            with bulk_join_plan(cursor):
                cursor.execute(statement, {**params, "run": run.pk, "idle_demotion": int(league.idle_demotion)})
            counts = move_counts(cursor, params)
        period.closed_by_run_id, period.closed_at, period.unapplied_correction_run_id = run.pk, now, None
        period.save(update_fields=["closed_by_run_id", "closed_at", "unapplied_correction_run_id"])
        closed.append(Closed(league=league, period=period, rewritten=rewritten, counts=counts))
        if not rewritten:
            signals.period_closed.send(sender=League, league=league, period=period, counts=counts)
    return closed


def move_counts(cursor, params: dict) -> dict[int, dict[str, int]]:
    """{level: {PROMOTE, STAY, DEMOTE: members}} of a period's moves (sql.MOVE_COUNTS)."""
    cursor.execute(sql.MOVE_COUNTS, params)
    counts: dict[int, dict[str, int]] = {}
    for level, move, members in cursor.fetchall():
        counts.setdefault(level, dict.fromkeys(Move.values, 0))[move] = members
    return counts
