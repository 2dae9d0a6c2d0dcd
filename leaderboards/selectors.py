"""Reads of the leaderboards app. Views and the admin read through here.

"The latest run" of a leaderboard is its most recently created COMPLETE scheduled run (one whose
period came from the time window); a backfill (a run given an explicit period) is the latest only
while the leaderboard has no scheduled COMPLETE run at all. So a backfill of any period, past or
future, never hides the current run, and a change of time window takes effect with the next run
(a period_end order would let an old MONTHLY run's end, or one explicit future period, win for good).
"""

from __future__ import annotations

import datetime
import functools
import json
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from hedge.challenges.models import Challenge
from hedge.core.cache import safe_cache as cache  # a cache failure is a miss, never an error
from hedge.core.db import columns_of, instances_from_row, json_strings, prepared_statements_cursor, sql_datetime
from hedge.core.routers import read_alias
from seasons.models import Season

from . import sql
from .models import LeaderboardDef, LeaderboardEntry, LeaderboardRun, RunStatus, TimeWindow
from .periods import Period, periods_ended_between, previous_period

# Scheduled runs (neither final nor backfill) first, then the newest; leaderboard_runs_complete_idx serves it.
LATEST_ORDER = ["is_final", "is_backfill", "-id"]
# A run readable by its id: published, and still published or replaced by a correction.
PUBLISHED_STATUSES = [RunStatus.COMPLETE, RunStatus.SUPERSEDED]
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
    # What each board ranks now: the one active challenge its fields name (none for season points).
    ranked = Challenge.objects.filter(
        is_active=True, category__key=OuterRef("category_key"), metric_source=OuterRef("metric_source")
    ).order_by("code")
    challenge = ranked.filter(metric_key=OuterRef("metric_key"))
    fallback = ranked.filter(metric_key=OuterRef("fallback_metric_key"))
    return (
        LeaderboardDef.objects.filter(is_active=True)
        .annotate(**annotations)
        .annotate(
            latest_season_id=_season_of_dates("latest_period_start", "latest_period_end"),
            challenge_code=Subquery(challenge.values("code")[:1]),
            challenge_name=Subquery(challenge.values("name")[:1]),
            fallback_challenge_code=Subquery(fallback.values("code")[:1]),
        )
        .order_by("key")
    )


def _season_of_dates(start: str, end: str) -> Subquery:
    """The id of the season whose dates are exactly the period's (what a SEASON period is called), else NULL."""
    seasons = Season.objects.filter(starts_at=OuterRef(start), ends_at=OuterRef(end)).order_by("-id")
    return Subquery(seasons.values("id")[:1])


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


def _public_runs(key: str, *, statuses=(RunStatus.COMPLETE,)) -> QuerySet[LeaderboardRun]:
    """Runs of the active leaderboard `key` (COMPLETE ones unless told), with what the API shows of them."""
    return (
        LeaderboardRun.objects.filter(leaderboard_id=key, status__in=statuses, leaderboard__is_active=True)
        .select_related("leaderboard", "challenge", "fallback_challenge")
        .annotate(season_id_of_period=_season_of_dates("period_start", "period_end"))
    )


def latest_complete_run(key: str) -> LeaderboardRun | None:
    """The latest COMPLETE run of an active leaderboard (see LATEST_ORDER), with its definition; one query."""
    return _run(sql.LATEST_COMPLETE_RUN, {"key": key})


def published_run(key: str, run_id: int) -> LeaderboardRun | None:
    """Run `run_id` if it is a COMPLETE or SUPERSEDED run of the active leaderboard `key`; one query.

    A corrected final run stays readable by its id (links to it never break), with the run that
    replaced it (`superseded_by`, whose note says why) joined in.
    """
    return _run(sql.PUBLISHED_RUN, {"key": key, "run": run_id}, superseded_by=True)


def previous_final_run(key: str, *, now: datetime.datetime | None = None) -> LeaderboardRun | None:
    """The final run of the period immediately before the current one, or None until it exists.

    Never an older period's final: between the end of a period and its final run (cron's next
    tick), or when it has none, there is no previous final. Between seasons, a SEASON board's
    previous period is the season that ended last. None for ALL_TIME. Two queries.
    """
    definition = get_definition(key)
    if definition is None:
        return None
    period = previous_period(definition.time_window, now=now or timezone.now())
    if period is None:
        return None
    params = {"key": key, "start": sql_datetime(period.start), "end": sql_datetime(period.end)}
    return _run(sql.FINAL_RUN_OF_PERIOD, params)


# What every run response shows of a run: the blocks of the run reads' `r.*, d.*, c.*, fc.*` (leaderboards.sql).
_RUN_BLOCKS = (LeaderboardRun, LeaderboardDef, Challenge, Challenge)
_RUN_RELATED = ("leaderboard", "challenge", "fallback_challenge")
_RUN_COLUMNS: dict[tuple[str, str], list[str]] = {}


@functools.cache
def _run_statement(statement: str) -> str:
    """A run read with its blocks' columns named (hedge.core.db.columns_of), written out once per process."""
    return statement.format(
        run=columns_of(LeaderboardRun, "r"),
        definition=columns_of(LeaderboardDef, "d"),
        challenge=columns_of(Challenge, "c"),
        fallback_challenge=columns_of(Challenge, "fc"),
        replacement=columns_of(LeaderboardRun, "n"),
    )


def _run(statement: str, params: dict, *, superseded_by: bool = False) -> LeaderboardRun | None:
    """The run a run read selects, with its definition and challenges (and the run that replaced it) in place.

    A plain statement hydrated into the models, as the ORM's select_related would: the queryset
    cost more to compile on every request than the statement to run. Prepared on PostgreSQL
    (hedge.core.db.prepared_statements_cursor): one index probe, planned once per connection.
    """
    db = connections[read_alias()]
    with prepared_statements_cursor(db.alias) as cursor:
        cursor.execute(_run_statement(statement), params)
        row = cursor.fetchone()
        if row is None:
            return None
        # The column names a statement selects are the same on every call: read once (psycopg builds them per call).
        columns = _RUN_COLUMNS.get((db.alias, statement))
        if columns is None:
            columns = _RUN_COLUMNS[db.alias, statement] = [column[0] for column in cursor.description]
    blocks = (*_RUN_BLOCKS, LeaderboardRun) if superseded_by else _RUN_BLOCKS
    run, *related = instances_from_row(db, row, columns, blocks)
    for name, instance in zip((*_RUN_RELATED, "superseded_by")[: len(related)], related, strict=True):
        LeaderboardRun._meta.get_field(name).set_cached_value(run, instance)
    run.season_id_of_period = row[-1]
    return run


@dataclass(frozen=True)
class DuePeriods:
    """Ended periods of a board still without final standings, oldest first: those a catch-up makes, those it skips."""

    due: list[Period]
    # Older than the newest LEADERBOARD_FINALS_CATCH_UP: never generated by cron.
    skipped: list[Period]


def due_final_periods(definition: LeaderboardDef, *, now: datetime.datetime) -> DuePeriods:
    """The periods whose final runs cron's next generation makes (generate_due_final_runs), oldest first.

    The periods that ended after the board's last final run (by period end) and after the board
    was created, the newest LEADERBOARD_FINALS_CATCH_UP of them; the period that ended last is due
    even when the board is younger (a new board's first final), unless a final run covers it.
    One query (two for SEASON; none for ALL_TIME, which has no periods).
    """
    if definition.time_window == TimeWindow.ALL_TIME:
        return DuePeriods(due=[], skipped=[])
    finals = LeaderboardRun.objects.filter(
        leaderboard_id=definition.key, status=RunStatus.COMPLETE, is_final=True, period_end__lte=now
    )
    last_final_end = finals.aggregate(end=Max("period_end"))["end"]
    after = definition.created_at if last_final_end is None else max(last_final_end, definition.created_at)
    periods = periods_ended_between(definition.time_window, after=after, now=now)
    if not periods:
        newest = previous_period(definition.time_window, now=now)
        if newest is not None and (last_final_end is None or newest.end > last_final_end):
            periods = [newest]
    keep = settings.LEADERBOARD_FINALS_CATCH_UP
    return DuePeriods(due=periods[-keep:], skipped=periods[:-keep])


def final_runs(key: str, *, before: int | None = None) -> QuerySet[LeaderboardRun]:
    """COMPLETE final runs of the active leaderboard `key`, newest period first (run id breaks ties); `before` a run id.

    `before` pages: only runs that come after run `before` in this order (keyset on (period_end, id)).
    """
    runs = _public_runs(key).filter(is_final=True)
    if before is not None:
        anchor = runs.filter(pk=before).values("period_end")[:1]
        runs = runs.filter(Q(period_end__lt=Subquery(anchor)) | Q(period_end=Subquery(anchor), id__lt=before))
    return runs.order_by("-period_end", "-id")


def superseded_run_ids(run_ids: list[int]) -> dict[int, list[int]]:
    """For each of these runs, the ids of the runs it replaced (oldest first); one query (the superseded_by index)."""
    replaced: dict[int, list[int]] = {}
    rows = LeaderboardRun.objects.filter(superseded_by__in=run_ids).order_by("id").values_list("superseded_by", "id")
    for by, run_id in rows:
        replaced.setdefault(by, []).append(run_id)
    return replaced


def previous_run_id(run: LeaderboardRun) -> int | None:
    """The run whose ranks `run`'s entries compare with (their previousRank); one query.

    A final run: the final run of the period before its own. Any other run: the newest COMPLETE
    scheduled run of the same leaderboard and period start (for ALL_TIME, simply the previous run).
    """
    runs = LeaderboardRun.objects.filter(leaderboard_id=run.leaderboard_id, status=RunStatus.COMPLETE)
    if run.is_final:
        runs = runs.filter(is_final=True, period_end=run.period_start)
    else:
        runs = runs.filter(is_final=False, is_backfill=False, period_start=run.period_start)
    return runs.exclude(pk=run.pk).order_by("-id").values_list("pk", flat=True).first()


def has_final_run(key: str, period) -> bool:
    """Whether the leaderboard has a published final run of exactly this period; one query."""
    return LeaderboardRun.objects.filter(
        leaderboard_id=key,
        status=RunStatus.COMPLETE,
        is_final=True,
        period_start=period.start,
        period_end=period.end,
    ).exists()


def top_entries(run: LeaderboardRun | int, *, limit: int, after: int = 0) -> QuerySet[LeaderboardEntry]:
    """The first `limit` entries of `run` after position `after`, by position (the (run, position) unique index).

    A keyset page: position 900,001 costs what position 1 costs.
    """
    entries = LeaderboardEntry.objects.filter(run=run)
    if after:
        entries = entries.filter(position__gt=after)
    return entries.order_by("position")[:limit]


ENTRY_FIELDS = ("rank", "position", "cluster_id", "score", "tiebreaker", "fallback_value", "previous_rank")
# Bumped whenever ENTRY_FIELDS or their values change meaning, so a shared cache (Redis) never
# hands a new release the rows an old one stored.
_ENTRY_CACHE_VERSION = 3
# Entries never go stale (see top_entry_values); the timeout only returns memory of runs nobody asks for.
ENTRY_CACHE_SECONDS = 3600


def top_entry_values(run: LeaderboardRun, *, limit: int, after: int = 0) -> list[dict]:
    """The first `limit` entries of published `run` after position `after`, as dicts of ENTRY_FIELDS; cached.

    A published run's entries never change: generation writes them in the same transaction that
    publishes the run, nothing changes them afterwards (the admin is read only; a correction only
    marks the run SUPERSEDED), and runs leave only by deletion (`prune_leaderboard_runs`). So (run, after, limit) always
    has the same answer and Django's cache ("default") may keep it, with no invalidation:
    - callers get `run` from latest_complete_run / published_run, which ask the database on every
      request, so a newly published run is served at once and a deleted or no longer public run
      is never looked up here;
    - the key holds the run's `finished_at` next to its id, so a run id that comes round again
      (a restored or re-created database, SQLite reusing ids after a rollback, two databases
      sharing one Redis) never finds another run's entries;
    - only a complete page is kept: one with `min(limit, row_count - after)` entries, what the run
      says it holds. A replica that has the run but not yet all its entries (one that lags behind
      the one the run was read from) gives fewer: then the page is read from the primary and
      answered without being cached, so no lagging replica's page outlives the lag.
    A hit costs no query; a miss one, by the (run, position) unique index (two after a short read).
    """
    key = f"leaderboards:entries:v{_ENTRY_CACHE_VERSION}:{run.id}:{run.finished_at.isoformat()}:{after}:{limit}"
    entries = cache.get(key)
    if entries is None:
        params = {"run": run.id, "after": after, "limit": limit}
        entries = _entry_rows(sql.ENTRIES_PAGE, params)
        if len(entries) == max(0, min(limit, run.row_count - after)):
            cache.set(key, entries, ENTRY_CACHE_SECONDS)
        else:
            entries = _entry_rows(sql.ENTRIES_PAGE, params, using=DEFAULT_DB_ALIAS)
    return entries


def _entry_rows(statement: str, params: dict, *, using: str | None = None) -> list[dict]:
    """The rows of a statement that selects ENTRY_FIELDS, as dicts; from `using`, else where reads go now.

    Prepared on PostgreSQL (hedge.core.db.prepared_statements_cursor): index probes of one run, planned once
    per connection, whatever the statistics know of the run.
    """
    with prepared_statements_cursor(using or read_alias()) as cursor:
        cursor.execute(statement, params)
        return [dict(zip(ENTRY_FIELDS, row, strict=True)) for row in cursor.fetchall()]


@dataclass(frozen=True)
class ClusterStanding:
    """One cluster's entry in a run, the entries just above and below it, and the share of the run behind it."""

    entry: dict
    above: list[dict]
    below: list[dict]
    # percentile_of(): percent of the clusters the run ranked strictly behind this one.
    percentile: float


def cluster_standing(run: LeaderboardRun, cluster_id: str, *, around: int) -> ClusterStanding | None:
    """Where `cluster_id` stands in `run` with `around` entries on each side; None when it has no entry.

    One query (sql.CLUSTER_NEIGHBOURHOOD): index lookups only, never a scan of the run. Prepared on PostgreSQL
    (hedge.core.db.prepared_statements_cursor): planning it took longer than running it (0.8 ms against 0.4 ms
    at 1,000,000 entries), and its generic plan probes the indexes whatever the statistics know of the run.
    """
    with prepared_statements_cursor(read_alias()) as cursor:
        cursor.execute(sql.CLUSTER_NEIGHBOURHOOD, {"run": run.id, "cluster": cluster_id, "around": around})
        rows = cursor.fetchall()
    if not rows:
        return None
    *_, position, last_position, behind = rows[0]
    entries = [dict(zip(ENTRY_FIELDS, row[: len(ENTRY_FIELDS)], strict=True)) for row in rows]
    [entry] = [e for e in entries if e["position"] == position]
    return ClusterStanding(
        entry=entry,
        above=[e for e in entries if e["position"] < position],
        below=[e for e in entries if e["position"] > position],
        percentile=percentile_of(
            ranked_total=run.ranked_total, last_tied_position=last_position - behind, last_position=last_position
        ),
    )


def percentile_of(*, ranked_total: int, last_tied_position: int, last_position: int) -> float:
    """THE percentile, the same on every endpoint: the percent of the clusters the run ranked before its
    max_entries cut (rankedTotal) that rank strictly behind the cluster (its ties are not behind it), 0..100,
    rounded down to one decimal, so never more than is true. `last_tied_position`: the last position holding
    the cluster's rank among the kept entries (a tie that runs past the cut counts as behind).

    A run recorded before rankedTotal existed knows only what it kept: at least `last_position`.
    """
    total = max(ranked_total, last_position)
    return (1000 * (total - last_tied_position) // total) / 10


def not_ranked_reason(run: LeaderboardRun, cluster_id: str) -> str:
    """Why `run` has no entry of `cluster_id` (serializers.NOT_RANKED_REASONS); one query.

    `excluded`: an exclusion the run applied names it. Else `below_cut` when the run ranked more clusters
    than it kept (it keeps no record of who was below the cut, so a cluster without a score is answered
    `below_cut` too on such a run), else `no_score`.
    """
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(sql.CLUSTER_EXCLUDED_FROM_RUN, {"run": run.id, "cluster": cluster_id})
        if cursor.fetchone() is not None:
            return "excluded"
    return "below_cut" if run.ranked_total > run.row_count else "no_score"


def entries_of_clusters(run: LeaderboardRun, cluster_ids: list[str]) -> list[dict]:
    """The entries of `run` of these clusters (those that have one), by position; one query (ENTRIES_OF_CLUSTERS)."""
    statement = sql.ENTRIES_OF_CLUSTERS.format(ids=json_strings("ids"))
    return _entry_rows(statement, {"run": run.id, "ids": json.dumps(cluster_ids)})


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


def active_definition_keys() -> list[str]:
    """Keys of every active leaderboard, in order (what cron's --all generates)."""
    return list(LeaderboardDef.objects.filter(is_active=True).order_by("key").values_list("key", flat=True))
