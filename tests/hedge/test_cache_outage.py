"""The cache is an optimisation: with Redis down or hung the API serves from the database, /healthz says "degraded"."""

import logging
import socket
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from hedge.core import cache as hedge_cache
from leaderboards.services import generate_leaderboard_run
from tests.factories import ChallengeFactory, ChallengeProgressFactory, LeaderboardDefFactory
from tests.helpers import closed_port, cluster_ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_down(settings):
    """CACHE_URL=redis://... at a port where nothing listens: every cache call fails at once."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/1",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


class HungCache:
    """A TCP listener on 127.0.0.1 that never accepts nor answers: the kernel completes each connection
    (it waits in the backlog), then nothing. `connections()` counts the ones made so far."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.listener.setblocking(False)
        self.port = self.listener.getsockname()[1]
        self.accepted: list[socket.socket] = []

    def connections(self) -> int:
        while True:
            try:
                self.accepted.append(self.listener.accept()[0])
            except BlockingIOError:
                return len(self.accepted)

    def close(self):
        for conn in self.accepted:
            conn.close()
        self.listener.close()


@pytest.fixture
def redis_hung(settings):
    """CACHE_URL=redis://... at a server that accepts connections and never answers, with the production timeouts."""
    hung = HungCache()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{hung.port}/1",
            "OPTIONS": {
                "socket_connect_timeout": settings.CACHE_SOCKET_TIMEOUT,
                "socket_timeout": settings.CACHE_SOCKET_TIMEOUT,
            },
        }
    }
    yield hung
    hung.close()


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def run():
    wins = ChallengeFactory(code="wins")
    for cluster_id, value in {"alice": 3, "bob": 5}.items():
        ChallengeProgressFactory(challenge=wins, cluster_id=cluster_id, value=value)
    LeaderboardDefFactory(key="top_wins", challenge=wins)
    return generate_leaderboard_run("top_wins")


@pytest.mark.parametrize("path", ["/leaderboards/top_wins/latest", "/leaderboards/top_wins/runs/{run_id}"])
def test_the_api_serves_entries_from_the_database_while_the_cache_is_down(client, run, redis_down, path):
    first = client.get(path.format(run_id=run.pk))
    second = client.get(path.format(run_id=run.pk))

    assert (first.status_code, second.status_code) == (200, 200)
    assert cluster_ids(first.json()["entries"]) == cluster_ids(second.json()["entries"]) == ["bob", "alice"]


def test_healthz_reports_the_cache_down_and_still_answers_200(client, redis_down):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": "up", "cache": "down"}


def test_healthz_reports_the_cache_up(client):
    assert client.get("/healthz").json() == {"status": "ok", "database": "up", "cache": "up"}


def test_a_cache_outage_is_logged_once_per_interval_not_per_request(client, run, redis_down, caplog, monkeypatch):
    monkeypatch.setattr(hedge_cache, "safe_cache", hedge_cache.SafeCache())  # a fresh "last logged"
    monkeypatch.setattr("leaderboards.selectors.cache", hedge_cache.safe_cache)

    with caplog.at_level(logging.WARNING, logger="hedge.core.cache"):
        for _ in range(3):
            client.get("/leaderboards/top_wins/latest")

    [record] = caplog.records
    assert "cache 'default' get failed, reading the database instead" in record.getMessage()


def test_the_system_check_refuses_a_cache_backend_whose_client_is_missing(redis_down, monkeypatch):
    monkeypatch.setitem(sys.modules, "redis", None)  # as if `pip install redis` had not been run

    with pytest.raises(SystemCheckError, match="needs the Python package 'redis', which is not installed"):
        call_command("check")


def test_the_system_check_accepts_redis_which_the_requirements_install(settings, redis_down):
    call_command("check")


def test_a_hung_cache_costs_one_timeout_per_process_per_interval_not_one_per_operation(
    client, run, redis_hung, monkeypatch
):
    clock = Clock()
    breaker = hedge_cache.SafeCache(clock=clock)
    monkeypatch.setattr("leaderboards.selectors.cache", breaker)
    monkeypatch.setattr("hedge.core.api.ClientIpRateThrottle.cache", breaker)

    served = [client.get("/leaderboards/top_wins/latest") for _ in range(5)]

    assert [response.status_code for response in served] == [200] * 5
    assert cluster_ids(served[-1].json()["entries"]) == ["bob", "alice"]
    # The first request's throttle lookup timed out; nothing after it asked the cache.
    assert redis_hung.connections() == 1
    assert breaker.is_skipped()

    clock.now += hedge_cache.SKIP_SECONDS - 1
    client.get("/leaderboards/top_wins/latest")
    assert redis_hung.connections() == 1

    clock.now += 1  # the interval is over: the cache is tried again, once
    client.get("/leaderboards/top_wins/latest")
    client.get("/leaderboards/top_wins/latest")
    assert redis_hung.connections() == 2


def test_healthz_reports_a_hung_cache_down_and_does_not_wait_on_it_again(client, redis_hung):
    first = client.get("/healthz")
    second = client.get("/healthz")

    assert first.status_code == second.status_code == 200
    assert first.json() == second.json() == {"status": "degraded", "database": "up", "cache": "down"}
    assert redis_hung.connections() == 1
