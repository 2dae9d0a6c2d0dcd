import pytest

from hedge.challenges.services import sync_challenge_config


@pytest.fixture
def catalogue(db):
    """The real HEDGE_CHALLENGE_CONFIG catalogue, synced into the test database."""
    sync_challenge_config()
