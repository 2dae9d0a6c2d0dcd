"""A real streaming replica: the public API reads from it, lag delays a new run but never breaks one, and a replica
that is down costs the primary's reads, never an error.

The module starts two throwaway PostgreSQL 15 clusters (tests/pg_cluster.py): a primary on a free port and a
streaming replica of it made with `pg_basebackup -R`, and points the test run's connections at them: "default"
at the primary (migrated), "replica" at the replica. Queries are counted by each server itself
(pg_stat_statements), so "answered by the replica" means the replica's own statistics say so.

Each request goes through Django's test client after `close_old_connections()`, which is what Django's WSGI
handler does when a request starts (the test client leaves it out to keep a test's transaction open): it is
where CONN_HEALTH_CHECKS notices a connection a stopped server left broken.
"""

import datetime
import os
import socket

import psycopg
import pytest
from django.core.management import call_command
from django.db import close_old_connections, connections
from django.test import Client
from django.utils import timezone

from hedge.challenges.models import Challenge
from hedge.core import routers
from leaderboards.periods import calendar_period
from leaderboards.selectors import top_entry_values
from leaderboards.services import generate_final_run, generate_leaderboard_run
from tests import pg_cluster
from tests.factories import (
    APIKeyFactory,
    ChallengeFactory,
    LeaderboardDefFactory,
    SeasonFactory,
    SeasonProgressFactory,
    SeasonRewardFactory,
    SuperuserFactory,
    given_curve,
    given_history,
)

ON_POSTGRESQL = os.environ.get("DATABASE_URL", "").split(":")[0] in {"postgres", "postgresql", "pgsql"}
DAY = datetime.timedelta(days=1)

pytestmark = pytest.mark.skipif(
    not ON_POSTGRESQL, reason="a streaming replica needs PostgreSQL: run with DATABASE_URL=postgres://..."
)

# Every statement the server ran in the hedge database, but the counting itself.
STATEMENTS = """
SELECT coalesce(sum(s.calls), 0) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
WHERE d.datname = 'hedge' AND s.query NOT LIKE '%%pg_stat_statements%%'
"""


# Only fixtures of this module touch the database: pytest-django's `db` (and fixtures built on it, such as
# django_user_model or admin_client) would set up the test database on the clusters and wrap each test in a
# transaction the replica never sees.
@pytest.fixture(scope="module")
def clusters(request, django_db_blocker):
    """A primary and its streaming replica, "default" and "replica" pointed at them; stopped and removed afterwards."""
    if reason := pg_cluster.missing():
        pytest.skip(reason)
    clusters = pg_cluster.Clusters(pg_cluster.make_root())
    request.addfinalizer(clusters.stop)  # registered first, so it runs last and runs whatever failed
    clusters.start()
    saved = {alias: dict(connections[alias].settings_dict) for alias in ("default", "replica")}

    def point_back():
        for alias, settings_dict in saved.items():
            connections[alias].close()
            connections[alias].settings_dict.clear()
            connections[alias].settings_dict.update(settings_dict)

    request.addfinalizer(point_back)
    with django_db_blocker.unblock():
        for alias, server in (("default", clusters.primary), ("replica", clusters.replica)):
            connections[alias].close()
            connections[alias].settings_dict.update(
                HOST="127.0.0.1", PORT=server.port, NAME=pg_cluster.DATABASE, USER="postgres", PASSWORD="",
                CONN_MAX_AGE=60, CONN_HEALTH_CHECKS=True,
            )  # fmt: skip
        call_command("migrate", verbosity=0, database="default")
        yield clusters


@pytest.fixture
def published(clusters, settings):
    """Replicas configured; on an empty primary, a board with two runs, a final run and a season, all replayed."""
    settings.DATABASE_REPLICAS = ["replica"]
    call_command("flush", interactive=False, verbosity=0, database="default")
    wins = ChallengeFactory(code="wins")
    today = calendar_period("DAILY", now=timezone.now())
    given_history(wins, {"alice": 5, "bob": 3, "carol": 2}, at=today.start - 2 * DAY)
    given_history(wins, {"alice": 9, "bob": 4, "carol": 7}, at=today.start - DAY / 2)
    LeaderboardDefFactory(key="top_wins", challenge=wins)
    LeaderboardDefFactory(key="daily_wins", challenge=wins, time_window="DAILY")
    generate_final_run("daily_wins", period_start=today.start - DAY, period_end=today.start)
    season = SeasonFactory(id="S1", is_active=True, points_per_level=100)
    given_curve(season, [100, 200])
    SeasonRewardFactory(season=season, track="FREE", level=1, name="Bronze")
    SeasonProgressFactory(season=season, cluster_id="alice", points=150)
    generate_leaderboard_run("top_wins")
    run = generate_leaderboard_run("top_wins")
    clusters.wait_until_replayed()
    return run


def served(path: str, client: Client | None = None, **extra):
    """GET `path` as a new request of a WSGI server (see the module's docstring)."""
    close_old_connections()
    return (client or Client()).get(path, **extra)


def statements(server: pg_cluster.Server) -> int:
    with psycopg.connect(server.conninfo(), autocommit=True) as counting:
        return counting.execute(STATEMENTS).fetchone()[0]


def reset_statements(*servers: pg_cluster.Server) -> None:
    for server in servers:
        with psycopg.connect(server.conninfo(), autocommit=True) as counting:
            counting.execute("SELECT pg_stat_statements_reset()")


def counted(clusters, action):
    """What `action` returned, and the statements it made each server run: {"primary": n, "replica": n}."""
    reset_statements(clusters.primary, clusters.replica)
    result = action()
    return result, {"primary": statements(clusters.primary), "replica": statements(clusters.replica)}


def entries_of(body: dict) -> list[tuple]:
    return [(e["position"], e["clusterId"], e["score"]) for e in body["entries"]]


# --- who answers what ----------------------------------------------------------------------------


PUBLIC_READS = [
    "/leaderboards",
    "/leaderboards/top_wins/latest",
    "/leaderboards/top_wins/latest?after=1&limit=1",
    "/leaderboards/top_wins/latest/clusters/bob?around=1",
    "/leaderboards/top_wins/latest/clusters?ids=alice,carol",
    "/leaderboards/daily_wins/finals",
    "/leaderboards/daily_wins/finals/previous",
    "/seasons",
    "/seasons/active",
    "/seasons/S1/progress?clusterId=alice",
    "/seasons/S1/rewards?clusterId=alice",
]


def test_every_public_read_is_answered_by_the_replica(clusters, published):
    answered = {}
    for path in [*PUBLIC_READS, f"/leaderboards/top_wins/runs/{published.pk}"]:
        response, counts = counted(clusters, lambda path=path: served(path))
        answered[path] = (response.status_code, counts["primary"], counts["replica"] > 0)

    assert answered == dict.fromkeys(answered, (200, 0, True))


def test_the_admin_generation_and_service_writes_use_the_primary_only(clusters, published):
    staff = SuperuserFactory()
    admin = Client()
    admin.force_login(staff)
    key = APIKeyFactory()

    def work():
        assert served("/admin/leaderboards/leaderboardrun/", admin).status_code == 200
        assert served(f"/admin/leaderboards/leaderboardrun/{published.pk}/change/", admin).status_code == 200
        generate_leaderboard_run("top_wins")
        close_old_connections()
        claim = Client(HTTP_AUTHORIZATION=f"Api-Key {key.plain_key}").post(
            "/service/seasons/S1/claims", {"clusterId": "alice", "track": "FREE", "level": 1}, "application/json"
        )
        assert claim.status_code == 201, claim.content

    _, counts = counted(clusters, work)

    assert counts["replica"] == 0 and counts["primary"] > 0


# --- lag -----------------------------------------------------------------------------------------


def test_a_run_published_while_replay_is_paused_is_served_only_after_replay_resumes(clusters, published):
    before = served("/leaderboards/top_wins/latest").json()
    clusters.query(clusters.replica, "SELECT pg_wal_replay_pause()")
    try:
        given_history(Challenge.objects.get(code="wins"), {"dave": 20}, at=timezone.now())
        new = generate_leaderboard_run("top_wins")
        # Entries of the new run in the shared cache, as a request served by the primary would leave them.
        top_entry_values(new, limit=100)
        assert clusters.query(clusters.replica, f"SELECT count(*) FROM leaderboard_runs WHERE id = {new.pk}") == 0

        during = {
            path: served(path)
            for path in [
                "/leaderboards/top_wins/latest",
                "/leaderboards/top_wins/latest?after=1&limit=2",
                "/leaderboards/top_wins/latest/clusters/dave",
                "/leaderboards/top_wins/latest/clusters?ids=dave,alice",
                f"/leaderboards/top_wins/runs/{new.pk}",
            ]
        }
    finally:
        clusters.query(clusters.replica, "SELECT pg_wal_replay_resume()")
    latest = during["/leaderboards/top_wins/latest"]
    assert latest.status_code == 200 and latest.json() == before  # the previous run, whole
    assert len(latest.json()["entries"]) == latest.json()["leaderboard"]["rowCount"] == 3
    page = during["/leaderboards/top_wins/latest?after=1&limit=2"].json()
    assert (page["leaderboard"]["runId"], entries_of(page)) == (published.pk, entries_of(before)[1:3])
    dave = during["/leaderboards/top_wins/latest/clusters/dave"].json()
    assert (dave["leaderboard"]["runId"], dave["entry"]) == (published.pk, None)  # not in the previous run
    ids = during["/leaderboards/top_wins/latest/clusters?ids=dave,alice"].json()
    assert [e["clusterId"] for e in ids["entries"]] == ["alice"]
    assert during[f"/leaderboards/top_wins/runs/{new.pk}"].status_code == 404  # not on the replica yet
    assert all(response.status_code < 500 for response in during.values())

    clusters.wait_until_replayed()
    after = served("/leaderboards/top_wins/latest").json()

    assert after["leaderboard"]["runId"] == new.pk and after["leaderboard"]["checksum"] == new.checksum
    assert entries_of(after)[0] == (1, "dave", 20)
    assert len(after["entries"]) == after["leaderboard"]["rowCount"] == 4


# --- a replica that is down ----------------------------------------------------------------------


def test_a_stopped_replica_costs_the_primary_reads_and_healthz_says_so_until_it_is_back(
    clusters, published, monkeypatch
):
    monkeypatch.setattr(routers, "REPLICA_RETRY_SECONDS", 0.0)  # try it again on every request
    assert served("/healthz").json() == {
        "status": "ok", "database": "up", "cache": "up", "replica": "up", "replicas": {"replica": "up"},
    }  # fmt: skip
    expected = entries_of(served("/leaderboards/top_wins/latest").json())

    clusters.pg_ctl(clusters.replica, "stop")
    try:
        reset_statements(clusters.primary)
        down = [served(path) for path in ["/leaderboards/top_wins/latest", "/seasons/S1/progress?clusterId=alice"]]
        primary_statements = statements(clusters.primary)
        health = served("/healthz")
    finally:
        clusters.pg_ctl(clusters.replica, "start")
    assert [response.status_code for response in down] == [200, 200]
    assert entries_of(down[0].json()) == expected
    assert primary_statements > 0
    assert health.status_code == 200
    assert health.json() == {
        "status": "degraded", "database": "up", "cache": "up", "replica": "down", "replicas": {"replica": "down"},
    }  # fmt: skip

    clusters.wait_until_accepting(clusters.replica)
    response, counts = counted(clusters, lambda: served("/leaderboards/top_wins/latest?after=1"))

    assert response.status_code == 200
    assert counts["primary"] == 0 and counts["replica"] > 0
    assert served("/healthz").json()["replica"] == "up"


def test_a_replica_found_down_is_not_tried_again_for_a_while(clusters, published, monkeypatch):
    clusters.pg_ctl(clusters.replica, "stop")
    try:
        tried = []
        answers = routers.replica_answers
        monkeypatch.setattr(routers, "replica_answers", lambda alias: tried.append(alias) or answers(alias))
        statuses = [served("/leaderboards/top_wins/latest").status_code for _ in range(3)]
    finally:
        clusters.pg_ctl(clusters.replica, "start")

    assert statuses == [200, 200, 200]
    assert tried == ["replica"]  # the first request found it down; the next two read the primary at once


def test_a_replica_that_accepts_but_never_answers_is_given_up_after_the_connect_timeout(clusters, published):
    """A host that is up but whose server hangs: the request waits out the connect timeout, then reads the primary."""
    replica = connections["replica"]
    saved = dict(replica.settings_dict)
    with socket.socket() as silent:  # completes TCP handshakes (the kernel's backlog) and never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        replica.close()
        replica.settings_dict.update(PORT=silent.getsockname()[1], OPTIONS={**saved["OPTIONS"], "connect_timeout": 2})
        try:
            response, counts = counted(clusters, lambda: served("/leaderboards/top_wins/latest"))
        finally:
            replica.close()
            replica.settings_dict.clear()
            replica.settings_dict.update(saved)

    assert response.status_code == 200 and len(response.json()["entries"]) == 3
    assert counts["primary"] > 0
