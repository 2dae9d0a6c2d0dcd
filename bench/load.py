"""HTTP measurements: hedge under gunicorn, driven by a small bounded load client.

The client is the standard library only (threads + http.client), talks to 127.0.0.1 only, and
every loop in it is bounded both in count and in time. gunicorn's sync workers close the
connection after each response, so every request opens a new TCP connection, for hedge's
endpoints and the floor's alike.
"""

from __future__ import annotations

import http.client
import math
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

from django.conf import settings

HOST = "127.0.0.1"
BENCH_SETTINGS = "bench.settings"
# Upper bounds that stop a run even when the clock does not (a client that never gets a reply).
MAX_REQUESTS_PER_CLIENT = 1_000_000
REQUEST_TIMEOUT = 10.0
STARTUP_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


# Headers every request of get() sends besides Accept (default_headers: e.g. a service API key).
_EXTRA_HEADERS: dict[str, str] = {}


@contextmanager
def default_headers(headers: dict[str, str]) -> Iterator[None]:
    """Send `headers` with every get() (and so every run_load request) inside the block."""
    _EXTRA_HEADERS.update(headers)
    try:
        yield
    finally:
        for name in headers:
            _EXTRA_HEADERS.pop(name, None)


def get(port: int, path: str, *, timeout: float = REQUEST_TIMEOUT) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Accept": "application/json", **_EXTRA_HEADERS})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@dataclass
class Server:
    port: int
    process: subprocess.Popen
    log_path: str

    def log_tail(self, lines: int = 30) -> str:
        with suppress(OSError), open(self.log_path, encoding="utf-8", errors="replace") as log:
            return "".join(log.readlines()[-lines:])
        return ""


@contextmanager
def gunicorn(
    *, database_url: str, workers: int = 2, settings_module: str = BENCH_SETTINGS, extra_env: dict | None = None
) -> Iterator[Server]:
    """Serve hedge (with bench.settings, plus the bench-only floor views) with gunicorn on 127.0.0.1 and a free port.

    Production settings: DEBUG off, a throwaway SECRET_KEY, persistent database connections with
    health checks (CONN_MAX_AGE=60, CONN_HEALTH_CHECKS=true, as the README's deployment sets), no
    TLS redirect (plain HTTP on loopback). The load client on 127.0.0.1 is a trusted caller, exempt
    from the API's per-IP throttle (API_THROTTLE_EXEMPT_IPS): it is one address sending thousands
    of requests a second. The server is always stopped on exit, also on errors and Ctrl-C.
    """
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": HOST,
        "CONN_MAX_AGE": "60",
        "CONN_HEALTH_CHECKS": "true",
        "API_THROTTLE_EXEMPT_IPS": HOST,
        "LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    }
    log = tempfile.NamedTemporaryFile(prefix="hedge_bench_gunicorn_", suffix=".log", delete=False)  # noqa: SIM115
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "hedge.wsgi:application",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--timeout",
        "30",
        "--graceful-timeout",
        "5",
    ]
    process = subprocess.Popen(  # noqa: S603 - a fixed command line of our own
        command,
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = Server(port=port, process=process, log_path=log.name)
    try:
        _wait_until_ready(server)
        yield server
    finally:
        _stop(process)
        log.close()
        with suppress(OSError):
            os.remove(log.name)


def _wait_until_ready(server: Server) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.process.returncode}:\n{server.log_tail()}")
        with suppress(OSError, http.client.HTTPException):
            status, _ = get(server.port, "/healthz", timeout=2)
            if status == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer /healthz within {STARTUP_TIMEOUT:.0f} s:\n{server.log_tail()}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        # The master did not stop its workers in time: end its whole session (it leads it).
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


@dataclass
class LoadResult:
    seconds: float
    requests: int
    errors: int
    latencies: list[float] = field(repr=False)
    first_error: str = ""
    # Latencies per kind of request, when run_load was given `kind_of`.
    by_kind: dict[str, list[float]] = field(default_factory=dict, repr=False)

    @classmethod
    def pooled(cls, results: list[LoadResult]) -> LoadResult:
        """Several runs of the same load as one: their requests, errors and latencies together."""
        by_kind: dict[str, list[float]] = {}
        for result in results:
            for kind, latencies in result.by_kind.items():
                by_kind.setdefault(kind, []).extend(latencies)
        return cls(
            seconds=sum(r.seconds for r in results),
            requests=sum(r.requests for r in results),
            errors=sum(r.errors for r in results),
            latencies=[latency for r in results for latency in r.latencies],
            first_error=next((r.first_error for r in results if r.first_error), ""),
            by_kind=by_kind,
        )

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float, latencies: list[float] | None = None) -> float:
        """Nearest-rank percentile of the successful requests' latencies, in milliseconds."""
        latencies = self.latencies if latencies is None else latencies
        if not latencies:
            return float("nan")
        ordered = sorted(latencies)
        index = min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))
        return ordered[index] * 1000

    def summary(self) -> dict:
        summary = {
            "seconds": round(self.seconds, 3),
            "requests": self.requests,
            "errors": self.errors,
            "rps": round(self.rps, 1),
            "p50_ms": round(self.percentile(50), 2),
            "p99_ms": round(self.percentile(99), 2),
        }
        if self.first_error:
            summary["first_error"] = self.first_error
        if self.by_kind:
            summary["by_kind"] = {
                kind: {
                    "requests": len(latencies),
                    "p50_ms": round(self.percentile(50, latencies), 2),
                    "p99_ms": round(self.percentile(99, latencies), 2),
                }
                for kind, latencies in self.by_kind.items()
            }
        return summary


def run_load(
    port: int,
    path_for: Callable[[int, int], str],
    *,
    clients: int,
    seconds: float,
    max_requests_per_client: int = MAX_REQUESTS_PER_CLIENT,
    kind_of: Callable[[str], str] | None = None,
) -> LoadResult:
    """`clients` threads each send GET requests back to back for `seconds`.

    `path_for(client, i)` gives the path of client's i-th request. A response other than 200 or
    a network error counts as an error and is not timed. With `kind_of(path)`, the latencies are
    also kept per kind of request.
    """
    latencies: list[list[float]] = [[] for _ in range(clients)]
    kinds: list[list[str]] = [[] for _ in range(clients)]
    errors = [0] * clients
    first_error: list[str] = []
    start = threading.Barrier(clients + 1)
    deadline_box: list[float] = []

    def client(index: int) -> None:
        start.wait()
        deadline = deadline_box[0]
        mine, my_kinds = latencies[index], kinds[index]
        for i in range(max_requests_per_client):
            if time.monotonic() >= deadline:
                break
            path = path_for(index, i)
            began = time.perf_counter()
            try:
                status, body = get(port, path)
            except (OSError, http.client.HTTPException) as exc:
                errors[index] += 1
                if not first_error:
                    first_error.append(f"{path}: {exc!r}")
                continue
            elapsed = time.perf_counter() - began
            if status == 200:
                mine.append(elapsed)
                if kind_of is not None:
                    my_kinds.append(kind_of(path))
            else:
                errors[index] += 1
                if not first_error:
                    first_error.append(f"{path}: HTTP {status} {body[:200]!r}")

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    deadline_box.append(time.monotonic() + seconds)
    start.wait()
    for thread in threads:
        thread.join(timeout=seconds + REQUEST_TIMEOUT + 5)
    elapsed = time.perf_counter() - began
    merged = [latency for per_client in latencies for latency in per_client]
    by_kind: dict[str, list[float]] = {}
    if kind_of is not None:
        for per_client, per_client_kinds in zip(latencies, kinds, strict=True):
            for latency, kind in zip(per_client, per_client_kinds, strict=True):
                by_kind.setdefault(kind, []).append(latency)
    return LoadResult(
        seconds=elapsed,
        requests=len(merged),
        errors=sum(errors),
        latencies=merged,
        first_error=first_error[0] if first_error else "",
        by_kind=by_kind,
    )
