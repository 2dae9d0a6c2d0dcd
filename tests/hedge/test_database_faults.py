"""A database that is down, hangs or is slow: /healthz says so at once, the API answers a JSON 503, never HTML."""

import json
import os
import selectors
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest
from django.db import OperationalError, connection
from django.http import HttpResponse
from django.test import RequestFactory

from hedge.core.middleware import PublicApiMiddleware
from tests.helpers import closed_port

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
postgresql_only = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").split(":")[0] not in {"postgres", "postgresql", "pgsql"},
    reason="statement_timeout is PostgreSQL's",
)


# --- a real server in front of a database that is down or hangs ---------------------------------


class SilentDatabase:
    """A TCP listener on 127.0.0.1 that accepts connections and never answers: a hung database host."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.held: list[socket.socket] = []
        self.listener.settimeout(0.2)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stopped.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            self.held.append(conn)

    def close(self):
        self.stopped.set()
        self.thread.join()
        for conn in self.held:
            conn.close()
        self.listener.close()


class FreezableProxy:
    """A TCP proxy on 127.0.0.1 in front of the test's PostgreSQL; `freeze()` stops it forwarding anything.

    Frozen, it keeps every connection open and its kernel still acknowledges what is sent: what a
    hung pooler or server looks like to the client, which neither TCP keepalives nor tcp_user_timeout
    can notice.
    """

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.frozen = threading.Event()
        self.stopped = threading.Event()
        self.sockets: list[socket.socket] = []
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def _accept(self):
        while not self.stopped.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            self.sockets.append(client)
            if self.frozen.is_set():
                continue  # accepted by the kernel, never answered
            server = socket.create_connection(self.target)
            self.sockets.append(server)
            pump = threading.Thread(target=self._pump, args=(client, server), daemon=True)
            self.threads.append(pump)
            pump.start()

    def _pump(self, client: socket.socket, server: socket.socket):
        with selectors.DefaultSelector() as selector:
            selector.register(client, selectors.EVENT_READ, server)
            selector.register(server, selectors.EVENT_READ, client)
            while not self.stopped.is_set() and not self.frozen.is_set():
                for key, _ in selector.select(0.1):
                    if self.frozen.is_set():
                        break
                    data = key.fileobj.recv(65536)
                    if not data:
                        return
                    key.data.sendall(data)
            self.stopped.wait()  # frozen: hold both ends open, forward nothing

    def freeze(self):
        self.frozen.set()

    def thaw(self):
        """Forward new connections again (the frozen ones stay frozen)."""
        self.frozen.clear()

    def close(self):
        self.stopped.set()
        for thread in self.threads:
            thread.join()
        for sock in self.sockets:
            sock.close()
        self.listener.close()


@pytest.fixture
def server_with_database():
    """Start gunicorn with production settings against a database URL; yield a GET function."""
    started = []

    def start(database_url: str, **settings):
        port = closed_port()
        env = {
            **settings,
            "PATH": os.environ["PATH"],
            "HEDGE_ENV_FILE": "",  # a developer's .env plays no part
            "SECRET_KEY": "tests-only-not-secret",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": database_url,
            "DATABASE_CONNECT_TIMEOUT": "2",
        }
        # A worker that hung on the database would be killed after 10 s and the client would get
        # no answer at all: each answer below proves the request gave up on the database first.
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "gunicorn", "hedge.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1",
             "--timeout", "10"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        started.append(process)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.1)

        def get(path, headers=None):
            request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers or {})
            try:
                with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310 - http://127.0.0.1 above
                    return response.status, dict(response.headers), response.read()
            except urllib.error.HTTPError as error:
                return error.code, dict(error.headers), error.read()

        return get

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize("fault", ["hangs", "is down"])
def test_healthz_and_the_api_answer_503_json_when_the_database(server_with_database, fault):
    silent = SilentDatabase() if fault == "hangs" else None
    port = silent.port if silent else closed_port()
    try:
        get = server_with_database(f"postgres://hedge@127.0.0.1:{port}/hedge")

        health = get("/healthz")
        api = get("/leaderboards")
        season = get("/seasons/active")
    finally:
        if silent:
            silent.close()

    assert (health[0], json.loads(health[2])) == (503, {"status": "unavailable", "database": "down"})
    for status, headers, body in (api, season):
        assert status == 503
        assert headers["Content-Type"] == "application/json"
        assert headers["Retry-After"] == "5"
        assert json.loads(body) == {"detail": "The database is unavailable; try again shortly."}


@postgresql_only
def test_a_database_that_stops_answering_on_an_open_connection_is_given_up_on_not_waited_for(server_with_database, db):
    """Persistent connections (production's CONN_MAX_AGE=60), then the proxy in front of PostgreSQL freezes.

    The server's one worker (gunicorn kills it after 10 s) holds its connection from the request
    before; each frozen request below is answered, so the worker gave up on that connection first.
    """
    database = connection.settings_dict
    proxy = FreezableProxy((database["HOST"] or "127.0.0.1", int(database["PORT"] or 5432)))
    credentials = database["USER"] + (f":{database['PASSWORD']}" if database["PASSWORD"] else "")
    url = f"postgres://{credentials}@127.0.0.1:{proxy.port}/{database['NAME']}"
    answers = []
    try:
        get = server_with_database(url, ADMIN_DATABASE_TIMEOUT="2")
        for path, headers in [
            ("/healthz", {}),
            ("/leaderboards", {}),
            ("/admin/", {"Cookie": "sessionid=" + "x" * 32}),  # the admin reads the session from the database
        ]:
            proxy.thaw()
            warm = get("/healthz")  # opens the worker's persistent connection
            proxy.freeze()
            answers.append((warm, get(path, headers)))
    finally:
        proxy.close()

    [(warm_health, health), (warm_api, api), (warm_admin, admin)] = answers
    assert [warm[0] for warm in (warm_health, warm_api, warm_admin)] == [200, 200, 200]
    assert (health[0], json.loads(health[2])) == (503, {"status": "unavailable", "database": "down"})
    assert (api[0], api[1]["Content-Type"], api[1]["Retry-After"]) == (503, "application/json", "5")
    assert json.loads(api[2]) == {"detail": "The database is unavailable; try again shortly."}
    assert (admin[0], admin[1]["Content-Type"], admin[1]["Retry-After"]) == (503, "text/plain; charset=utf-8", "5")
    assert (
        admin[2]
        == b"503 Service Unavailable: the database is unavailable or did not answer in time. Try again shortly.\n"
    )


# --- in process ----------------------------------------------------------------------------------


def test_the_api_answers_a_json_503_when_the_database_fails_inside_a_view(client, db, monkeypatch):
    def database_down(*args, **kwargs):
        raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")

    monkeypatch.setattr("leaderboards.selectors.latest_complete_run", database_down)

    response = client.get("/leaderboards/top_wins/latest")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "5"
    assert response.json() == {"detail": "The database is unavailable; try again shortly."}


def test_a_database_failure_outside_drf_under_the_api_is_a_json_503_too(rf: RequestFactory):
    middleware = PublicApiMiddleware(lambda request: HttpResponse())

    api = middleware.process_exception(rf.get("/seasons/active"), OperationalError("server closed the connection"))
    admin = middleware.process_exception(rf.get("/admin/"), OperationalError("server closed the connection"))

    assert (api.status_code, json.loads(api.content), api["Retry-After"]) == (
        503,
        {"detail": "The database is unavailable; try again shortly."},
        "5",
    )
    assert admin is None  # the admin keeps Django's own error handling


def show_statement_timeout(request):
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        return HttpResponse(cursor.fetchone()[0])


def timeouts_seen_by(rf, paths) -> list[str]:
    middleware = PublicApiMiddleware(show_statement_timeout)
    return [middleware(rf.get(path)).content.decode() for path in paths]


@postgresql_only
@pytest.mark.django_db
def test_only_public_api_requests_run_under_the_api_statement_timeout(rf, settings):
    settings.API_STATEMENT_TIMEOUT = 2

    assert timeouts_seen_by(rf, ["/leaderboards", "/admin/", "/seasons/active"]) == ["2s", "0", "2s"]
    # Outside a request (commands, cron) the connection has no limit, even right after an API request.
    assert show_statement_timeout(None).content.decode() == "0"


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_persistent_connection_keeps_the_api_timeout_only_while_it_serves_the_api(rf, settings):
    settings.API_STATEMENT_TIMEOUT = 2

    # Outside a transaction the setting is the session's (one SET when it changes, none per request).
    assert timeouts_seen_by(rf, ["/leaderboards", "/leaderboards", "/admin/", "/seasons/active"]) == [
        "2s",
        "2s",
        "0",
        "2s",
    ]
    assert show_statement_timeout(None).content.decode() == "2s"  # a web worker's connection, between requests
    timeouts_seen_by(rf, ["/admin/"])  # later tests share this connection: leave it without a limit


@postgresql_only
def test_an_api_statement_that_runs_too_long_is_stopped_and_answered_with_a_json_503(client, db, settings, monkeypatch):
    settings.API_STATEMENT_TIMEOUT = 0.05

    def slow(*args, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(5)")

    monkeypatch.setattr("leaderboards.selectors.latest_complete_run", slow)

    response = client.get("/leaderboards/top_wins/latest")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {"detail": "The database took too long to answer; try again shortly."}
