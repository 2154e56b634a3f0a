"""A real PostgreSQL 15 on loopback for the tests: initdb (as the postgres user when run as
root: initdb refuses root), pg_ctl start on a free port with its socket in its own folder,
one fresh database per test (from a template that holds pg_trgm), pg_ctl stop at the end."""
from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

BIN = Path(os.environ.get("REDLINE_TEST_PG_BIN") or "/usr/lib/postgresql/15/bin")  # another: a test of the fixture
INITDB = BIN / "initdb"
TEMPLATE = "redline_template"


def missing() -> str | None:
    """Why no PostgreSQL can be started here, or None."""
    if not INITDB.is_file():
        return f"PostgreSQL 15 is not installed ({INITDB} is missing): apt-get install postgresql"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    """A PostgreSQL server in a temporary folder, for one test session."""

    def __init__(self, *, durable: bool = False) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="redline-pg-"))
        self.data = self.dir / "data"
        self.port = _free_port()
        self.durable = durable
        self._names = itertools.count(1)
        self._as_postgres = os.geteuid() == 0

    def _run(self, *cmd: str) -> subprocess.CompletedProcess:
        argv = (["runuser", "-u", "postgres", "--"] if self._as_postgres else []) + list(cmd)
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd[:2])} failed: {done.stderr.strip() or done.stdout.strip()}")
        return done

    def start(self) -> "PgServer":
        if self._as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(str(INITDB), "-D", str(self.data), "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "-U", "postgres")
        self._pg_ctl("start")
        self.admin(f"CREATE DATABASE {TEMPLATE}")
        self.sql(TEMPLATE, "CREATE EXTENSION IF NOT EXISTS pg_trgm")
        return self

    def _pg_ctl(self, action: str) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=200"
        if not self.durable:  # a test database need not survive a power cut
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(str(BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"),
                  "-m", "fast", "-w", action)

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def sql(self, database: str, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as conn:
            conn.execute(statement)

    def admin(self, statement: str) -> None:
        self.sql("postgres", statement)

    def new_database(self) -> str:
        """A fresh, empty database; its URL."""
        name = f"redline_test_{os.getpid()}_{next(self._names)}"
        self.admin(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        return self.url(name)

    def terminate(self, pid: int) -> None:
        """End one backend (as an operator's pg_terminate_backend), waiting until it is gone."""
        self.admin(f"SELECT pg_terminate_backend({int(pid)}, 10000)")

    def restart(self) -> None:
        """Stop and start the server (every connection to it drops)."""
        self._pg_ctl("restart")

    def stop(self) -> None:
        try:
            self._run(str(BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
