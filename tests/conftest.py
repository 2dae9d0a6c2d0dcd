import fcntl

import psycopg
import pytest
from django.core.cache import cache
from django.db import connection
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from hedge.challenges.services.catalogue import sync_challenge_config
from hedge.challenges.services.locks import PROGRESS_LOCK_KEY, progress_lock_path
from hedge.core import routers
from hedge.core.cache import safe_cache
from tests.factories import APIKeyFactory, ChallengeFactory
from tests.writes_in_flight import Pause


@pytest.fixture(autouse=True)
def empty_cache():
    """Every test starts with nothing cached (the API caches each run's entries), a cache not skipped, and
    every replica worth trying.

    A test that makes the cache fail opens its circuit breaker (hedge.core.cache) for 30 s, and one whose replica
    does not answer leaves it out for a few seconds (hedge.core.routers): later tests must not inherit that.
    """
    cache.clear()
    safe_cache.forget_failures()
    routers.forget_unanswered_replicas()


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
        other.execute("SELECT pg_advisory_lock(%s)", [PROGRESS_LOCK_KEY])
        yield
        other.execute("SELECT pg_advisory_unlock(%s)", [PROGRESS_LOCK_KEY])


@pytest.fixture
def api():
    """A DRF test client, as an anonymous client of the public API."""
    return APIClient()


@pytest.fixture
def wins(db):
    """The PvP wins challenge most boards rank by."""
    return ChallengeFactory(code="wins", metric_source="pvp", metric_key="wins")


@pytest.fixture
def key(db):
    """The game backend's service API key (`key.plain_key` is what it sends)."""
    return APIKeyFactory(name="game-backend")


@pytest.fixture(scope="session")
def schema():
    """The public OpenAPI document, as /api/schema/ serves it."""
    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.fixture
def server_side_binding():
    """The test database's connection with OPTIONS={"server_side_binding": True} (PostgreSQL prepared statements)."""
    options = connection.settings_dict["OPTIONS"]
    connection.close()
    options["server_side_binding"] = True
    yield
    connection.close()
    del options["server_side_binding"]
