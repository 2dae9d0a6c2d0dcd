"""Read replicas for the public API.

While a request of the public API is served (`public_api_reads()`, entered by
hedge.core.middleware.PublicApiMiddleware), reads go to one of the DATABASE_REPLICAS, chosen once for
the request: replicas lag by different amounts, and a run looked up on one replica with its entries
read on another could be a published run with no entries. Everything else (the admin, commands,
cron, every write, and reads outside such a request) uses the primary. A replica that lags only
serves a new run a little later.

A replica that does not answer when a request picks it (its connection fails Django's health
check, or a new one is refused or times out after DATABASE_CONNECT_TIMEOUT) is left out for
REPLICA_RETRY_SECONDS and the request reads another replica, or the primary: a replica that is
down costs one failed connection attempt per process and interval, never an error page.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

logger = logging.getLogger(__name__)

# How long a replica that did not answer is left out before a request tries it again (per process).
REPLICA_RETRY_SECONDS = 5.0
_down_until: dict[str, float] = {}

# The replica the block's reads go to; None: the primary.
_read_alias: ContextVar[str | None] = ContextVar("hedge_public_api_read_alias", default=None)


@contextmanager
def public_api_reads() -> Iterator[None]:
    """For the block, reads go to one replica that answers, picked at random on entry (none answers: the primary)."""
    token = _read_alias.set(_answering_replica())
    try:
        yield
    finally:
        _read_alias.reset(token)


def read_alias() -> str:
    """The database raw reads go to now: the block's replica inside `public_api_reads()`, else the primary."""
    return _read_alias.get() or DEFAULT_DB_ALIAS


def _answering_replica() -> str | None:
    # In random order, to spread the load (random.sample is not flagged as a secret's source).
    candidates = random.sample(settings.DATABASE_REPLICAS, len(settings.DATABASE_REPLICAS))
    now = time.monotonic()
    for alias in candidates:
        if _down_until.get(alias, 0.0) <= now and replica_answers(alias):
            _down_until.pop(alias, None)
            return alias
    return None


def forget_unanswered_replicas() -> None:
    """Try every replica again on the next request, as a new process does (one that did not answer is left out)."""
    _down_until.clear()


def replica_answers(alias: str) -> bool:
    """Whether replica `alias` answers now; when it does not, it is left out for REPLICA_RETRY_SECONDS.

    An open connection gets Django's health check (CONN_HEALTH_CHECKS: once per request, so this
    costs nothing Django would not spend anyway); a closed one is opened, bounded by
    DATABASE_CONNECT_TIMEOUT.
    """
    connection = connections[alias]
    try:
        connection.close_if_health_check_failed()
        connection.ensure_connection()
    except DatabaseError as exc:
        connection.close()
        _down_until[alias] = time.monotonic() + REPLICA_RETRY_SECONDS
        logger.warning("replica %s does not answer, reading the primary: %s", alias, exc)
        return False
    return True


class PublicApiReplicaRouter:
    def db_for_read(self, model, **hints) -> str | None:
        return _read_alias.get()  # None is Django's default: the primary (or the alias an instance came from)

    def db_for_write(self, model, **hints) -> None:
        return None

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        # A row read from a replica is the primary's row: relate it as if it came from there.
        aliases = {obj1._state.db, obj2._state.db}
        return True if aliases <= {DEFAULT_DB_ALIAS, *settings.DATABASE_REPLICAS} else None

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool | None:
        return False if db in settings.DATABASE_REPLICAS else None
