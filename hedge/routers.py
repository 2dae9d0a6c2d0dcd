"""Read replicas for the public API.

While a request of the public API is served (`public_api_reads()`, entered by
hedge.middleware.PublicApiMiddleware), reads go to one of the DATABASE_REPLICAS, chosen once for
the request: replicas lag by different amounts, and a run looked up on one replica with its entries
read on another could be a published run with no entries. Everything else (the admin, commands,
cron, every write, and reads outside such a request) uses the primary. A replica that lags only
serves a new run a little later.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS

# The replica the block's reads go to; None: the primary.
_read_alias: ContextVar[str | None] = ContextVar("hedge_public_api_read_alias", default=None)


@contextmanager
def public_api_reads() -> Iterator[None]:
    """For the block, reads go to one replica, picked at random on entry (none configured: the primary)."""
    # S311: spreading load, not a secret.
    alias = random.choice(settings.DATABASE_REPLICAS) if settings.DATABASE_REPLICAS else None  # noqa: S311
    token = _read_alias.set(alias)
    try:
        yield
    finally:
        _read_alias.reset(token)


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
