"""Small helpers for the raw SQL that hedge's set-based paths run on PostgreSQL and SQLite alike.

The ORM cannot express `INSERT ... SELECT ... ON CONFLICT` or window functions feeding an insert,
so those statements are written by hand; what differs between the two databases lives here.
"""

from __future__ import annotations

import datetime
import fcntl
import functools
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, nullcontext
from itertools import islice

from django.db import DatabaseError, OperationalError, connection, connections, transaction

# Rows sent per executemany() on SQLite; PostgreSQL streams through COPY instead.
_SQLITE_BATCH = 5_000


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def binary_collation() -> str:
    """The COLLATE clause that orders text byte by byte (code point order), as SQLite's default does.

    PostgreSQL otherwise orders text by the database's collation (en_US ignores case first), so
    positions among equal scores would differ between databases and with the server's locale.
    """
    return ' COLLATE "C"' if is_postgresql() else ""


def sql_limit(limit: int) -> int | None:
    """The value of a `LIMIT %s` parameter for "at most `limit` rows", where 0 means no limit."""
    if limit:
        return limit
    return None if is_postgresql() else -1


def counted_upsert(cursor, upsert_sql: str, params: dict, *, count_sql: str) -> tuple[int, int]:
    """Run an `INSERT ... ON CONFLICT DO UPDATE ... WHERE changed` and return (rows inserted, rows inserted or updated).

    PostgreSQL counts in the statement itself (an inserted row has no `xmax`; a row rewritten by
    ON CONFLICT DO UPDATE carries the row lock the upsert took first). SQLite has no INSERT inside
    WITH: `count_sql` (the target rows the upsert can touch) is counted before and after.
    """
    if is_postgresql():
        cursor.execute(
            f"WITH up AS ({upsert_sql} RETURNING (xmax = 0) AS inserted)"
            " SELECT COUNT(*) FILTER (WHERE up.inserted), COUNT(*) FROM up",
            params,
        )
        inserted, changed = cursor.fetchone()
        return inserted, changed
    cursor.execute(count_sql, params)
    before = cursor.fetchone()[0]
    cursor.execute(upsert_sql, params)
    changed = cursor.rowcount
    cursor.execute(count_sql, params)
    return cursor.fetchone()[0] - before, changed


def sum_beyond_bigint(expression: str) -> str:
    """A SQL condition on a group: SUM(expression) does not fit a 64-bit integer.

    PostgreSQL sums bigint exactly (as numeric). SQLite's SUM raises on overflow, so its TOTAL
    (a float) is compared, a little below the limit so that no group it lets through overflows.
    """
    if is_postgresql():
        return f"SUM({expression}) > 9223372036854775807"
    return f"TOTAL({expression}) > 9.2e18"


def set_local_lock_timeout(seconds: float) -> None:
    """Bound how long the rest of this transaction waits for a row lock (PostgreSQL; SQLite has its busy timeout)."""
    if is_postgresql():
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{int(seconds * 1000)}ms"])


@contextmanager
def session_statement_timeout(seconds: float) -> Iterator[None]:
    """For the block, bound every statement on each PostgreSQL connection to `seconds` (0: the server's default).

    The setting is made just before a connection's first statement in the block, so a connection
    that the block never uses is never opened. It stays on the session (and is not set again)
    until a block asks for another value: a worker serving request after request on one
    persistent connection pays one extra round trip when the wanted value changes, not one per
    request. Inside a transaction it is SET LOCAL, because a rollback would undo a session SET.
    The statement runs on the driver's cursor, so it is not one of the queries Django counts.
    A statement stopped by the timeout raises OperationalError (QueryCanceled). SQLite has none.
    """
    wanted = f"{int(seconds * 1000)}ms" if seconds else None
    applied: set[str] = set()
    set_locally = []

    def apply(execute, sql, params, many, context):
        db = context["connection"]
        if db.alias not in applied:
            applied.add(db.alias)
            if _set_statement_timeout(db, context["cursor"].cursor, wanted):
                set_locally.append(db)
        return execute(sql, params, many, context)

    with ExitStack() as stack:
        for db in connections.all():
            if db.vendor == "postgresql":
                stack.enter_context(db.execute_wrapper(apply))
        try:
            yield
        finally:
            for db in set_locally:
                _restore_session_statement_timeout(db)


def _set_statement_timeout(db, cursor, wanted: str | None) -> bool:
    """Make `wanted` the connection's statement timeout; True when it was set only for the current transaction."""
    raw = db.connection
    if getattr(raw, "hedge_statement_timeout", None) == wanted and not db.in_atomic_block:
        return False
    value = "DEFAULT" if wanted is None else f"'{wanted}'"  # wanted is built from a number above
    if db.in_atomic_block:
        cursor.execute(f"SET LOCAL statement_timeout TO {value}")
        return True
    cursor.execute(f"SET statement_timeout TO {value}")
    raw.hedge_statement_timeout = wanted
    return False


def _restore_session_statement_timeout(db) -> None:
    """Undo a SET LOCAL before the transaction goes on without the block (unless the transaction already failed)."""
    from psycopg.pq import TransactionStatus

    raw = db.connection
    if raw is not None and raw.info.transaction_status == TransactionStatus.INTRANS:
        with raw.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout TO DEFAULT")


@contextmanager
def prepared_statements_cursor(alias: str) -> Iterator:
    """A cursor of `alias` on which PostgreSQL plans each statement with parameters once per connection.

    For a hot public read whose planning costs as much as running it (the leagues' cohort read: 0.5 ms to plan
    its standings, less to run them): each statement is prepared on its first execution on a connection (psycopg
    names it; the parameters are bound by the server) and from then on only executed, with its generic plan: the
    connection's plan_cache_mode is force_generic_plan, set once outside a transaction (it concerns prepared
    statements only, and Django's own cursors prepare none; PL/pgSQL's too: the season levels' trigger, whose
    one query plans the same either way). Use it only for statements whose plan does not depend on the values
    (index probes by equality). Django leaves prepared statements off (prepare_threshold None) because a pooler
    in transaction mode may hand a statement to another server connection; PgBouncer >= 1.21 keeps them
    (max_prepared_statements). Statements without parameters run unprepared. Execute wrappers apply as on any
    cursor. SQLite: the alias's plain cursor.
    """
    db = connections[alias]
    if db.vendor != "postgresql":
        with db.cursor() as cursor:
            yield cursor
        return
    db.close_if_health_check_failed()
    db.ensure_connection()
    raw = db.connection
    with db.wrap_database_errors:
        if raw.prepare_threshold is None:
            # psycopg prepares nothing on a connection without a threshold, even when asked. Django's cursors bind
            # parameters on the client and never prepare, whatever the threshold: only this cursor's statements do.
            raw.prepare_threshold = 0
        if not getattr(raw, "hedge_generic_plans", False) and not db.in_atomic_block:
            with raw.cursor() as setup:
                setup.execute("SET plan_cache_mode = force_generic_plan")
            raw.hedge_generic_plans = True
        cursor = _preparing_cursor_class()(raw)
        _register_tzloader_as_django_does(db, cursor)
    db.validate_thread_sharing()
    with db.make_debug_cursor(cursor) if db.queries_logged else db.make_cursor(cursor) as wrapped:
        yield wrapped


def _preparing_cursor_class():
    global _PreparingCursor
    if _PreparingCursor is None:
        from django.db.backends.postgresql.base import ServerBindingCursor

        class PreparingCursor(ServerBindingCursor):
            def execute(self, query, params=None, *, prepare=None, binary=None):
                prepare = params is not None if prepare is None else prepare
                return super().execute(query, params, prepare=prepare, binary=binary)

            def _send_query_prepared(self, name, pgq, *, binary=None):
                # psycopg records the statement it sent (Django's debug log reads cursor._query) only when it runs
                # unprepared: without this the log would name no statement, or the cursor's previous one. Logged as
                # sent, with $n placeholders (the values are bound by the server).
                self._query = pgq
                return super()._send_query_prepared(name, pgq, binary=binary)

        _PreparingCursor = PreparingCursor
    return _PreparingCursor


_PreparingCursor = None


def _register_tzloader_as_django_does(db, cursor) -> None:
    # As DatabaseWrapper.create_cursor: timestamptz values in the connection's time zone.
    from django.db.backends.postgresql.base import TIMESTAMPTZ_OID
    from django.db.backends.postgresql.psycopg_any import register_tzloader
    from psycopg.pq import Format

    if db.timezone != db.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT).timezone:
        register_tzloader(db.timezone, cursor)


def sql_datetime(value: datetime.datetime):
    """A datetime as the backend stores it (naive UTC text on SQLite, timestamptz on PostgreSQL).

    Raw SQL must compare and write datetimes exactly as the ORM does, or string comparison on
    SQLite silently goes wrong.
    """
    return connection.ops.adapt_datetimefield_value(value)


def db_datetime(value) -> datetime.datetime | None:
    """A timestamp read by a raw cursor, aware as the ORM gives it.

    PostgreSQL hands back an aware datetime; SQLite naive UTC, or its text where the column is an
    expression (MIN(), a CASE).
    """
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=datetime.UTC)


def create_temp_table(cursor, name: str, columns_sql: str) -> None:
    """A scratch table private to this connection, dropped at commit on PostgreSQL.

    On SQLite it lives until `drop_temp_table` (call it in a `finally`).
    """
    cursor.execute(f"DROP TABLE IF EXISTS {name}")
    on_commit = " ON COMMIT DROP" if is_postgresql() else ""
    cursor.execute(f"CREATE TEMP TABLE {name} ({columns_sql}){on_commit}")


def analyze_in_transaction(cursor, table: str, *columns: str) -> None:
    """Refresh the planner's statistics of `table` (or of its `columns`) inside the transaction, its rows included.

    PostgreSQL only (SQLite plans these reads by its indexes without statistics). For temp tables, which
    autovacuum never analyzes: without statistics the planner guesses hundreds of rows and hash-joins whole
    tables even for a single cluster. For rows just written to a shared table: the statistics commit with the
    transaction, so readers never plan against statistics older than the rows they read. It waits for the table's
    SHARE UPDATE EXCLUSIVE lock (readers and writers never conflict with it): a concurrent writer's ANALYZE until that
    transaction ends, an autovacuum of the table not at all (PostgreSQL cancels it after deadlock_timeout). Not
    SKIP_LOCKED: autovacuum often works on a table that has just grown, and a skipped ANALYZE would leave the rows
    unknown until its next one.
    """
    if is_postgresql():
        cursor.execute(f"ANALYZE {table}" + (f" ({', '.join(columns)})" if columns else ""))


def json_strings(parameter: str) -> str:
    """A subquery of the strings of a JSON array sent as the parameter %(parameter)s: a list in one placeholder."""
    if is_postgresql():
        return f"SELECT jsonb_array_elements_text(CAST(%({parameter})s AS jsonb))"
    return f"SELECT value FROM json_each(%({parameter})s)"


def text_line(*values: str, separator: str) -> str:
    """The SQL values (none NULL) as one text, each as text, separated by `separator` (a SQL text literal).

    PostgreSQL: one concat_ws() call (a fifth faster than a chain of `||` over a million checksum lines,
    session 10); SQLite before 3.44 has no concat_ws, and its `||` takes numbers as text.
    """
    if is_postgresql():
        return f"concat_ws({separator}, {', '.join(values)})"
    return f" || {separator} || ".join(values)


def text_agg(value: str, *, separator: str) -> str:
    """An aggregate joining the text `value` of rows in the order they reach it, separated by `separator` (SQL text).

    A statement using it reads the rows from a subquery sorted by ORDER BY ... LIMIT: the aggregate then
    joins them in that order on both databases (PostgreSQL's documentation names a sorted subquery as the
    way to order an aggregate's input; a subquery with a LIMIT is neither merged into its caller nor run in
    parallel). An ORDER BY inside the aggregate would sort the sorted rows again on PostgreSQL 15 (a quarter
    of a million-entry checksum), and SQLite before 3.44 takes none.
    """
    if is_postgresql():
        return f"string_agg({value}, {separator})"
    return f"group_concat({value}, {separator})"


def without_jit(cursor) -> None:
    """Turn PostgreSQL's JIT compilation off for the rest of this transaction (SQLite has none).

    For statements that are index probes over a few clusters: their estimated cost can still pass
    `jit_above_cost`, and compiling then takes 0.1-0.6 s, longer than the probes themselves.
    """
    if is_postgresql():
        cursor.execute("SELECT set_config('jit', 'off', true)")


@contextmanager
def ranking_plan(cursor) -> Iterator[None]:
    """Plan and run the statements inside the block as a ranking over many rows must be (PostgreSQL).

    A ranking joins the entries of the previous run, which the statistics seldom know (the run is
    newer than the last ANALYZE): estimated at one row, the join becomes a nested loop over a
    materialized copy of that run, every entry compared with every previous one (minutes at 200,000
    entries). Without Materialize nodes the join is a hash join whatever the estimate, and the nested
    loops that are right (a top-N read down an index, one probe per row) stay as they are. JIT is off
    too: a ranking's cost is in its rows, not its expressions, and compiling takes 0.1-1 s. So are Memoize
    nodes: they cache an inner row per key, but a ranking looks each cluster up once, so every lookup
    misses; the planner, which cannot tell that the ranked clusters are distinct, takes a nested loop
    over a Memoize for the previous run once hash tables have room (a million index probes at a million
    entries: 6 s more than hashing the run, measured at 1,000,000). All three are restored after the
    block (not on an error: the transaction is rolled back then anyway).
    """
    if not is_postgresql():
        yield
        return
    # The values in force are read before they are changed (OFFSET 0 keeps the subquery from being merged
    # into the calls), and put back as they were: no read of the pg_settings view, which lists every setting.
    cursor.execute(
        "SELECT was.jit, was.material, was.memoize, set_config('jit', 'off', true),"
        " set_config('enable_material', 'off', true), set_config('enable_memoize', 'off', true)"
        " FROM (SELECT current_setting('jit') AS jit, current_setting('enable_material') AS material,"
        " current_setting('enable_memoize') AS memoize OFFSET 0) was"
    )
    jit, material, memoize = cursor.fetchone()[:3]
    yield
    cursor.execute(
        "SELECT set_config('jit', %s, true), set_config('enable_material', %s, true),"
        " set_config('enable_memoize', %s, true)",
        [jit, material, memoize],
    )


@contextmanager
def bulk_join_plan(cursor) -> Iterator[None]:
    """Plan the statements inside the block as joins of two whole sets (PostgreSQL): no nested loop joins.

    A statement that joins a period's league members with a run's entries, both written moments ago in
    the same transaction, sees statistics that estimate each side at one row: the planner then loops
    over one side for every row of the other (minutes at 20,000 rows). Without nested loop joins it hashes
    or merges, whatever the estimate; correlated subqueries (one index probe per row) are not joins and
    stay as they are. JIT is off too (see ranking_plan). Both are restored after the block.
    """
    if not is_postgresql():
        yield
        return
    cursor.execute("SELECT set_config('jit', 'off', true), set_config('enable_nestloop', 'off', true)")
    yield
    cursor.execute("SELECT set_config(name, reset_val, true) FROM pg_settings WHERE name IN ('jit', 'enable_nestloop')")


def estimated_rows(table: str) -> int | None:
    """The planner's estimate of a table's rows (PostgreSQL, no scan); None on SQLite or before the first ANALYZE."""
    if not is_postgresql():
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = CAST(%s AS regclass)", [table])
        rows = cursor.fetchone()[0]
    return None if rows < 0 else int(rows)


def drop_temp_table(cursor, name: str) -> None:
    # PostgreSQL drops it at commit or rollback; a DROP here would fail inside an aborted transaction.
    if not is_postgresql():
        cursor.execute(f"DROP TABLE IF EXISTS {name}")


def bulk_load(cursor, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Stream rows into a table: COPY on PostgreSQL, batched executemany on SQLite.

    `rows` may be a generator; it is consumed once and never held in memory whole.
    Returns how many rows were loaded.
    """
    column_list = ", ".join(columns)
    loaded = 0
    if is_postgresql():
        with cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                loaded += 1
        return loaded
    placeholders = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {table} ({column_list}) VALUES ({placeholders})"
    iterator = iter(rows)
    while batch := list(islice(iterator, _SQLITE_BATCH)):
        cursor.executemany(sql, batch)
        loaded += len(batch)
    return loaded


@contextmanager
def try_exclusive_lock(*, key: int, path: str) -> Iterator[bool]:
    """Yield whether a cross-process lock, held for the block, was taken: advisory on `key`, or flock on `path`."""
    if is_postgresql():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            taken = cursor.fetchone()[0]
        try:
            yield taken
        finally:
            if taken:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
        return
    with open(path, "a") as handle:  # closing the file releases its lock
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            taken = True
        except BlockingIOError:
            taken = False
        yield taken


def wait_until_unlocked(*, key: int, path: str, seconds: float) -> bool:
    """Wait until no one holds the lock of `try_exclusive_lock` (at most `seconds`); whether it became free.

    The lock is taken in shared mode and released at once: waiters never exclude each other, and
    an exclusive holder is waited for. PostgreSQL: a shared advisory lock, bounded by
    `lock_timeout` (its grant queue lets a waiter in ahead of later exclusive takers). SQLite: a
    shared flock on `path`, tried again every few milliseconds until the deadline (flock has no
    timeout of its own).
    """
    if is_postgresql():
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "SELECT current_setting('lock_timeout'), set_config('lock_timeout', %s, true)",
                    [f"{max(1, int(seconds * 1000))}ms"],
                )
                previous = cursor.fetchone()[0]
                cursor.execute("SELECT pg_advisory_lock_shared(%s)", [key])
                # Restored explicitly: inside a caller's transaction the savepoint's release would keep it.
                cursor.execute(
                    "SELECT pg_advisory_unlock_shared(%s), set_config('lock_timeout', %s, true)", [key, previous]
                )
        except OperationalError as exc:
            if getattr(exc.__cause__, "sqlstate", None) != "55P03":  # lock_not_available
                raise
            return False
        return True
    deadline = time.monotonic() + seconds
    with open(path, "a") as handle:  # closing the file releases the shared lock
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(_FLOCK_RETRY_SECONDS)


_FLOCK_RETRY_SECONDS = 0.02


@contextmanager
def statement_timeout(seconds: float) -> Iterator[None]:
    """Cancel any statement of the block that runs longer than `seconds` (an OperationalError; see `is_timeout`).

    PostgreSQL: `statement_timeout` set local to the transaction (call it inside `transaction.atomic`),
    restored when the block ends (two extra queries). SQLite: a progress handler interrupts the statement once the
    block's deadline has passed.
    """
    if is_postgresql():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('statement_timeout'), set_config('statement_timeout', %s, true)",
                [f"{max(1, int(seconds * 1000))}ms"],
            )
            previous = cursor.fetchone()[0]
        yield
        # Only after success: a failed block's rollback (of the transaction or savepoint) undoes the setting itself.
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('statement_timeout', %s, true)", [previous])
        return
    connection.ensure_connection()
    deadline = time.monotonic() + seconds
    connection.connection.set_progress_handler(lambda: time.monotonic() > deadline, _SQLITE_PROGRESS_STEPS)
    try:
        yield
    finally:
        connection.connection.set_progress_handler(None, _SQLITE_PROGRESS_STEPS)


# SQLite virtual-machine instructions between two looks at the clock (about a millisecond).
_SQLITE_PROGRESS_STEPS = 10_000


# PostgreSQL's SQLSTATE for a statement stopped by statement_timeout.
QUERY_CANCELED = "57014"


def is_timeout(exc: BaseException) -> bool:
    """Whether a database error is a statement cancelled by `statement_timeout`."""
    cause = exc.__cause__ or exc
    return getattr(cause, "sqlstate", None) == QUERY_CANCELED or "interrupted" in str(exc)


# Session markers: a PostgreSQL session-level advisory lock held by the process doing some work
# (leaderboards: generating a run). The server releases it when that session ends, however it ends, so
# work whose marker is not held belongs to a process that died. Keys live above 2^62
# (SESSION_MARKER_BASE + the id of what is marked), apart from hedge's fixed lock keys.
SESSION_MARKER_BASE = 1 << 62


def hold_session_marker(key: int) -> None:
    """Take a session-level advisory lock (PostgreSQL; nothing on SQLite). Take it inside the
    transaction that creates what it marks, so the mark exists before anyone can see the row."""
    if is_postgresql():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [key])


def release_session_marker(key: int) -> None:
    if not is_postgresql():
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
    except DatabaseError:
        pass  # the session is gone, and the marker with it


def session_marker_gone_sql(key_sql: str) -> str:
    """A PostgreSQL condition: no session holds the marker whose key is the SQL expression `key_sql`.

    pg_locks shows a bigint advisory key as classid, its high 32 bits, and objid, its low 32 bits.
    """
    return (
        "NOT EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted"
        f" AND CAST(l.classid AS bigint) * 4294967296 + CAST(l.objid AS bigint) = {key_sql})"
    )


def notify_listeners(channel: str) -> None:
    """Wake the processes LISTENing on `channel` when the current transaction commits (PostgreSQL NOTIFY).

    SQLite has no notifications: its listeners poll instead.
    """
    if is_postgresql():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, '')", [channel])


def skip_locked_clause(table_alias: str) -> str:
    """The clause that locks the selected rows of `table_alias` and skips rows another transaction holds.

    PostgreSQL only; SQLite has no row locks (one writer at a time), so there it is empty.
    """
    return f" FOR UPDATE OF {table_alias} SKIP LOCKED" if is_postgresql() else ""


def row_locking_transaction():
    """A transaction that holds the row locks taken with `skip_locked_clause` until it ends (PostgreSQL).

    On SQLite, none: a transaction there takes the whole database's write lock, which must not be
    held while the caller waits on the network; SQLite runs one worker, so nothing needs locking.
    """
    return transaction.atomic() if is_postgresql() else nullcontext()


def columns_of(model: type, table: str) -> str:
    """The model's columns as a select list (`r."id", r."status", ...`), in the order instances_from_row reads them.

    Named, never `r.*`: a column that a later migration adds is not selected by code that does not know
    it, so a statement prepared before the migration keeps its result type and each block its size.
    """
    return ", ".join(f'{table}."{field.column}"' for field in model._meta.concrete_fields)


def instances_from_row(db, row: Sequence, columns: Sequence[str], models: Sequence[type]) -> list:
    """The model instances a raw row selects as blocks of columns_of(model): one block per model, in `models` order.

    Built as the ORM builds them (each field's database converters, then `Model.from_db`), so a
    plain statement can stand for a `select_related` queryset without the ORM compiling it per
    call. A block whose primary key is NULL (an outer join that found nothing) is None.
    `columns` are the row's column names (the cursor's description); the row's columns past the
    blocks are the caller's.
    """
    instances = []
    start = 0
    for model in models:
        converted = _field_converters(db.alias, model)
        end = start + len(converted)
        values = dict(zip(columns[start:end], row[start:end], strict=True))
        start = end
        if values[model._meta.pk.column] is None:
            instances.append(None)
            continue
        ordered = []
        for field, expression, converters in converted:
            value = values[field.column]
            for converter in converters:
                value = converter(value, expression, db)
            ordered.append(value)
        instances.append(model.from_db(db.alias, [field.attname for field, _, _ in converted], ordered))
    return instances


@functools.cache
def _field_converters(alias: str, model: type) -> list[tuple]:
    # What SQLCompiler.apply_converters runs for each concrete field (booleans, datetimes, JSON ...);
    # they depend on the backend and the field, not on the connection's state, so once per process.
    db = connections[alias]
    fields = []
    for field in model._meta.concrete_fields:
        expression = field.get_col(model._meta.db_table)
        fields.append((field, expression, db.ops.get_db_converters(expression) + expression.get_db_converters(db)))
    return fields
