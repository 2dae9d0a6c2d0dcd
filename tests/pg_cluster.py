"""Throwaway PostgreSQL 15 clusters for the streaming-replica tests: a primary and a replica of it.

The shared test server allows no replication connections, so the tests initdb a primary of their
own on a free port and make a streaming replica of it with `pg_basebackup -R`, both in one
temporary directory, tuned to start fast (small shared_buffers, fsync off). PostgreSQL refuses to
run as root, so under root (CI) every server binary runs as the `postgres` OS user (runuser) in a
directory that user owns; any other user runs them as itself.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

BIN = Path(os.environ.get("HEDGE_PG_BIN", "/usr/lib/postgresql/15/bin"))
SERVER_USER = "postgres"  # the OS user the servers run as when the tests run as root
DATABASE = "hedge"
READY_SECONDS = 30  # an upper bound on start-up and catch-up, never a wait in itself

# Written after initdb's postgresql.conf (the replica inherits it through pg_basebackup).
PRIMARY_CONF = """
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{sockets}'
max_connections = 40
shared_buffers = 16MB
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = replica
max_wal_senders = 4
wal_keep_size = 64MB
hot_standby = on
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track_utility = off
"""


def missing() -> str | None:
    """Why the clusters cannot be started here (None: they can)."""
    if not (BIN / "initdb").exists() or not (BIN / "pg_basebackup").exists():
        return f"the PostgreSQL 15 server binaries are not in {BIN} (set HEDGE_PG_BIN)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            return f"running as root and there is no {SERVER_USER!r} OS user to run the servers as"
        if not shutil.which("runuser"):
            return "running as root and runuser is missing"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    name: str
    data: Path
    port: int
    log: Path

    def conninfo(self, dbname: str = DATABASE) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={dbname} connect_timeout=3"


@dataclass
class Clusters:
    """A primary and its streaming replica under `root`; `stop()` removes everything, whatever state it is in."""

    root: Path
    primary: Server = field(init=False)
    replica: Server = field(init=False)

    def __post_init__(self):
        self.primary = Server("primary", self.root / "primary", free_port(), self.root / "primary.log")
        self.replica = Server("replica", self.root / "replica", free_port(), self.root / "replica.log")

    # -- running the server binaries as their user --------------------------------------------
    def run(self, binary: str, *args: str) -> str:
        command = [str(BIN / binary), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        result = subprocess.run(command, cwd=self.root, capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode != 0:
            raise RuntimeError(f"{binary} {' '.join(args)} failed ({result.returncode}):\n{result.stderr}{self.logs()}")
        return result.stdout

    def logs(self) -> str:
        logs = [log for log in (self.primary.log, self.replica.log) if log.exists()]
        return "".join(f"\n--- {log.name} ---\n{log.read_text()[-3000:]}" for log in logs)

    # -- life cycle ---------------------------------------------------------------------------
    def start(self) -> None:
        """initdb the primary, start it, create the database, and start a streaming replica of it."""
        primary, replica = self.primary, self.replica
        self.run("initdb", "-D", str(primary.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "-N")
        with (primary.data / "postgresql.conf").open("a") as conf:
            conf.write(PRIMARY_CONF.format(port=primary.port, sockets=self.root))
        self.pg_ctl(primary, "start")
        self.psql(primary, "postgres", f"CREATE DATABASE {DATABASE}")
        self.psql(primary, DATABASE, "CREATE EXTENSION pg_stat_statements")
        self.run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
            "-D", str(replica.data), "-R", "-X", "stream", "-c", "fast",
        )  # fmt: skip
        with (replica.data / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {replica.port}\n")
        self.pg_ctl(replica, "start")

    def pg_ctl(self, server: Server, action: str) -> None:
        """start, stop (fast) or restart `server`, waiting until it is done (-w)."""
        mode = ["-m", "fast"] if action in ("stop", "restart") else []
        self.run("pg_ctl", "-D", str(server.data), "-l", str(server.log), "-w", "-t", str(READY_SECONDS), *mode, action)

    def psql(self, server: Server, dbname: str, statement: str) -> str:
        return self.run("psql", "-XqAt", "-v", "ON_ERROR_STOP=1", "-d", server.conninfo(dbname), "-c", statement)

    def query(self, server: Server, statement: str):
        """The first column of the first row `statement` returns on `server` (as the superuser, autocommit)."""
        import psycopg

        with psycopg.connect(server.conninfo(), autocommit=True) as connection:
            row = connection.execute(statement).fetchone()
        return row[0] if row else None

    def stop(self) -> None:
        for server in (self.replica, self.primary):
            if (server.data / "postmaster.pid").exists():
                with contextlib.suppress(RuntimeError):
                    self.run("pg_ctl", "-D", str(server.data), "-w", "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    # -- replication --------------------------------------------------------------------------
    def wait_until_replayed(self) -> None:
        """Until the replica has replayed everything the primary has written so far (bounded by READY_SECONDS).

        The insert position, not the write position: with synchronous_commit off, the commit just made
        may still be in the WAL buffers, and the replica could reach the write position without it.
        """
        target = self.psql(self.primary, DATABASE, "SELECT pg_current_wal_insert_lsn()").strip()
        statement = f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"
        self._until(lambda: self.psql(self.replica, DATABASE, statement).strip() == "t", "replay to catch up")

    def wait_until_accepting(self, server: Server) -> None:
        self._until(lambda: self._accepts(server), f"{server.name} to accept connections")

    def _accepts(self, server: Server) -> bool:
        try:
            self.psql(server, DATABASE, "SELECT 1")
        except RuntimeError:
            return False
        return True

    def _until(self, condition, what: str) -> None:
        deadline = time.monotonic() + READY_SECONDS
        while not condition():
            if time.monotonic() > deadline:
                raise RuntimeError(f"gave up waiting for {what} after {READY_SECONDS} s{self.logs()}")
            time.sleep(0.05)  # polling a condition, not standing in for one


def make_root() -> Path:
    """A temporary directory the servers' user owns."""
    root = Path(tempfile.mkdtemp(prefix="hedge-pg-"))
    if os.geteuid() == 0:
        user = pwd.getpwnam(SERVER_USER)
        os.chown(root, user.pw_uid, user.pw_gid)
    return root
