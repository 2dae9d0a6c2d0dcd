"""Reads of one cluster across apps: its standing on every board, its final-run history, season and awards.

Every read goes where public reads go (hedge.core.routers: a replica while a public API request is served).
Every statement runs prepared on PostgreSQL (hedge.core.db.prepared_statements_cursor: planned once per
connection, generic plans): each is a handful of index probes by equality, and planning the profile's standings
(about 0.5 ms) cost more than running them.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass

from django.utils import timezone

from hedge.core.db import db_datetime, json_strings, prepared_statements_cursor
from hedge.core.routers import read_alias
from leaderboards.extensions import ClusterName, ClusterNames, Names
from leaderboards.selectors import ENTRY_FIELDS, percentile_of
from seasons.errors import ProgressWithheld
from seasons.selectors import RewardState, get_active_season, get_season_tracks, is_progress_withheld

from . import sql


@dataclass(frozen=True)
class Best:
    """The cluster's best rank in a board's COMPLETE final runs (ties: the newest period)."""

    rank: int
    run_id: int
    period_start: datetime.datetime
    period_end: datetime.datetime


@dataclass(frozen=True)
class BoardStanding:
    key: str
    name: str
    time_window: str
    run_id: int
    period_start: datetime.datetime
    period_end: datetime.datetime
    rank: int
    position: int
    score: int
    previous_rank: int | None
    total: int
    percentile: float
    best: Best | None


@dataclass(frozen=True)
class FinalStanding:
    run_id: int
    period_start: datetime.datetime
    period_end: datetime.datetime
    rank: int
    position: int
    score: int
    total: int
    percentile: float


@dataclass(frozen=True)
class SeasonSummary:
    season_id: str
    points: int
    level: int
    max_level: int | None
    progress_percent: int
    next_level_threshold: int | None
    claimable: int


class Excluded(Exception):
    """The cluster is excluded from every leaderboard and the season pass: its profile is not served."""


def _rows(statement: str, params: dict) -> list[tuple]:
    with prepared_statements_cursor(read_alias()) as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall()


def _total(ranked_total: int, last_position: int) -> int:
    # A run recorded before rankedTotal existed knows only what it kept (see leaderboards.selectors.percentile_of).
    return max(ranked_total, last_position)


# --- display names (one query each, for all the clusters a response shows) ---------------------------


def _names(statement: str, params: dict) -> Names:
    return {cluster_id: ClusterName(name, avatar) for cluster_id, name, avatar in _rows(statement, params)}


def names_of_page(run_id: int, after: int, limit: int) -> Names:
    """The names of the clusters at positions after+1..after+limit of the run."""
    return _names(sql.NAMES_OF_PAGE, {"run": run_id, "after": after, "limit": limit})


def names_around(run_id: int, cluster_id: str, around: int) -> Names:
    """The names of the cluster and of its `around` neighbours on each side in the run."""
    return _names(sql.NAMES_AROUND, {"run": run_id, "cluster": cluster_id, "around": around})


def movers_with_names(run_id: int, direction: str, limit: int) -> tuple[list[dict], Names]:
    """The run's first `limit` movers in `direction` (MoverDirection) as entries, and the names of those who have one.

    One query: the movers recorded when the run was generated (never a scan of the run), with their names joined.
    """
    entries, names = [], {}
    params = {"run": run_id, "direction": direction, "limit": limit}
    for *entry, named, name, avatar in _rows(sql.MOVERS_WITH_NAMES, params):
        entries.append(dict(zip(ENTRY_FIELDS, entry, strict=True)))
        if named is not None:
            names[named] = ClusterName(name, avatar)
    return entries, names


def names_of_clusters(cluster_ids: list[str]) -> Names:
    """The names of these clusters."""
    if not cluster_ids:
        return {}
    statement = sql.NAMES_OF_CLUSTERS.format(ids=json_strings("ids"))
    return _names(statement, {"ids": json.dumps(cluster_ids)})


# What every run read of the leaderboards app shows next to its entries (registered in ProfilesConfig.ready).
CLUSTER_NAMES = ClusterNames(of_page=names_of_page, around=names_around, of_clusters=names_of_clusters)


def board_standings(cluster_id: str) -> list[BoardStanding]:
    """The cluster on every active board whose latest run ranks it, by key; one query whatever the boards."""
    standings = []
    for row in _rows(sql.PROFILE_STANDINGS, {"cluster": cluster_id}):
        (key, name, window, run_id, start, end, ranked_total, rank, position, score, previous, last, tied) = row[:13]
        best_run, best_start, best_end, best_rank = row[13:]
        best = None
        if best_run is not None:
            best = Best(
                rank=best_rank, run_id=best_run, period_start=db_datetime(best_start), period_end=db_datetime(best_end)
            )
        standings.append(
            BoardStanding(
                key=key,
                name=name,
                time_window=window,
                run_id=run_id,
                period_start=db_datetime(start),
                period_end=db_datetime(end),
                rank=rank,
                position=position,
                score=score,
                previous_rank=previous,
                total=_total(ranked_total, last),
                percentile=percentile_of(ranked_total=ranked_total, last_tied_position=tied, last_position=last),
                best=best,
            )
        )
    return standings


def final_history(key: str, cluster_id: str, *, limit: int, before: int | None) -> list[FinalStanding]:
    """A keyset page of the cluster's standings in the board's COMPLETE final runs, newest period first; one query."""
    rows = _rows(sql.HISTORY_PAGE, {"cluster": cluster_id, "leaderboard": key, "limit": limit, "before": before})
    return [
        FinalStanding(
            run_id=run_id,
            period_start=db_datetime(start),
            period_end=db_datetime(end),
            rank=rank,
            position=position,
            score=score,
            total=_total(ranked_total, last),
            percentile=percentile_of(ranked_total=ranked_total, last_tied_position=tied, last_position=last),
        )
        for run_id, start, end, ranked_total, rank, position, score, last, tied in rows
    ]


@dataclass(frozen=True)
class HistoryHead:
    """What the history shows beside its page: the board's time window, the cluster's name, its best final."""

    time_window: str
    name: ClusterName
    best: Best | None


def history_head(key: str, cluster_id: str) -> HistoryHead | None:
    """The active board's time window, the cluster's name and its best rank in the board's COMPLETE final runs
    (superseded ones never count); None when there is no active board `key`. One query."""
    rows = _rows(sql.HISTORY_HEAD, {"cluster": cluster_id, "leaderboard": key})
    if not rows:
        return None
    window, name, avatar, run_id, start, end, rank = rows[0]
    best = None
    if run_id is not None:
        best = Best(rank=rank, run_id=run_id, period_start=db_datetime(start), period_end=db_datetime(end))
    return HistoryHead(time_window=window, name=ClusterName(name, avatar), best=best)


def name_and_award_counts(cluster_id: str) -> tuple[ClusterName, dict[str, int]]:
    """The cluster's name and avatar, and how many of its prize awards are pending and settled; one query."""
    [(name, avatar, pending, settled)] = _rows(sql.NAME_AND_AWARD_COUNTS, {"cluster": cluster_id})
    return ClusterName(name, avatar), {"pending": int(pending), "settled": int(settled)}


def season_summary(cluster_id: str, *, now: datetime.datetime) -> SeasonSummary | None:
    """The cluster in the active season (None without one): points, level, how many rewards it can claim.

    Five queries with an active season (the season; get_season_tracks' four), one without.
    """
    season = get_active_season(now=now)
    if season is None:
        return None
    tracks = get_season_tracks(season_id=season.pk, cluster_id=cluster_id, now=now)
    if tracks is None:  # deleted meanwhile
        return None
    standing = tracks.standing
    claimable = sum(1 for lines in tracks.tracks.values() for line in lines if line.state == RewardState.CLAIMABLE)
    return SeasonSummary(
        season_id=tracks.season_id,
        points=standing.points,
        level=standing.level,
        max_level=standing.max_level,
        progress_percent=standing.progress_percent,
        next_level_threshold=standing.next_level_threshold,
        claimable=claimable,
    )


@dataclass(frozen=True)
class Profile:
    cluster_id: str
    name: ClusterName
    leaderboards: list[BoardStanding]
    season: SeasonSummary | None
    awards: dict[str, int]


def cluster_profile(cluster_id: str, *, now: datetime.datetime | None = None) -> Profile:
    """Where the cluster stands everywhere. Raises Excluded for a cluster excluded from everything.

    A constant number of queries, whatever the number of boards and of final runs: whether it is excluded,
    its display name with its awards, its board standings (sql.PROFILE_STANDINGS), and season_summary's.
    """
    now = now or timezone.now()
    if is_progress_withheld(cluster_id, now=now):
        raise Excluded(cluster_id)
    name, awards = name_and_award_counts(cluster_id)
    leaderboards = board_standings(cluster_id)
    try:
        season = season_summary(cluster_id, now=now)
    except ProgressWithheld:  # excluded between the two reads
        raise Excluded(cluster_id) from None
    return Profile(cluster_id=cluster_id, name=name, leaderboards=leaderboards, season=season, awards=awards)
