"""The throwaway database a benchmark runs in: created, migrated, pointed at, and always dropped.

hedge's services write through Django's default connection, so for the length of a run that
connection's settings name the scratch database instead of the configured one (this is how
Django's own test runner switches to a test database). The configured database is never
connected to while the switch is in place, and its settings are restored in a ``finally``.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections

SCRATCH_PREFIX = "hedge_bench_"

# Django-only keys of a PostgreSQL OPTIONS dict; everything else is a libpq parameter.
_DJANGO_PG_OPTIONS = {"isolation_level", "server_side_binding", "pool", "assume_role", "cursor_factory"}


@dataclass(frozen=True)
class Scratch:
    name: str
    vendor: str
    # What a separate process (gunicorn) puts in DATABASE_URL to reach the scratch database.
    url: str


def maintenance_connection(settings_dict: dict):
    """An autocommit psycopg connection to the server's `postgres` database, for CREATE/DROP DATABASE."""
    import psycopg

    params: dict = {"dbname": "postgres", "autocommit": True}
    for key, param in (("HOST", "host"), ("PORT", "port"), ("USER", "user"), ("PASSWORD", "password")):
        if settings_dict.get(key):
            params[param] = str(settings_dict[key])
    for key, value in (settings_dict.get("OPTIONS") or {}).items():
        if key not in _DJANGO_PG_OPTIONS and isinstance(value, str | int):
            params[key] = value
    return psycopg.connect(**params)


def leftover_databases() -> set[str]:
    """Scratch databases that exist now on the configured server (or in the temp directory, for SQLite).

    A finished run leaves none, unless it ran with --keep-database (or was killed with SIGKILL).
    """
    conn = connections[DEFAULT_DB_ALIAS]
    if conn.vendor != "postgresql":
        return {path.stem for path in Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*.sqlite3")}
    with maintenance_connection(conn.settings_dict) as maintenance:
        rows = maintenance.execute(
            "SELECT datname FROM pg_database WHERE starts_with(datname, %s)", [SCRATCH_PREFIX]
        ).fetchall()
    return {name for (name,) in rows}


def _postgres_url(settings_dict: dict, name: str) -> str:
    user = quote(str(settings_dict.get("USER") or ""), safe="")
    password = settings_dict.get("PASSWORD")
    auth = f"{user}:{quote(str(password), safe='')}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "localhost"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{name}"


def _create(vendor: str, settings_dict: dict, name: str) -> tuple[str, str]:
    """Create the database; return (NAME for Django's settings, DATABASE_URL for other processes)."""
    if vendor == "postgresql":
        from psycopg import sql

        with maintenance_connection(settings_dict) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return name, _postgres_url(settings_dict, name)
    path = Path(tempfile.gettempdir()) / f"{name}.sqlite3"
    path.touch(exist_ok=False)
    return str(path), f"sqlite:///{path}"


def _drop(vendor: str, settings_dict: dict, name: str, django_name: str) -> None:
    if vendor == "postgresql":
        from psycopg import sql

        # FORCE ends connections still open to it (a gunicorn worker that has not exited yet).
        with maintenance_connection(settings_dict) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        return
    for suffix in ("", "-wal", "-shm", "-journal"):
        with suppress(FileNotFoundError):
            os.remove(django_name + suffix)


def drop_kept(name: str) -> None:
    """Drop a kept scratch database (`--keep-database`) by name."""
    conn = connections[DEFAULT_DB_ALIAS]
    django_name, _ = _existing(conn.vendor, conn.settings_dict, name)
    _drop(conn.vendor, conn.settings_dict, name, django_name)


def _clear_caches() -> None:
    # Content types are cached per alias, not per database: ids from one must not leak into the other.
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()


def _existing(vendor: str, settings_dict: dict, name: str) -> tuple[str, str]:
    """(NAME for Django's settings, DATABASE_URL) of a kept scratch database; RuntimeError if there is none."""
    if not name.startswith(SCRATCH_PREFIX) or name not in leftover_databases():
        raise RuntimeError(f"no kept scratch database named {name!r} (a {SCRATCH_PREFIX}... name that exists)")
    if vendor == "postgresql":
        return name, _postgres_url(settings_dict, name)
    path = Path(tempfile.gettempdir()) / f"{name}.sqlite3"
    return str(path), f"sqlite:///{path}"


@contextmanager
def scratch_database(
    *, keep: bool = False, existing: str | None = None, log: Callable[[str], None] = lambda _: None
) -> Iterator[Scratch]:
    """Create a database named ``hedge_bench_<pid>_<random>``, migrate it and point Django at it.

    On exit (normal, error or Ctrl-C) the default connection is pointed back at the configured
    database and the scratch database is dropped, unless `keep` is set. With `existing` (the name
    of a kept scratch database) that one is used, migrated, and always kept.
    """
    conn = connections[DEFAULT_DB_ALIAS]
    vendor = conn.vendor
    settings_dict = conn.settings_dict
    original_name = settings_dict["NAME"]
    if existing is not None:
        name, keep = existing, True
        django_name, url = _existing(vendor, settings_dict, name)
        log(f"using kept scratch database {name}")
    else:
        name = f"{SCRATCH_PREFIX}{os.getpid()}_{secrets.token_hex(3)}"
        django_name, url = _create(vendor, settings_dict, name)
        log(f"created scratch database {name}")
    try:
        conn.close()
        settings_dict["NAME"] = django_name
        _clear_caches()
        call_command("migrate", verbosity=0, interactive=False)
        log("migrated the scratch database")
        yield Scratch(name=name, vendor=vendor, url=url)
    finally:
        conn.close()
        settings_dict["NAME"] = original_name
        _clear_caches()
        if keep:
            log(f"kept scratch database {name} ({url}); drop it when done")
        else:
            _drop(vendor, settings_dict, name, django_name)
            log(f"dropped scratch database {name}")
