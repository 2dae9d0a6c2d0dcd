"""Set-based upsert of challenge progress, with history and tiers."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection

from hedge.core.db import bulk_load, create_temp_table, drop_temp_table, sql_datetime

from .. import sql


@dataclass(frozen=True)
class UpsertResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    # Errors of post-ETL hook receivers (the progress itself is committed).
    hook_errors: tuple[str, ...] = ()

    @property
    def changed(self) -> int:
        return self.inserted + self.updated

    def __add__(self, other: UpsertResult) -> UpsertResult:
        return UpsertResult(
            self.inserted + other.inserted, self.updated + other.updated, self.unchanged + other.unchanged
        )


def upsert_progress(rows: Iterable[tuple[str, int, int]], *, now: datetime.datetime) -> UpsertResult:
    """Upsert `(cluster_id, challenge_id, value)` rows set-based: changed ones get their tier, `now` and history.

    The caller owns the transaction; one bad row fails the whole call with the database's error.
    """
    with connection.cursor() as cursor:
        create_temp_table(cursor, sql.PROGRESS_STAGE, sql.PROGRESS_STAGE_COLUMNS)
        try:
            total = bulk_load(cursor, sql.PROGRESS_STAGE, ("cluster_id", "challenge_id", "value"), rows)
            return write_staged_progress(cursor, total=total, now=now)
        finally:
            drop_temp_table(cursor, sql.PROGRESS_STAGE)


def write_staged_progress(cursor, *, total: int, now: datetime.datetime) -> UpsertResult:
    """Write the `total` rows of `hedge_progress_stage` (one per challenge and cluster) to progress and history.

    For callers that staged the rows themselves (the import stages them with their line numbers);
    the caller owns the transaction and the stage.
    """
    if total == 0:
        return UpsertResult()
    params = {"now": sql_datetime(now)}
    cursor.execute(sql.COUNT_STAGED_CHANGES)
    inserted, updated = cursor.fetchone()
    if inserted or updated:
        cursor.execute(sql.INSERT_STAGED_HISTORY, params)
        cursor.execute(sql.UPSERT_STAGED_PROGRESS, params)
    return UpsertResult(int(inserted), int(updated), total - int(inserted) - int(updated))
