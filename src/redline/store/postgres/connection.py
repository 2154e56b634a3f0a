"""The index on PostgreSQL: one connection that runs the record modules' SQL (through the
dialect layer) with the calls they make of a sqlite3 connection (execute -> a cursor with
fetchone / fetchall / lastrowid / rowcount), write transactions that take turns as SQLite's
BEGIN IMMEDIATE does (a transaction-level advisory lock), and errors in one line."""
from __future__ import annotations

import hashlib
import re
from contextlib import contextmanager
from typing import Iterator, Sequence

from redline.core.errors import ArchiveError
from redline.store.postgres.dialect import Row, explicit_id_table, row_factory, translate
from redline.store.postgres.schema import statements
from redline.store.sqlite.schema import SCHEMA_VERSION

def redact(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", url)


def lock_key(name: str) -> int:
    """A signed 64-bit advisory lock key for a name (the first 8 bytes of its sha256)."""
    return int.from_bytes(hashlib.sha256(f"redline:{name}".encode("utf-8")).digest()[:8], "big", signed=True)


WRITE_KEY = lock_key("index-write")    # every write transaction: one at a time, as in SQLite
SCHEMA_KEY = lock_key("index-schema")  # creating the tables


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
        self.url, self._psycopg = url, psycopg
        try:
            self._conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise ArchiveError(f"cannot open the archive index at {redact(url)}: {_first_line(exc)}") from None
        self._conn.row_factory = row_factory
        self.execute("SELECT set_config('lock_timeout', ?, false)", (f"{int(wait * 1000)}ms",))
        self.wait = wait
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

    def close(self) -> None:
        self._conn.close()

    def execute(self, sql: str, params: Sequence[object] = ()) -> Cursor:
        statement, returns_id = translate(sql)
        try:
            cur = self._conn.execute(statement, tuple(params))
            rows = cur.fetchall() if cur.description is not None else []
            table = explicit_id_table(sql)
            if table:  # an id given by the caller (an alert put back from its log): the sequence moves past it
                self._conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                   f"(SELECT MAX(id) FROM {table}))")
        except self._psycopg.Error as exc:
            raise self.error(exc) from None
        if returns_id:
            return Cursor([], cur.rowcount, rows[0][0] if rows else None)
        return Cursor(rows, cur.rowcount, None)

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
        try:
            with self._conn.cursor() as cur:
                cur.executemany(statement, [tuple(r) for r in rows], returning=returning and returns_id)
                if not (returning and returns_id):
                    return []
                ids = []
                while True:
                    ids.append(cur.fetchone()[0])
                    if not cur.nextset():
                        return ids
        except self._psycopg.Error as exc:
            raise self.error(exc) from None

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
        """One write transaction, after every other one (the advisory lock is dropped at its end)."""
        self.execute("BEGIN")
        try:
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

    def _rollback(self) -> None:
        try:
            self._conn.execute("ROLLBACK")
        except self._psycopg.Error:
            pass  # the connection is gone: the server rolled it back

    def try_lock(self, key: int) -> bool:
        """Take a session-level advisory lock if it is free (held until unlock or the connection ends)."""
        return bool(self.execute("SELECT pg_try_advisory_lock(?) AS got", (key,)).fetchone()[0])

    def unlock(self, key: int) -> None:
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
