"""The cache as an optimisation, never a dependency.

Everything hedge keeps in Django's cache (a published run's entries, the API's throttle counters)
can be recomputed or done without. So a cache that fails (Redis down, a timeout, a missing client
library) must cost a database read, not an error page: `safe_cache` answers a miss (or does
nothing) instead of raising, and logs the failure once per LOG_INTERVAL seconds per process, not
once per request.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.cache import caches

logger = logging.getLogger(__name__)

LOG_INTERVAL = 60.0


class SafeCache:
    """The few cache operations hedge uses, on Django's cache `alias`; a failure is a miss, logged, never raised."""

    def __init__(self, alias: str = "default"):
        self.alias = alias
        self._last_logged = -LOG_INTERVAL

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return caches[self.alias].get(key, default)
        except Exception as exc:  # noqa: BLE001 - any failure of the cache is a miss
            self._failed("get", exc)
            return default

    def set(self, key: str, value: Any, timeout: float | None = None) -> None:
        try:
            caches[self.alias].set(key, value, timeout)
        except Exception as exc:  # noqa: BLE001 - a value that is not stored is recomputed next time
            self._failed("set", exc)

    def is_up(self) -> bool:
        """Whether the cache answers (for /healthz): one round trip."""
        try:
            caches[self.alias].get("hedge:health")
        except Exception as exc:  # noqa: BLE001
            self._failed("get", exc)
            return False
        return True

    def _failed(self, operation: str, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._last_logged >= LOG_INTERVAL:
            self._last_logged = now
            logger.warning(
                "cache %r %s failed, reading the database instead (logged once per %d s): %s: %s",
                self.alias,
                operation,
                LOG_INTERVAL,
                type(exc).__name__,
                exc,
            )


safe_cache = SafeCache()
