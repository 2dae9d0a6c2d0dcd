import pytest
from django.core.cache import cache

from hedge.challenges.services.catalogue import sync_challenge_config
from tests.writes_in_flight import Pause


@pytest.fixture(autouse=True)
def empty_cache():
    """Every test starts with nothing cached: the API caches each run's entries (leaderboards.selectors)."""
    cache.clear()


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
