"""A deadline on everything a request waits for from PostgreSQL, on connections already open too.

A statement timeout is enforced by the server, and TCP keepalives and `tcp_user_timeout` (the
connection options in settings.py) by the kernel: neither helps when the server, or a proxy or
pooler in front of it, is alive at the TCP level but no longer answers (a frozen PgBouncer, a
stopped server process, a saturated host). The driver then waits on its socket for as long as it
takes, and gunicorn kills the worker after its timeout with no answer to the client.

`database_deadline(seconds)` bounds that wait from the client's side: a thread per process
watches the requests under a deadline, and when one outlives its deadline it shuts down the
sockets of that request's database connections. The waiting driver then fails at once with
OperationalError, which the API answers with a JSON 503 (hedge.core.api); the connections are closed
when the block ends, so the next request connects afresh. A connection still being opened is
bounded by DATABASE_CONNECT_TIMEOUT instead.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)


class _Watch:
    """One block under a deadline: the database connections (of the thread that entered it) to cut when it expires."""

    def __init__(self, deadline: float, wrappers: list):
        self.deadline = deadline
        self.wrappers = wrappers
        self.done = False
        self.expired = False


class _Watchdog:
    def __init__(self):
        self._lock = threading.Condition()
        self._heap: list[tuple[float, int, _Watch]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, watch: _Watch) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():  # none yet, or the process was forked
                self._thread = threading.Thread(target=self._run, name="hedge-database-watchdog", daemon=True)
                self._thread.start()
            earliest = not self._heap or watch.deadline < self._heap[0][0]
            heapq.heappush(self._heap, (watch.deadline, next(self._order), watch))
            if earliest:  # otherwise the watchdog already wakes before this deadline: no thread switch per request
                self._lock.notify()

    def unwatch(self, watch: _Watch) -> None:
        # Under the lock: once this returns, the watchdog never touches the block's connections again.
        with self._lock:
            watch.done = True

    def _run(self) -> None:
        while True:
            with self._lock:
                while self._heap and self._heap[0][2].done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._lock.wait()
                    continue
                deadline, _, watch = self._heap[0]
                remaining = deadline - time.monotonic()
                if remaining > 0:
                    self._lock.wait(remaining)
                    continue
                heapq.heappop(self._heap)
                watch.expired = True
                for wrapper in watch.wrappers:
                    _shut_down(wrapper)


def _shut_down(wrapper) -> None:
    """Shut down the socket of a Django connection's open PostgreSQL connection, if any: its waits end at once."""
    raw = wrapper.connection
    pgconn = getattr(raw, "pgconn", None)
    if pgconn is None:
        return
    try:
        fd = pgconn.socket
        with socket.socket(fileno=os.dup(fd)) as sock:
            sock.shutdown(socket.SHUT_RDWR)
    except Exception as exc:  # noqa: BLE001 - a connection that is already gone needs no cutting
        logger.debug("database watchdog: could not shut down the %r connection: %s", wrapper.alias, exc)
        return
    logger.warning("database watchdog: gave up on the %r database after its deadline", wrapper.alias)


_watchdog = _Watchdog()


@contextmanager
def database_deadline(seconds: float) -> Iterator[None]:
    """For the block, give up on PostgreSQL after `seconds` in all (0: no deadline); see the module's docstring.

    Only the calling thread's connections are watched (Django's connections are per thread).
    """
    if not seconds:
        yield
        return
    wrappers = [wrapper for wrapper in connections.all() if wrapper.vendor == "postgresql"]
    if not wrappers:
        yield
        return
    watch = _Watch(time.monotonic() + seconds, wrappers)
    _watchdog.watch(watch)
    try:
        yield
    finally:
        _watchdog.unwatch(watch)
        if watch.expired:
            for wrapper in wrappers:
                with suppress(DatabaseError):
                    wrapper.close()  # its socket was shut down: never hand it to the next request
