"""challenge_progress_history becomes PARTITION BY RANGE (recorded_at) on PostgreSQL, one partition a month.

Every row is copied into the partitioned table (the old table is renamed, copied, then dropped, in
the migration's transaction), with its id; the identity continues after the highest id. The primary
key becomes (id, recorded_at): PostgreSQL requires the partition key in every unique constraint.
The model is unchanged (Django only ever reads and writes `id`), so this migration has no state
operation, and SQLite keeps one table. A DEFAULT partition takes any row no month partition covers.
The statements are written out here, not imported, so the migration stays what it was when applied.
"""

import datetime

from django.db import migrations

TABLE = "challenge_progress_history"
OLD = "challenge_progress_history_unpartitioned"
MONTHS_AHEAD = 2

# Index names are global to the schema: the old table's move aside with it.
_INDEXES = (
    "challenge_progress_history_pkey",
    "challenge_progress_history_challenge_id_12ced64f",
    "progress_history_lookup_idx",
    "progress_history_window_idx",
)
# Rows are copied before the indexes are built: one sort per index instead of a row-by-row insert.
_TABLE_INDEXES = """
CREATE INDEX challenge_progress_history_challenge_id_12ced64f ON challenge_progress_history (challenge_id);
CREATE INDEX progress_history_lookup_idx ON challenge_progress_history (challenge_id, cluster_id, recorded_at);
CREATE INDEX progress_history_window_idx ON challenge_progress_history (challenge_id, recorded_at);
ALTER TABLE challenge_progress_history ADD CONSTRAINT challenge_progress_h_challenge_id_12ced64f_fk_challenge
    FOREIGN KEY (challenge_id) REFERENCES challenges (id) DEFERRABLE INITIALLY DEFERRED;
"""
IS_PARTITIONED = "SELECT relkind = 'p' FROM pg_class WHERE oid = 'challenge_progress_history'::regclass"
MONTHS_OF_ROWS = f"SELECT date_trunc('month', MIN(recorded_at), 'UTC'), date_trunc('month', now(), 'UTC') FROM {TABLE}"
RESTART_IDENTITY = f"""
SELECT setval(pg_get_serial_sequence('{TABLE}', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM {TABLE}
"""


def _set_aside(cursor):
    cursor.execute(f"ALTER TABLE {TABLE} RENAME TO {OLD}")
    cursor.execute(f"ALTER SEQUENCE IF EXISTS {TABLE}_id_seq RENAME TO {OLD}_id_seq")
    for index in _INDEXES:
        cursor.execute(f"ALTER INDEX {index} RENAME TO {index[:50]}_old")


def _copy_back(cursor):
    cursor.execute(f"INSERT INTO {TABLE} SELECT * FROM {OLD}")
    cursor.execute(f"DROP TABLE {OLD}")
    cursor.execute(_TABLE_INDEXES)
    cursor.execute(RESTART_IDENTITY)
    cursor.execute(f"ANALYZE {TABLE}")


def _months(first: datetime.datetime | None, current: datetime.datetime):
    month = (first or current).replace(tzinfo=datetime.UTC)
    last = current.replace(tzinfo=datetime.UTC)
    for _ in range(MONTHS_AHEAD):
        last = (last + datetime.timedelta(days=32)).replace(day=1)
    while month <= last:
        following = (month + datetime.timedelta(days=32)).replace(day=1)
        yield month, following
        month = following


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(IS_PARTITIONED)
        if cursor.fetchone()[0]:
            return
        cursor.execute(MONTHS_OF_ROWS)
        first, current = cursor.fetchone()
        _set_aside(cursor)
        cursor.execute(
            f"CREATE TABLE {TABLE} (LIKE {OLD} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY, "
            "CONSTRAINT challenge_progress_history_pkey PRIMARY KEY (id, recorded_at)) PARTITION BY RANGE (recorded_at)"
        )
        cursor.execute(f"CREATE TABLE {TABLE}_default PARTITION OF {TABLE} DEFAULT")
        for start, end in _months(first, current):
            cursor.execute(
                f"CREATE TABLE {TABLE}_{start:%Y_%m} PARTITION OF {TABLE} FOR VALUES FROM (%s) TO (%s)", [start, end]
            )
        _copy_back(cursor)


def unpartition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(IS_PARTITIONED)
        if not cursor.fetchone()[0]:
            return
        _set_aside(cursor)
        cursor.execute(
            f"CREATE TABLE {TABLE} (LIKE {OLD} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY, "
            "CONSTRAINT challenge_progress_history_pkey PRIMARY KEY (id))"
        )
        _copy_back(cursor)


class Migration(migrations.Migration):
    dependencies = [("challenges", "0003_catalogue_history")]

    operations = [migrations.RunPython(partition, unpartition, elidable=False)]
