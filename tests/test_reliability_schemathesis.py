"""Fuzzing the public API against its own live schema (schemathesis): no 5xx, every answer as documented.

Runs on PostgreSQL (CI runs it there), with a bounded number of generated requests per operation
so the whole file stays well under two minutes.
"""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings

from leaderboards.services import generate_leaderboard_run
from tests.factories import ChallengeFactory, ChallengeProgressFactory, LeaderboardDefFactory, SeasonFactory

pytestmark = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").split(":")[0] not in {"postgres", "postgresql", "pgsql"},
    reason="run against PostgreSQL, as production is",
)


@pytest.fixture
def api_schema(db, settings):
    """The live schema, served by hedge itself (loaded once the test settings are in place)."""
    settings.ALLOWED_HOSTS = ["localhost"]  # schemathesis's WSGI client calls itself localhost
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"client_ip": None}}
    # As Django's test client does: the test's transaction must outlive each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application()).include(method="GET")
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def world(db):
    """Something for every endpoint to find: a published board and an active season."""
    wins = ChallengeFactory(code="wins")
    for n in range(5):
        ChallengeProgressFactory(challenge=wins, cluster_id=f"c{n}", value=n + 1)
    LeaderboardDefFactory(key="top_wins", challenge=wins)
    generate_leaderboard_run("top_wins")
    SeasonFactory(id="S1", is_active=True)


def test_the_public_api_never_fails_and_always_answers_as_documented(api_schema, world):
    # schemathesis's own pytest plugin does not run under pytest 9 yet: its strategies are driven here.
    checked = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        if operation.path.startswith("/service/"):  # needs an API key; its own tests cover it
            continue

        @given(case=operation.as_strategy())
        @settings(
            max_examples=30, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def answers_as_documented(case):
            # The WSGI test client does not decompress: ask for a plain body (GZipMiddleware honours it).
            case.call_and_validate(headers={"Accept-Encoding": "identity"})

        answers_as_documented()
        checked.append(operation.path)

    assert "/leaderboards/{key}/latest" in checked and "/seasons/active" in checked
