"""Retention of challenge_progress_history: old rows go, every gain a kept period needs stays."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from hedge.core.db import analyze_in_transaction, sql_datetime

from .. import sql
from ..models import Challenge
from ..signals import history_needed_since

logger = logging.getLogger(__name__)

DEFAULT_BATCH = 10_000


DEFAULT_MONTHS_AHEAD = 2


@dataclass(frozen=True)
class HistoryPruneResult:
    cutoff: datetime.datetime
    deleted: int
    dropped_partitions: tuple[str, ...] = ()


def history_is_partitioned() -> bool:
    """Whether challenge_progress_history is partitioned by month (PostgreSQL, migration 0004)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(sql.HISTORY_IS_PARTITIONED)
        return cursor.fetchone()[0]


def _month_start(moment: datetime.datetime) -> datetime.datetime:
    return moment.astimezone(datetime.UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _next_month(month: datetime.datetime) -> datetime.datetime:
    return (month + datetime.timedelta(days=32)).replace(day=1)


def _partition_name(month: datetime.datetime) -> str:
    return f"challenge_progress_history_{month:%Y_%m}"


def _partition_month(name: str) -> datetime.datetime:
    year, month = name.rsplit("_", 2)[-2:]
    return datetime.datetime(int(year), int(month), 1, tzinfo=datetime.UTC)


def _month_partitions(cursor) -> list[str]:
    cursor.execute(sql.HISTORY_MONTH_PARTITIONS)
    return [name for (name,) in cursor.fetchall()]


def _base_end(cursor) -> datetime.datetime | None:
    """Where the baseline partition's range ends (the end of the newest month dropped), None before any prune."""
    cursor.execute(sql.HISTORY_BASE_END)
    return cursor.fetchone()[0]


def create_history_partitions(
    *, now: datetime.datetime | None = None, months_ahead: int = DEFAULT_MONTHS_AHEAD
) -> list[str]:
    """Create the month partitions of challenge_progress_history from `now`'s month to `months_ahead` later.

    Returns the names created (none on SQLite, where history is one table). Rows the DEFAULT
    partition already holds for a month move into its new partition. A month the prune already folded
    into the baseline partition gets none (its rows land in the baseline). The ETL and the import call
    it before writing; cron calls it through `create_history_partitions` so a month's partition
    exists before its first write even if neither runs.
    """
    if months_ahead < 0:
        raise ValueError(f"months_ahead must be at least 0, not {months_ahead}")
    if not history_is_partitioned():
        return []
    month = _month_start(now or timezone.now())
    created = []
    with connection.cursor() as cursor:
        existing = set(_month_partitions(cursor))
    for _ in range(months_ahead + 1):
        name, following = _partition_name(month), _next_month(month)
        if name not in existing and _create_partition(name, start=month, end=following):
            created.append(name)
        month = following
    if created:
        logger.info("progress history: partitions %s created", ", ".join(created))
    return created


def _create_partition(name: str, *, start: datetime.datetime, end: datetime.datetime) -> bool:
    """Create and attach one month partition; False when another process made it meanwhile or the baseline covers it."""
    params = {"start": start, "end": end}
    partition = connection.ops.quote_name(name)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql.LOCK_HISTORY_PARTITIONING)
        cursor.execute(sql.HISTORY_PARTITION_EXISTS, {"name": name})
        if cursor.fetchone()[0]:
            return False
        folded_until = _base_end(cursor)
        if folded_until is not None and end <= folded_until:
            return False
        cursor.execute(sql.CREATE_HISTORY_PARTITION_TABLE.format(partition=partition))
        cursor.execute(sql.MOVE_DEFAULT_HISTORY_INTO_PARTITION.format(partition=partition), params)
        cursor.execute(sql.ATTACH_HISTORY_PARTITION.format(partition=partition), params)
    return True


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

    Partitioned (PostgreSQL), each month partition that ends at or before the cutoff is dropped
    whole and the baseline partition rebuilt with the rows still needed of it and of everything
    before it (`_drop_partitions_before`); rows of the month the cutoff falls in stay until that
    whole month is before the cutoff, and baseline rows superseded by rows of that month wait for
    its rebuild. Only DEFAULT rows older than the cutoff with no month left to drop (rare) are
    deleted row by row.
    """
    if keep_days < 1:
        raise ValueError(f"keep_days must be at least 1, not {keep_days}")
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=keep_days)
    needed = [moment for _, moment in history_needed_since.send(sender=prune_progress_history, now=now) if moment]
    cutoff = min([cutoff, *needed])
    deleted, dropped, delete_statement = 0, (), sql.DELETE_PRUNABLE_HISTORY
    if history_is_partitioned():
        deleted, dropped = _drop_partitions_before(cutoff)
        delete_statement = sql.DELETE_PRUNABLE_DEFAULT_HISTORY
    for challenge_id in Challenge.objects.order_by("pk").values_list("pk", flat=True):
        params = {"challenge": challenge_id, "cutoff": sql_datetime(cutoff), "batch": batch_size}
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(delete_statement, params)
                batch = cursor.rowcount
            deleted += batch
            if batch < batch_size:
                break
    if deleted:
        logger.info("progress history: %s rows recorded before %s deleted", deleted, cutoff.isoformat())
    return HistoryPruneResult(cutoff=cutoff, deleted=deleted, dropped_partitions=dropped)


def _drop_partitions_before(cutoff: datetime.datetime) -> tuple[int, tuple[str, ...]]:
    """Drop each month partition that ends at or before `cutoff`, oldest first, each in its own transaction.

    The rows a gain still needs of every row before the month's end (the baseline partition, the month, any
    DEFAULT rows of earlier months) go into a new baseline table, built beside the table while those
    partitions are locked against writes (readers go on); then the old baseline and the month are detached
    and dropped, those DEFAULT rows deleted, and the new baseline attached up to the month's end. Readers
    wait only for that swap, never see it half done, and nothing is deleted row by row.
    """
    deleted, dropped = 0, []
    with connection.cursor() as cursor:
        names = [name for name in _month_partitions(cursor) if _next_month(_partition_month(name)) <= cutoff]
    for name in names:
        end = _next_month(_partition_month(name))
        bounds = {"end": end, "cutoff": sql_datetime(cutoff)}
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql.LOCK_HISTORY_PARTITIONING)
            cursor.execute(sql.HISTORY_PARTITION_EXISTS, {"name": name})
            if not cursor.fetchone()[0]:  # dropped meanwhile by another prune
                continue
            cursor.execute(sql.HISTORY_PARTITION_EXISTS, {"name": sql.HISTORY_BASE})
            replaced = [sql.HISTORY_BASE] if cursor.fetchone()[0] else []
            replaced.append(name)
            for table in (*replaced, "challenge_progress_history_default"):
                cursor.execute(
                    sql.LOCK_HISTORY_PARTITION_AGAINST_WRITES.format(partition=connection.ops.quote_name(table))
                )
            cursor.execute(sql.COUNT_HISTORY_BEFORE, bounds)
            rows = cursor.fetchone()[0]
            cursor.execute(sql.SET_HISTORY_BASE_MEMORY)
            cursor.execute(sql.CREATE_HISTORY_BASE_TABLE, bounds)
            cursor.execute(sql.BUILD_HISTORY_BASE, bounds)
            kept = cursor.rowcount
            for statement in sql.HISTORY_BASE_INDEXES:
                cursor.execute(statement)
            analyze_in_transaction(cursor, sql.HISTORY_BASE_NEXT)
            cursor.execute(sql.DELETE_DEFAULT_HISTORY_BEFORE, bounds)  # still before the swap: readers go on
            for table in replaced:
                partition = connection.ops.quote_name(table)
                cursor.execute(sql.DETACH_HISTORY_PARTITION.format(partition=partition))
                cursor.execute(sql.DROP_HISTORY_PARTITION.format(partition=partition))
            cursor.execute(sql.RENAME_HISTORY_BASE_NEXT)
            cursor.execute(sql.ATTACH_HISTORY_BASE, bounds)
        deleted += rows - kept
        dropped.append(name)
        logger.info("progress history: partition %s dropped, %s of the %s rows before its end kept", name, kept, rows)
    return deleted, tuple(dropped)
