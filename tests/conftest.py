import pytest
from django.core.cache import cache

from hedge.cache import SafeCache, safe_cache
from hedge.challenges.services.catalogue import sync_challenge_config


@pytest.fixture(autouse=True)
def empty_cache(monkeypatch):
    """Every test starts with nothing cached (the API caches each run's entries) and a cache not skipped.

    A test that makes the cache fail opens its circuit breaker (hedge.cache) for 30 s: later tests
    must not inherit that.
    """
    cache.clear()
    monkeypatch.setattr(safe_cache, "_skip_until", SafeCache()._skip_until)


@pytest.fixture
def catalogue(db):
    """The real HEDGE_CHALLENGE_CONFIG catalogue, synced into the test database."""
    sync_challenge_config()
