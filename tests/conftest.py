import pytest
from django.core.cache import cache

from hedge.challenges.services.catalogue import sync_challenge_config


@pytest.fixture(autouse=True)
def empty_cache():
    """Every test starts with nothing cached: the API caches each run's entries (leaderboards.selectors)."""
    cache.clear()


@pytest.fixture
def catalogue(db):
    """The real HEDGE_CHALLENGE_CONFIG catalogue, synced into the test database."""
    sync_challenge_config()
