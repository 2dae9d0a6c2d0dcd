"""The cache as an optimisation, never a dependency.

Everything hedge keeps in Django's cache (a published run's entries, the API's throttle counters)
can be recomputed or done without. So a cache that fails (Redis down, a timeout, a missing client
library) must cost a database read, not an error page: `safe_cache` answers a miss (or does
nothing) instead of raising, and logs the failure once per LOG_INTERVAL seconds per process, not
once per request.

A cache that hangs (accepts connections, never answers) costs a socket timeout per operation (the
settings bound them to CACHE_SOCKET_TIMEOUT). So after a failure the process stops asking the
cache for SKIP_SECONDS (a circuit breaker): a dead cache then costs one timeout per process per
interval, not one per operation; the first operation after the interval tries the cache again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.core.cache import caches

logger = logging.getLogger(__name__)

LOG_INTERVAL = 60.0
SKIP_SECONDS = 30.0


class SafeCache:
    """The few cache operations hedge uses, on Django's cache `alias`; a failure is a miss, logged, never raised."""

    def __init__(self, alias: str = "default", *, clock: Callable[[], float] = time.monotonic):
        self.alias = alias
        self.clock = clock
        self._last_logged = -LOG_INTERVAL
        self._skip_until = -SKIP_SECONDS

    def get(self, key: str, default: Any = None) -> Any:
        if self.is_skipped():
            return default
        try:
            return caches[self.alias].get(key, default)
        except Exception as exc:  # noqa: BLE001 - any failure of the cache is a miss
            self._failed("get", exc)
            return default

    def set(self, key: str, value: Any, timeout: float | None = None) -> None:
        if self.is_skipped():
            return
        try:
            caches[self.alias].set(key, value, timeout)
        except Exception as exc:  # noqa: BLE001 - a value that is not stored is recomputed next time
            self._failed("set", exc)

    def is_skipped(self) -> bool:
        """Whether a recent failure has this process leave the cache alone for now."""
        return self.clock() < self._skip_until

    def is_up(self) -> bool:
        """Whether the cache answers (for /healthz): one round trip, or none while a recent failure is skipped."""
        if self.is_skipped():
            return False
        try:
            caches[self.alias].get("hedge:health")
        except Exception as exc:  # noqa: BLE001
            self._failed("get", exc)
            return False
        return True

    def forget_failures(self) -> None:
        """Use the cache again at once, as a new process does (after a failure it is left alone for a while)."""
        self._skip_until = -SKIP_SECONDS

    def _failed(self, operation: str, exc: Exception) -> None:
        now = self.clock()
        self._skip_until = now + SKIP_SECONDS
        if now - self._last_logged >= LOG_INTERVAL:
            self._last_logged = now
            logger.warning(
                "cache %r %s failed, reading the database instead and skipping the cache for %d s "
                "(logged once per %d s): %s: %s",
                self.alias,
                operation,
                SKIP_SECONDS,
                LOG_INTERVAL,
                type(exc).__name__,
                exc,
            )


safe_cache = SafeCache()
