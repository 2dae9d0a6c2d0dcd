"""Reads of the prizes app: prize tables, awards for the game and the public, and the admin's previews."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection, connections, transaction
from django.db.models import Count, Q, QuerySet, Sum

from hedge.core.db import db_datetime
from hedge.core.routers import read_alias
from leaderboards.models import LeaderboardRun, RunStatus

from . import sql
from .models import AwardStatus, LeaderboardAward, LeaderboardPrize

PRIZE_FIELDS = ("rank_from", "rank_to", "top_percent", "min_score", "name", "kind", "quantity", "data")
# What the service list and the public page read of an award.
SERVICE_FIELDS = (
    "id",
    "leaderboard_key",
    "run_id",
    "period_start",
    "period_end",
    "cluster_id",
    "rank",
    "score",
    "name",
    "kind",
    "quantity",
    "data",
    "status",
    "reference",
    "settled_at",
    "league_key",
    "league_level",
    "league_cohort",
)
PUBLIC_FIELDS = ("cluster_id", "rank", "position", "score", "name", "kind", "quantity", "data", "status")


def prize_tables(keys: list[str]) -> dict[str, list[dict]]:
    """{leaderboard key: its prize rows in table order} for the boards `keys`; one query."""
    tables: dict[str, list[dict]] = defaultdict(list)
    rows = LeaderboardPrize.objects.filter(leaderboard_id__in=keys).values("leaderboard_id", *PRIZE_FIELDS)
    for row in rows:
        tables[row.pop("leaderboard_id")].append(row)
    return tables


def service_awards(
    *, status: str | None = None, leaderboard_key: str | None = None, after: int = 0, limit: int
) -> list[dict]:
    """A keyset page of awards by id (the game's list): after id `after`, at most `limit`; one query.

    A raw statement (sql.SERVICE_AWARDS_PAGE): the ORM's compilation and row conversion cost more
    than the query on a page of 100. Rows as the ORM's .values(*SERVICE_FIELDS) would give them.
    """
    scope = sql.SERVICE_SCOPES[(status is not None, leaderboard_key is not None)]
    params = {"after": after, "limit": limit, "status": status, "leaderboard": leaderboard_key}
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(sql.SERVICE_AWARDS_PAGE.format(scope=scope), params)
        rows = cursor.fetchall()
    awards = []
    for row in rows:
        award = dict(zip(SERVICE_FIELDS, row, strict=True))
        award["data"] = json.loads(award["data"])
        for name in ("period_start", "period_end", "settled_at"):
            award[name] = db_datetime(award[name])
        awards.append(award)
    return awards


def final_run(key: str, run_id: int) -> LeaderboardRun | None:
    """Run `run_id` if it is the published (COMPLETE) final run of a period of the active board `key`; one query."""
    return (
        LeaderboardRun.objects.filter(
            pk=run_id, leaderboard_id=key, leaderboard__is_active=True, status=RunStatus.COMPLETE, is_final=True
        )
        .select_related("leaderboard")
        .first()
    )


def run_awards_page(run_id: int, *, after: int, limit: int) -> list[dict]:
    """The board prizes' awards of the clusters at the next `limit` awarded positions after `after`; one query.

    A page never splits one cluster's stacked awards. A league tier's awards (positions within a cohort)
    are the league's, not the board's page. Uses index: leaderboard_awards_run_idx.
    """
    awards = LeaderboardAward.objects.filter(run_id=run_id, position__gt=after, league_key__isnull=True)
    positions = awards.order_by("position").values("position").distinct()[:limit]
    return list(awards.filter(position__in=positions).order_by("position", "id").values(*PUBLIC_FIELDS))


def run_award_totals(run_id: int) -> list[dict]:
    """A run's awards per kind and status: {kind, status, awards, quantity}; one query (the run page)."""
    return list(
        LeaderboardAward.objects.filter(run_id=run_id)
        .order_by()
        .values("kind", "status")
        .annotate(awards=Count("id"), quantity=Sum("quantity"))
        .order_by("kind", "status")
    )


# SETTLED awards whose cluster a correcting final run no longer entitles (staff decide what to do).
PAID_NO_LONGER_ENTITLED = Q(status=AwardStatus.SETTLED, disentitled_by_run_id__isnull=False)


def paid_no_longer_entitled() -> QuerySet[LeaderboardAward]:
    return LeaderboardAward.objects.filter(PAID_NO_LONGER_ENTITLED)


@dataclass(frozen=True)
class PrizePreviewRow:
    prize: LeaderboardPrize
    clusters: int

    @property
    def quantity(self) -> int:
        return self.clusters * self.prize.quantity


@dataclass(frozen=True)
class PrizePreview:
    run: LeaderboardRun
    rows: list[PrizePreviewRow]
    totals: dict[str, int]  # kind -> total quantity


def preview_prizes(leaderboard_key: str, run: LeaderboardRun) -> PrizePreview:
    """What each prize row of `leaderboard_key`'s table would award in `run`, and the totals per kind; writes nothing.

    The rows are read as they stand in this transaction, so a caller may write an unsaved table
    inside a transaction it rolls back (the admin's preview of a form before saving).
    """
    params = {"run": run.pk, "rows": run.row_count, "leaderboard": leaderboard_key}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql.PREVIEW, params)
        clusters = dict(cursor.fetchall())
        prizes = list(LeaderboardPrize.objects.filter(leaderboard_id=leaderboard_key))
    rows = [PrizePreviewRow(prize, clusters.get(prize.pk, 0)) for prize in prizes]
    totals: dict[str, int] = defaultdict(int)
    for row in rows:
        totals[row.prize.kind] += row.quantity
    return PrizePreview(run=run, rows=rows, totals=dict(sorted(totals.items())))
