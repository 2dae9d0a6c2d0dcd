import fcntl

import psycopg
import pytest
from django.core.cache import cache
from django.db import connection

from hedge.cache import SafeCache, safe_cache
from hedge.challenges.services.catalogue import sync_challenge_config
from hedge.challenges.services.locks import _PROGRESS_LOCK_KEY, progress_lock_path
from tests.writes_in_flight import Pause


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


@pytest.fixture
def pause():
    """A point where a writer in another thread stops (tests/writes_in_flight.py); released when the test ends."""
    point = Pause()
    yield point
    point.release()


@pytest.fixture
def other_writer():
    """Another process holding the progress-writer lock: an advisory lock, or the SQLite lock file."""
    if connection.vendor != "postgresql":
        with open(progress_lock_path(), "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            yield
            fcntl.flock(handle, fcntl.LOCK_UN)
        return
    settings = connection.settings_dict
    with psycopg.connect(
        dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"], port=settings["PORT"] or 5432
    ) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [_PROGRESS_LOCK_KEY])
        yield
        other.execute("SELECT pg_advisory_unlock(%s)", [_PROGRESS_LOCK_KEY])
