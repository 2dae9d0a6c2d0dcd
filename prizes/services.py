"""Writes of the prizes app: a final run's awards (and a correction's), and the game's settlement of one award."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone
from rest_framework_api_key.models import APIKey

from hedge.core.db import sql_datetime
from leaderboards.models import LeaderboardRun

from . import signals, sql
from .errors import SettleRefused, UnknownAward
from .models import AwardStatus, LeaderboardAward


@dataclass(frozen=True)
class AwardResult:
    count: int  # awards written for the run
    totals: dict[str, int]  # kind -> total quantity of those awards
    voided: int  # PENDING awards of the superseded run made VOID
    disentitled: int  # SETTLED awards of the period whose cluster the new run no longer entitles


def award_final_run(
    run: LeaderboardRun, *, superseded: LeaderboardRun | None = None, now: datetime.datetime | None = None
) -> AwardResult:
    """Write the awards `run`'s standings win under its board's prize table; called inside its publication.

    One INSERT ... SELECT from the run's entries (sql.AWARD), one from the period's league moves for the
    league tiers' prize rows (sql.AWARD_TIERS: the leagues' receiver writes the moves first). When `run`
    replaces `superseded` (a correction): the superseded run's PENDING awards become VOID first; then every
    SETTLED award of the period is marked "paid, no longer entitled" unless the new run awards the same prize row to
    the same cluster, in which case the new run's copy is dropped (paid once). Sends
    signals.awards_created when awards were written. Must run inside the publishing transaction.
    """
    now = now or timezone.now()
    params = {"run": run.pk, "rows": run.row_count, "now": sql_datetime(now), "superseded": None}
    voided = disentitled = 0
    with transaction.atomic(), connection.cursor() as cursor:
        if superseded is not None:
            params["superseded"] = superseded.pk
            cursor.execute(sql.VOID_PENDING, params)
            voided = cursor.rowcount
        cursor.execute(sql.AWARD, params)
        count = cursor.rowcount
        cursor.execute(sql.AWARD_TIERS, params)
        count += cursor.rowcount
        if superseded is not None:
            cursor.execute(sql.MARK_DISENTITLED, params)
            cursor.execute(sql.DROP_SETTLED_TWINS, params)
            count -= cursor.rowcount
            disentitled = LeaderboardAward.objects.filter(disentitled_by_run_id=run.pk).count()
        totals = run_totals(run.pk) if count else {}
        if count:
            signals.awards_created.send(sender=LeaderboardAward, run=run, count=count, totals=totals)
    return AwardResult(count=count, totals=totals, voided=voided, disentitled=disentitled)


def run_totals(run_id: int) -> dict[str, int]:
    """{kind: total quantity} of a run's awards; one query (leaderboard_awards_run_idx)."""
    rows = (
        LeaderboardAward.objects.filter(run_id=run_id)
        .order_by()
        .values("kind")
        .annotate(total=Sum("quantity"))
        .order_by("kind")
    )
    return {row["kind"]: row["total"] for row in rows}


@dataclass(frozen=True)
class Settled:
    award: LeaderboardAward
    # False: it was already settled with this reference (an identical earlier or concurrent request).
    settled_now: bool


def settle_award(award_id: int, *, reference: str, api_key: APIKey, now: datetime.datetime | None = None) -> Settled:
    """Record that the game paid award `award_id`, with its `reference` (e.g. a transaction hash); idempotent.

    Decided under the award's row lock, so 32 identical concurrent settles write one settlement
    and, of two different references at once, one wins. The same reference again returns the
    award as it is. Raises UnknownAward; SettleRefused with `void`, `already_settled` (another
    reference) or `reference_used` (the reference settled another award; the unique constraint
    decides between concurrent ones). Sends signals.award_settled inside the transaction.
    """
    now = now or timezone.now()
    try:
        with transaction.atomic():
            award = LeaderboardAward.objects.select_for_update().filter(pk=award_id).first()
            if award is None:
                raise UnknownAward(f"No award {award_id}.")
            if award.status == AwardStatus.SETTLED:
                if award.reference == reference:
                    return Settled(award, settled_now=False)
                raise SettleRefused(
                    "already_settled",
                    f"Award {award.pk} was settled with another reference at {award.settled_at:%Y-%m-%d %H:%M:%S} UTC.",
                )
            if award.status == AwardStatus.VOID:
                raise SettleRefused(
                    "void", f"Award {award.pk} is void: its final run was replaced by run {award.voided_by_run_id}."
                )
            if LeaderboardAward.objects.filter(reference=reference).exists():
                raise _reference_used(award.pk, reference)
            award.status, award.reference, award.settled_at, award.api_key = (
                AwardStatus.SETTLED,
                reference,
                now,
                api_key,
            )
            with transaction.atomic():
                award.save(update_fields=["status", "reference", "settled_at", "api_key"])
            signals.award_settled.send(sender=LeaderboardAward, award=award, api_key=api_key)
    except IntegrityError as exc:
        # Another award committed this reference between the check and the write.
        raise _reference_used(award_id, reference) from exc
    return Settled(award, settled_now=True)


def _reference_used(award_id: int, reference: str) -> SettleRefused:
    return SettleRefused("reference_used", f"Reference {reference!r} already settled another award than {award_id}.")
