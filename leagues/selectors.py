"""Reads of the leagues app: leagues with their tiers, a cluster's cohort now, its history, the admin's counts."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery

from hedge.core.db import db_datetime, prepared_statements_cursor, sql_datetime
from hedge.core.routers import read_alias
from leaderboards.sql import RANK_FUNCTIONS

from . import sql
from .errors import NotInLeague, UnknownLeague
from .models import League, LeagueMember, LeagueMove, LeaguePeriod, LeagueTier

HISTORY_LIMIT = 100


def active_leagues() -> QuerySet[League]:
    """Active leagues of active boards, by key, with their board and tiers (lowest first); two queries."""
    return (
        League.objects.filter(is_active=True, leaderboard__is_active=True)
        .select_related("leaderboard")
        .prefetch_related(Prefetch("tiers", queryset=LeagueTier.objects.order_by("level")))
        .order_by("key")
    )


def active_league(key: str) -> League | None:
    """The active league `key` of an active board, with its board; one query."""
    return (
        League.objects.filter(key=key, is_active=True, leaderboard__is_active=True)
        .select_related("leaderboard")
        .first()
    )


def cohort_id(level: int, cohort: int) -> str:
    """A cohort's public id: unique within a league's period ("3-12": the 12th cohort of tier 3)."""
    return f"{level}-{cohort}"


def _tier_name(level_field: str) -> Subquery:
    return Subquery(
        LeagueTier.objects.filter(league_id=OuterRef("league_id"), level=OuterRef(level_field)).values("name")[:1]
    )


@dataclass(frozen=True)
class Standing:
    cluster_id: str
    rank: int
    score: int
    move: str  # PROMOTE, STAY, DEMOTE: the zone it stands in


@dataclass(frozen=True)
class CohortNow:
    cluster_id: str
    time_window: str  # the board's
    run_id: int  # the board's latest COMPLETE run
    period_start: datetime.datetime
    period_end: datetime.datetime
    level: int
    tier_name: str
    cohort: int
    standings: list[Standing]

    @property
    def you(self) -> Standing:
        return next(s for s in self.standings if s.cluster_id == self.cluster_id)


# One cohort's standings per rank mode (the statement is formatted once, not per request).
_COHORT_STATEMENTS = {
    mode: sql.COHORT_STANDINGS.format(rank_function=function, scope=sql.COHORT_SCOPE)
    for mode, function in RANK_FUNCTIONS.items()
}


def cohort_now(key: str, cluster_id: str) -> CohortNow:
    """The cluster's cohort in league `key` in the period of the board's latest run, ranked by that run, with zones.

    Raises UnknownLeague (no active league `key` of an active board) or NotInLeague (the board has no run, or the
    cluster no place in that period). Two raw statements (league, run and seat; standings): the public read of
    every member, where the ORM's compilation of the league and the run cost more than both statements. On
    PostgreSQL both are prepared once per connection (hedge.core.db.prepared_statements_cursor): planning the
    standings took longer than running them.
    """
    params = {"key": key, "cluster": cluster_id}
    with prepared_statements_cursor(read_alias()) as cursor:
        cursor.execute(sql.LEAGUE_RUN_AND_SEAT, params)
        found = cursor.fetchone()
        if found is None:
            raise UnknownLeague(f"No active league {key!r}.")
        league_id, idle_demotion, rank_mode, time_window, run_id, period_start, period_end, level, cohort, tier = found
        if level is None:
            raise NotInLeague(f"Cluster {cluster_id!r} has no place in league {key!r} this period.")
        period_start, period_end = db_datetime(period_start), db_datetime(period_end)
        params = {
            "league": league_id,
            "start": sql_datetime(period_start),
            "run": run_id,
            "idle_demotion": int(idle_demotion),
            "level": level,
            "cohort": cohort,
        }
        cursor.execute(_COHORT_STATEMENTS[rank_mode], params)
        rows = cursor.fetchall()
    standings = [Standing(cluster_id=c, rank=rank, score=score, move=move) for c, rank, score, move, _ in rows]
    return CohortNow(
        cluster_id=cluster_id,
        time_window=time_window,
        run_id=run_id,
        period_start=period_start,
        period_end=period_end,
        level=level,
        tier_name=tier or "",
        cohort=cohort,
        standings=standings,
    )


def cluster_history(league: League, cluster_id: str) -> list[dict]:
    """The cluster's results in the league's ended (closed) periods, newest first, at most HISTORY_LIMIT; one query.

    Each: period_start, period_end, level, tier_name, cohort, rank, score, move, next_level, next_tier_name.
    """
    period_end = LeaguePeriod.objects.filter(league_id=OuterRef("league_id"), period_start=OuterRef("period_start"))
    return list(
        LeagueMove.objects.filter(league=league, cluster_id=cluster_id)
        .annotate(
            period_end=Subquery(period_end.values("period_end")[:1]),
            tier_name=_tier_name("level"),
            next_tier_name=_tier_name("next_level"),
        )
        .order_by("-period_start")
        .values(
            "period_start",
            "period_end",
            "level",
            "tier_name",
            "cohort",
            "rank",
            "score",
            "move",
            "next_level",
            "next_tier_name",
        )[:HISTORY_LIMIT]
    )


def period_tiers(period: LeaguePeriod) -> list[dict]:
    """Per tier of a period: members, cohorts, and promoted/stayed/demoted (once closed); two queries (admin)."""
    members = (
        LeagueMember.objects.filter(league_id=period.league_id, period_start=period.period_start)
        .order_by()
        .values("level")
        .annotate(members=Count("id"), cohorts=Count("cohort", distinct=True))
    )
    tiers = {row["level"]: {**row, "PROMOTE": 0, "STAY": 0, "DEMOTE": 0} for row in members}
    moves = (
        LeagueMove.objects.filter(league_id=period.league_id, period_start=period.period_start)
        .order_by()
        .values("level", "move")
        .annotate(n=Count("id"))
    )
    for row in moves:
        tiers.setdefault(row["level"], {"level": row["level"], "members": 0, "cohorts": 0})[row["move"]] = row["n"]
    return [tiers[level] for level in sorted(tiers)]


def period_cohorts(period: LeaguePeriod) -> list[dict]:
    """Each cohort of a period: level, cohort, members; one query (admin)."""
    return list(
        LeagueMember.objects.filter(league_id=period.league_id, period_start=period.period_start)
        .order_by("level", "cohort")
        .values("level", "cohort")
        .annotate(members=Count("id"))
    )
