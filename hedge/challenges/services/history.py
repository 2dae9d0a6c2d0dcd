"""Retention of challenge_progress_history: old rows go, every gain a kept period needs stays."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from hedge.db import sql_datetime

from .. import sql
from ..models import Challenge
from ..signals import history_needed_since

logger = logging.getLogger(__name__)

DEFAULT_BATCH = 10_000


@dataclass(frozen=True)
class HistoryPruneResult:
    cutoff: datetime.datetime
    deleted: int


def prune_progress_history(
    *, keep_days: int, now: datetime.datetime | None = None, batch_size: int = DEFAULT_BATCH
) -> HistoryPruneResult:
    """Delete history recorded more than `keep_days` days before `now` that no gain of a kept period needs.

    Of each (challenge, cluster) it keeps, before the cutoff, the newest row (the baseline of
    every period starting at or after the cutoff) and the first row (the baseline of periods that
    started before history began), so no such period's gain changes. The cutoff moves back to
    the earliest moment another app still needs (`history_needed_since`: a season not yet final,
    a period whose final run is still due). Deletes in batches of `batch_size`, each its own
    transaction, so it can run from cron while the ETL writes.
    """
    if keep_days < 1:
        raise ValueError(f"keep_days must be at least 1, not {keep_days}")
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=keep_days)
    needed = [moment for _, moment in history_needed_since.send(sender=prune_progress_history, now=now) if moment]
    cutoff = min([cutoff, *needed])
    deleted = 0
    for challenge_id in Challenge.objects.order_by("pk").values_list("pk", flat=True):
        params = {"challenge": challenge_id, "cutoff": sql_datetime(cutoff), "batch": batch_size}
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql.DELETE_PRUNABLE_HISTORY, params)
                batch = cursor.rowcount
            deleted += batch
            if batch < batch_size:
                break
    if deleted:
        logger.info("progress history: %s rows recorded before %s deleted", deleted, cutoff.isoformat())
    return HistoryPruneResult(cutoff=cutoff, deleted=deleted)
