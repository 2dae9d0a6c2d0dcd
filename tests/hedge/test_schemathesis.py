"""Fuzzing the public and service APIs against their own live schema (schemathesis): every check passes.

Every built-in check of schemathesis runs on every answer (no 5xx, statuses, content types, headers
and bodies as documented, valid requests accepted, invalid ones refused, authentication enforced),
on requests generated from the schema (positive) and from its negation (negative). The service API
is called with a valid key. Runs on PostgreSQL (CI runs it there), with a fixed seed and a bounded
number of generated requests per operation and mode, so the whole file stays well under two minutes.
"""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks

from leaderboards.services import generate_leaderboard_run
from tests.factories import (
    APIKeyFactory,
    ChallengeFactory,
    ChallengeProgressFactory,
    LeaderboardDefFactory,
    SeasonFactory,
    SeasonProgressFactory,
    SeasonRewardFactory,
)

pytestmark = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").split(":")[0] not in {"postgres", "postgresql", "pgsql"},
    reason="run against PostgreSQL, as production is",
)

EXAMPLES_PER_OPERATION_AND_MODE = 25


@pytest.fixture
def api_schema(db, settings):
    """The live schema, served by hedge itself (loaded once the test settings are in place)."""
    settings.ALLOWED_HOSTS = ["localhost"]  # schemathesis's WSGI client calls itself localhost
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"client_ip": None}}
    # As Django's test client does: the test's transaction must outlive each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
        schema.hook("map_body")(integers_spelled_as_integers)
        yield schema
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def integers_spelled_as_integers(ctx, body):
    """`3`, never `3.0`, where the schema says integer.

    Since JSON Schema draft 6 a whole float is an integer, and schemathesis sends `3.0` to catch
    readers that take only `3`. hedge's request bodies take JSON integers as draft 4 defined them
    (digits, no fraction or exponent) and refuse `3.0` with a 400 naming the field, as their schema's
    descriptions say: a client that writes 3.0 for a level has a bug it should hear about.
    """
    if isinstance(body, float) and body.is_integer():
        return int(body)
    if isinstance(body, dict):
        return {key: integers_spelled_as_integers(ctx, value) for key, value in body.items()}
    if isinstance(body, list):
        return [integers_spelled_as_integers(ctx, value) for value in body]
    return body


@pytest.fixture
def world(db):
    """Something for every endpoint to find: a published board, an active season with rewards, a service key."""
    wins = ChallengeFactory(code="wins")
    for n in range(5):
        ChallengeProgressFactory(challenge=wins, cluster_id=f"c{n}", value=n + 1)
    LeaderboardDefFactory(key="top_wins", challenge=wins)
    generate_leaderboard_run("top_wins")
    season = SeasonFactory(id="S1", is_active=True, points_per_level=100)
    SeasonRewardFactory(season=season, track="FREE", level=1)
    SeasonProgressFactory(season=season, cluster_id="c1", points=150)
    return {"Authorization": f"Api-Key {APIKeyFactory().plain_key}"}


def failures_of(operation, mode: GenerationMode, headers: dict) -> str | None:
    """Every check of schemathesis on a bounded, seeded sample of the operation's requests; None when all pass."""
    load_all_checks()
    every_check = list(CHECKS.get_all())

    @given(case=operation.as_strategy(generation_mode=mode))
    @seed(19)
    @settings(
        max_examples=EXAMPLES_PER_OPERATION_AND_MODE,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def answers_as_documented(case):
        case.call_and_validate(headers=headers, checks=every_check)

    try:
        answers_as_documented()
    except Unsatisfiable:
        assert mode is GenerationMode.NEGATIVE  # nothing to get wrong in a request without parameters
    except (Exception, BaseExceptionGroup) as failure:  # noqa: BLE001 - every operation, then every failure
        return f"{operation.method.upper()} {operation.path} ({mode.value}): {failure}"
    return None


def test_the_public_and_service_apis_pass_every_check_of_schemathesis(api_schema, world):
    # schemathesis's own pytest plugin does not run under pytest 9 yet: its strategies are driven here.
    checked, failures = set(), []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        # The WSGI test client does not decompress: ask for a plain body (GZipMiddleware honours it).
        headers = {"Accept-Encoding": "identity"}
        if operation.path.startswith("/service/"):
            headers |= world
        failures += filter(None, (failures_of(operation, mode, headers) for mode in GenerationMode))
        checked.add(f"{operation.method.upper()} {operation.path}")

    assert not failures, "\n\n".join(failures)
    assert {
        "GET /leaderboards/{key}/latest",
        "GET /seasons/active",
        "POST /service/seasons/{seasonId}/claims",
        "POST /service/seasons/{seasonId}/premium",
        "GET /service/seasons/{seasonId}/claims",
    } <= checked
