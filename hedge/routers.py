"""Read replicas for the public API.

While a request of the public API is served (`public_api_reads()`, entered by
hedge.middleware.PublicApiMiddleware), reads go to one of the DATABASE_REPLICAS. Everything else
(the admin, commands, cron, every write, and reads outside such a request) uses the primary. Runs
are immutable once published, so a replica that lags only serves a new run a little later.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS

_serving_public_api: ContextVar[bool] = ContextVar("hedge_serving_public_api", default=False)


@contextmanager
def public_api_reads() -> Iterator[None]:
    """For the block, reads may go to a replica."""
    token = _serving_public_api.set(True)
    try:
        yield
    finally:
        _serving_public_api.reset(token)


class PublicApiReplicaRouter:
    def db_for_read(self, model, **hints) -> str | None:
        if settings.DATABASE_REPLICAS and _serving_public_api.get():
            # S311: spreading load, not a secret.
            return random.choice(settings.DATABASE_REPLICAS)  # noqa: S311
        return None  # Django's default: the primary (or the alias an instance came from)

    def db_for_write(self, model, **hints) -> None:
        return None

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        # A row read from a replica is the primary's row: relate it as if it came from there.
        aliases = {obj1._state.db, obj2._state.db}
        return True if aliases <= {DEFAULT_DB_ALIAS, *settings.DATABASE_REPLICAS} else None

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool | None:
        return False if db in settings.DATABASE_REPLICAS else None
