"""The index on PostgreSQL: one connection that runs the record modules' SQL (through the
dialect layer) with the calls they make of a sqlite3 connection (execute -> a cursor with
fetchone / fetchall / lastrowid / rowcount), write transactions that take turns as SQLite's
BEGIN IMMEDIATE does (a transaction-level advisory lock), and errors in one line.

A lost connection (a restarted server, a terminated backend) is made again by the next call
(tried for up to $REDLINE_INDEX_RECONNECT seconds, default 10), which then runs; a transaction
it cut was rolled back by the server and raises IndexConnectionLost, so that its caller can do
the work again as a whole (a check, a batch of unchanged checks)."""
from __future__ import annotations

import hashlib
import os
import re
import socket
import threading
import time
from contextlib import contextmanager
from typing import Callable, Iterator, Sequence, TypeVar

from redline.core.errors import ArchiveError, IndexConnectionLost
from redline.store.postgres.dialect import Row, explicit_id_table, row_factory, translate
from redline.store.postgres.schema import statements
from redline.store.sqlite.schema import SCHEMA_VERSION

def redact(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", url)


def lock_key(name: str) -> int:
    """A signed 64-bit advisory lock key for a name (the first 8 bytes of its sha256)."""
    return int.from_bytes(hashlib.sha256(f"redline:{name}".encode("utf-8")).digest()[:8], "big", signed=True)


T = TypeVar("T")
RECONNECT_WAIT = float(os.environ.get("REDLINE_INDEX_RECONNECT") or 10)  # seconds a lost connection is tried again
WRITE_KEY = lock_key("index-write")    # every write transaction: one at a time, as in SQLite
SCHEMA_KEY = lock_key("index-schema")  # creating the tables
USE_KEY = lock_key("index-in-use")     # every open archive holds it shared; rebuild-index alone, exclusive


class Cursor:
    """What a record module reads of a sqlite3 cursor."""

    def __init__(self, rows: list[Row], rowcount: int, lastrowid: int | None) -> None:
        self._rows, self.rowcount, self.lastrowid = rows, rowcount, lastrowid

    def fetchone(self) -> Row | None:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[Row]:
        return self._rows

    def __iter__(self) -> Iterator[Row]:
        return iter(self._rows)


class PgIndex:
    """An archive's index in a PostgreSQL database (the caller serializes calls: Archive._lock)."""

    def __init__(self, url: str, *, wait: float, create: bool = True) -> None:
        try:
            import psycopg
        except ImportError:
            raise ArchiveError(f"the archive index is set to PostgreSQL ({redact(url)}) but psycopg is not "
                               "installed: pip install 'redline[postgres]' (psycopg[binary])") from None
        self.url, self._psycopg, self.wait = url, psycopg, wait
        self._in_tx = False
        self._held: dict[int, int] = {}   # session lock key -> the thread that holds it
        self._stolen: set[int] = set()    # held keys another session took while the connection was down
        try:
            self._connect()
        except psycopg.Error as exc:
            raise ArchiveError(f"cannot open the archive index at {redact(url)}: {_first_line(exc)}") from None
        self._sole = False
        if create:
            self._share()
        if not create:
            return
        with self.write(key=SCHEMA_KEY):  # a new database gets its tables (two workers at once: one makes them)
            if self.execute("SELECT to_regclass('meta') AS t").fetchone()[0] is None:
                for statement in statements():
                    self._conn.execute(statement)
            current = int(self.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0])
        if current > SCHEMA_VERSION:
            self.close()
            raise ArchiveError(f"the archive index at {redact(url)} is schema version {current}, newer than this "
                               f"redline reads ({SCHEMA_VERSION}); upgrade redline")

    def _connect(self) -> None:
        self._conn = self._psycopg.connect(self.url, autocommit=True, connect_timeout=10,
                                           application_name=f"redline pid {os.getpid()} on {socket.gethostname()}"[:63])
        self._conn.row_factory = row_factory
        self._conn.execute("SELECT set_config('lock_timeout', %s, false)", (f"{int(self.wait * 1000)}ms",))

    def _reconnect(self) -> None:
        """A new connection for a lost one (a restarted server, a terminated backend): tried again for
        up to RECONNECT_WAIT seconds; the session locks held are taken again (one another session took
        meanwhile is marked stolen: its holder's next write fails, IndexConnectionLost)."""
        deadline = time.monotonic() + RECONNECT_WAIT
        while True:
            try:
                self._connect()
                break
            except self._psycopg.Error as exc:
                if time.monotonic() >= deadline:
                    raise ArchiveError(f"lost the connection to the archive index at {redact(self.url)} and "
                                       f"could not connect again within {RECONNECT_WAIT:g} s: {_first_line(exc)}; "
                                       "nothing more was written") from None
                time.sleep(0.25)
        if self._sole:
            raise ArchiveError(f"lost the connection to the archive index at {redact(self.url)} while rebuilding it; "
                               "nothing of the rebuild was written; run it again")
        self._share()
        for key in list(self._held):
            try:
                got = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]
            except self._psycopg.Error as exc:
                raise self.error(exc) from None
            if not got:
                self._stolen.add(key)

    def _share(self) -> None:
        """Hold USE_KEY shared for the session: refused while `redline rebuild-index` holds it."""
        if not self._conn.execute("SELECT pg_try_advisory_lock_shared(%s)", (USE_KEY,)).fetchone()[0]:
            self._conn.close()
            raise ArchiveError(f"the archive index at {redact(self.url)} is being rebuilt (redline rebuild-index); "
                               "nothing was done; run again when the rebuild has finished")

    def others(self) -> list[str]:
        """The other sessions that have the index open (redline processes: 'redline pid N on HOST')."""
        rows = self.execute(
            "SELECT DISTINCT a.application_name, a.client_addr::text AS addr, a.pid FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.classid = ? "
            "AND l.objid = ? AND l.objsubid = 1 AND l.pid <> pg_backend_pid() ORDER BY a.pid",
            ((USE_KEY >> 32) & 0xFFFFFFFF, USE_KEY & 0xFFFFFFFF)).fetchall()
        return [r["application_name"] or f"a process at {r['addr'] or 'a local socket'} (backend {r['pid']})"
                for r in rows]

    @contextmanager
    def sole_use(self, what: str) -> Iterator[None]:
        """Hold the index alone for the block (USE_KEY exclusive): no other archive opens it meanwhile.
        Refused in one line naming the processes that have it open."""
        self.execute("SELECT pg_advisory_unlock_shared(?)", (USE_KEY,))
        if not self.execute("SELECT pg_try_advisory_lock(?) AS got", (USE_KEY,)).fetchone()[0]:
            users = self.others()
            self._share()
            raise ArchiveError(f"{what} needs the archive index at {redact(self.url)} to itself, but "
                               f"{len(users)} other redline process(es) have it open ({'; '.join(users[:5])}"
                               f"{'; …' if len(users) > 5 else ''}); nothing was changed; stop the workers "
                               "(e.g. `prefect work-pool pause redline`, then wait for their runs) and any "
                               "`redline serve`, then run it again")
        self._sole = True
        try:
            yield
        finally:
            self._sole = False
            if not self._lost():
                self.execute("SELECT pg_advisory_unlock(?)", (USE_KEY,))
                self._share()

    def _lost(self) -> bool:
        return self._conn.closed

    def _call(self, run: Callable[[], T]) -> T:
        """`run` on the connection, one line for an error. A connection found lost outside a
        transaction is made again and `run` tried once more; inside one, IndexConnectionLost."""
        if self._lost() and not self._in_tx:
            self._reconnect()
        try:
            return run()
        except self._psycopg.Error as exc:
            if not self._lost():
                raise self.error(exc) from None
            if self._in_tx:
                raise IndexConnectionLost(
                    f"lost the connection to the archive index at {redact(self.url)} in the middle of a "
                    f"transaction ({_first_line(exc)}); nothing of it was written") from None
        self._reconnect()
        try:
            return run()
        except self._psycopg.Error as exc:
            raise self.error(exc) from None

    def close(self) -> None:
        self._conn.close()

    def execute(self, sql: str, params: Sequence[object] = ()) -> Cursor:
        statement, returns_id = translate(sql)
        table = explicit_id_table(sql)

        def run() -> tuple[list[Row], int]:
            cur = self._conn.execute(statement, tuple(params))
            found = cur.fetchall() if cur.description is not None else []
            if table:  # an id given by the caller (an alert put back from its log): the sequence moves past it
                self._conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                   f"(SELECT MAX(id) FROM {table}))")
            return found, cur.rowcount
        rows, rowcount = self._call(run)
        if returns_id:
            return Cursor([], rowcount, rows[0][0] if rows else None)
        return Cursor(rows, rowcount, None)

    def executemany(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        """One statement for many rows, pipelined (one round trip, not one per row)."""
        self._many(sql, rows, returning=False)

    def insert_many(self, sql: str, rows: Sequence[Sequence[object]]) -> list[int]:
        """INSERT each row, pipelined; their generated ids, in order."""
        return self._many(sql, rows, returning=True)

    def _many(self, sql: str, rows: Sequence[Sequence[object]], *, returning: bool) -> list[int]:
        statement, returns_id = translate(sql)
        if not rows:
            return []

        def run() -> list[int]:
            with self._conn.cursor() as cur:
                cur.executemany(statement, [tuple(r) for r in rows], returning=returning and returns_id)
                if not (returning and returns_id):
                    return []
                ids = []
                while True:
                    ids.append(cur.fetchone()[0])
                    if not cur.nextset():
                        return ids
        return self._call(run)

    def error(self, exc: Exception) -> ArchiveError:
        """One line for what PostgreSQL said: a lock held too long, a lost server, or the error as it is."""
        errors = self._psycopg.errors
        if isinstance(exc, (errors.LockNotAvailable, errors.QueryCanceled)):
            return ArchiveError(f"the archive index at {redact(self.url)} is locked by another process (waited "
                                f"{self.wait:g} s, REDLINE_INDEX_WAIT); nothing of this was written, the next run "
                                "does it again")
        if isinstance(exc, errors.DiskFull):
            return ArchiveError(f"the disk of the archive index at {redact(self.url)} is full; nothing of this was "
                                "written; free some space and run again")
        return ArchiveError(f"the archive index at {redact(self.url)}: {_first_line(exc)}")

    @contextmanager
    def write(self, *, key: int = WRITE_KEY) -> Iterator["PgIndex"]:
        """One write transaction, after every other one (the advisory lock is dropped at its end).
        A lost connection cuts it whole: IndexConnectionLost, and the next call connects again."""
        self.execute("BEGIN")
        self._in_tx = True
        try:
            if self._stolen & {k for k, holder in self._held.items() if holder == threading.get_ident()}:
                raise IndexConnectionLost(f"a lock of this run was lost with its connection to the archive index "
                                          f"at {redact(self.url)} and another run holds it now; nothing of this "
                                          "was written")
            self.execute("SELECT pg_advisory_xact_lock(?)", (key,))
            yield self
        except BaseException:
            self._rollback()
            raise
        try:
            self.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise
        finally:
            self._in_tx = False

    def _rollback(self) -> None:
        self._in_tx = False
        if self._lost():
            return  # the connection is gone: the server rolled it back
        try:
            self._conn.execute("ROLLBACK")
        except self._psycopg.Error:
            pass

    def try_lock(self, key: int) -> bool:
        """Take a session-level advisory lock if it is free (held until unlock or the connection ends)."""
        got = bool(self.execute("SELECT pg_try_advisory_lock(?) AS got", (key,)).fetchone()[0])
        if got:
            self._held[key] = threading.get_ident()
        return got

    def unlock(self, key: int) -> None:
        self._held.pop(key, None)
        if key in self._stolen:
            self._stolen.discard(key)
            return  # another session holds it: not ours to release
        self.execute("SELECT pg_advisory_unlock(?)", (key,))


def index_exists(url: str) -> bool:
    """Whether the database at `url` holds an archive index (its tables are made by the first Archive)."""
    index = PgIndex(url, wait=10, create=False)
    try:
        return index.execute("SELECT to_regclass('meta') AS t").fetchone()[0] is not None
    finally:
        index.close()


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def connect(url: str, *, wait: float) -> PgIndex:
    return PgIndex(url, wait=wait)


__all__ = ["Cursor", "PgIndex", "WRITE_KEY", "connect", "index_exists", "lock_key", "redact"]
