"""Read replicas: the public API reads from them; the admin, commands and every write use the primary.

The test settings give the test database a second alias, "replica" (a TEST MIRROR of default), as a
replica is in production: another connection to the same data.
"""

import itertools
import os
import subprocess
import sys
from contextlib import contextmanager
from unittest import mock

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from hedge.core import routers
from hedge.core.routers import PublicApiReplicaRouter, public_api_reads
from leaderboards import selectors
from leaderboards.models import LeaderboardDef, LeaderboardRun
from leaderboards.services import generate_leaderboard_run
from tests.factories import ChallengeFactory, ChallengeProgressFactory, LeaderboardDefFactory

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
both_aliases = pytest.mark.django_db(transaction=True, databases=["default", "replica", "replica_2"])
# Replicas are PostgreSQL only (the settings refuse a SQLite one); a lagging replica is a PostgreSQL snapshot.
postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="read replicas are PostgreSQL only")


@pytest.fixture
def replica(settings):
    settings.DATABASE_REPLICAS = ["replica"]


@pytest.fixture
def run():
    wins = ChallengeFactory(code="wins")
    ChallengeProgressFactory(challenge=wins, cluster_id="alice", value=3)
    LeaderboardDefFactory(key="top_wins", challenge=wins)
    return generate_leaderboard_run("top_wins")


def queries_per_alias(action) -> dict[str, int]:
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica"]) as replica,
    ):
        action()
    return {"default": len(primary), "replica": len(replica)}


@both_aliases
def test_the_public_api_reads_from_the_replica(client, replica, run):
    responses = []

    counts = queries_per_alias(lambda: responses.append(client.get("/leaderboards/top_wins/latest")))

    assert responses[0].status_code == 200
    assert [entry["clusterId"] for entry in responses[0].json()["entries"]] == ["alice"]
    assert counts["default"] == 0 and counts["replica"] > 0


@both_aliases
@pytest.mark.parametrize(
    "path",
    [
        "/leaderboards/top_wins/latest?after=0&limit=5",
        "/leaderboards/top_wins/latest/clusters/alice?around=2",
        "/leaderboards/top_wins/latest/clusters?ids=alice,bob",
        "/seasons/S-NONE/progress?clusterId=alice",
        "/clusters/alice",
        "/leaderboards/top_wins/clusters/alice/history",
    ],
)
def test_every_public_read_goes_to_the_replica(client, replica, run, path):
    counts = queries_per_alias(lambda: client.get(path))

    assert counts["default"] == 0 and counts["replica"] > 0


@both_aliases
def test_the_admin_reads_from_the_primary(admin_client, replica, run):
    counts = queries_per_alias(lambda: admin_client.get("/admin/leaderboards/leaderboarddef/"))

    assert counts["replica"] == 0 and counts["default"] > 0


@both_aliases
def test_commands_read_and_write_on_the_primary(replica, run):
    counts = queries_per_alias(lambda: generate_leaderboard_run("top_wins"))

    assert counts["replica"] == 0 and LeaderboardRun.objects.filter(leaderboard="top_wins").count() == 2


@both_aliases
def test_a_write_made_while_serving_the_public_api_goes_to_the_primary(replica, run):
    def write():
        with public_api_reads():
            LeaderboardDef.objects.filter(key="top_wins").update(name="Renamed")

    counts = queries_per_alias(write)

    assert counts == {"default": 1, "replica": 0}


def replicas_in_turn(*aliases):
    """The router's random order of replicas: each time it is asked, the next of these aliases first."""
    turns = itertools.cycle(range(len(aliases)))

    def rotated(replicas, k):
        first = next(turns)
        return [*aliases[first:], *aliases[:first]][:k]

    return mock.patch("hedge.core.routers.random.sample", rotated)


@contextmanager
def lagging(alias: str):
    """For the block, `alias` serves a snapshot of the database taken now: a replica that stopped replaying."""
    with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cursor.execute("SELECT count(*) FROM leaderboard_runs")  # takes the snapshot
        yield


@both_aliases
def test_one_request_reads_one_replica_for_every_query(client, settings, run):
    settings.DATABASE_REPLICAS = ["replica", "replica_2"]

    with replicas_in_turn("replica", "replica_2"), CaptureQueriesContext(connections["replica_2"]) as second:
        response = client.get(f"/leaderboards/top_wins/runs/{run.pk}")

    assert response.status_code == 200
    assert len(second) == 0  # the run and its entries both came from the first replica picked


@postgresql_only
@both_aliases
def test_a_lagging_replica_never_leaves_an_empty_page_in_the_cache(client, settings):
    wins = ChallengeFactory(code="wins")
    ChallengeProgressFactory(challenge=wins, cluster_id="alice", value=3)
    LeaderboardDefFactory(key="top_wins", challenge=wins)
    settings.DATABASE_REPLICAS = ["replica", "replica_2"]
    with lagging("replica_2"):
        run = generate_leaderboard_run("top_wins")  # replica has it; replica_2 does not yet
        with replicas_in_turn("replica", "replica_2"):
            first = client.get(f"/leaderboards/top_wins/runs/{run.pk}")
    settings.DATABASE_REPLICAS = ["replica"]  # another worker, whose replica is up to date

    again = client.get(f"/leaderboards/top_wins/runs/{run.pk}")

    assert [entry["clusterId"] for entry in first.json()["entries"]] == ["alice"]
    assert [entry["clusterId"] for entry in again.json()["entries"]] == ["alice"]


@postgresql_only
@both_aliases
def test_a_page_short_of_what_the_run_holds_is_read_from_the_primary_and_not_cached(settings, run):
    settings.DATABASE_REPLICAS = ["replica_2"]
    with lagging("replica_2"):
        ChallengeProgressFactory(challenge=run.challenge, cluster_id="bob", value=1)
        newer = generate_leaderboard_run("top_wins")  # on the primary only, as far as replica_2 knows
        with public_api_reads(), CaptureQueriesContext(connections["default"]) as primary:
            page = selectors.top_entry_values(newer, limit=10)
            again = selectors.top_entry_values(newer, limit=10)

    assert [entry["cluster_id"] for entry in page] == [entry["cluster_id"] for entry in again] == ["alice", "bob"]
    assert len(primary) == 2  # each read was short on the replica, so each went to the primary: nothing was cached


def test_without_replicas_the_public_api_reads_the_primary(settings):
    settings.DATABASE_REPLICAS = []

    with public_api_reads():
        assert PublicApiReplicaRouter().db_for_read(LeaderboardRun) is None  # Django's default alias


def test_replicas_are_never_migrated(replica):
    assert PublicApiReplicaRouter().allow_migrate("replica", "leaderboards") is False
    assert PublicApiReplicaRouter().allow_migrate("default", "leaderboards") is None


def settings_with(**env):
    clean = {"PATH": os.environ["PATH"], "HEDGE_ENV_FILE": "", "DEBUG": "true", **env}
    code = "import hedge.settings as s; print(s.DATABASE_REPLICAS, sorted(s.DATABASES))"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True)  # noqa: S603


def test_database_replica_urls_become_one_alias_each():
    result = settings_with(
        DATABASE_URL="postgres://hedge@db1:5432/hedge",
        DATABASE_REPLICA_URLS="postgres://hedge@db2:5432/hedge,postgres://hedge@db3:5432/hedge",
    )

    assert result.stdout.strip() == "['replica_1', 'replica_2'] ['default', 'replica_1', 'replica_2']"


def test_a_replica_of_a_sqlite_database_is_refused_naming_the_variable():
    result = settings_with(DATABASE_REPLICA_URLS="sqlite:////tmp/copy.sqlite3")

    assert result.returncode != 0
    assert "DATABASE_REPLICA_URLS must name PostgreSQL replicas of a PostgreSQL DATABASE_URL" in result.stderr


@both_aliases
def test_healthz_reports_each_replica(client, replica):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "up",
        "cache": "up",
        "replica": "up",
        "replicas": {"replica": "up"},
    }


@both_aliases
def test_a_replica_that_does_not_answer_sends_the_request_to_the_primary(client, replica, run, monkeypatch):
    monkeypatch.setattr(routers, "replica_answers", lambda alias: False)

    counts = queries_per_alias(lambda: client.get("/leaderboards/top_wins/latest"))

    assert counts["replica"] == 0 and counts["default"] > 0
