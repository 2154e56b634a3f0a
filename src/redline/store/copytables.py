"""The rows of an archive index, table by table, for `redline store copy`: which tables there are
(derived from the schema and its migrations, so a new table is copied without a change here),
what each holds (a count and an order-independent digest of its rows, equal on SQLite and
PostgreSQL for the same rows), and the copy of every row with its id.

The tables a backend derives itself are not copied: SQLite's FTS5 search table and its shadow
tables (filled from text_lines by a trigger), PostgreSQL's `rowid` columns (filled in the
order the rows are inserted, which is the source's order)."""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Sequence

from redline.core.errors import ArchiveError
from redline.store.sqlite import Archive
from redline.store.sqlite.schema import MIGRATIONS, SCHEMA

_CREATE = re.compile(r"\bCREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)\s*\(([^;]*)", re.I)
DERIVED_COLUMNS = frozenset({"rowid"})   # PostgreSQL's stand-in for SQLite's rowid (postgres.schema.EXTRAS)
CHUNK = 2000   # rows read (and written) at a time
_MOD = 1 << 256


def _creates() -> list[re.Match[str]]:
    """The CREATE TABLE statements of the schema and its migrations, in order (not FTS5's virtual table)."""
    statements = [*SCHEMA.split(";"), *(s for version in sorted(MIGRATIONS) for s in MIGRATIONS[version])]
    return [m for s in statements for m in [_CREATE.search(s)] if m]


def schema_tables() -> tuple[str, ...]:
    """Every table of the index, in the order the schema creates them (a table after those it refers to)."""
    return tuple(dict.fromkeys(m.group(1) for m in _creates()))


# the tables with a generated id (a sequence on PostgreSQL, which must continue after the copied ids)
ID_TABLES = frozenset(m.group(1) for m in _creates() if re.search(r"\bid INTEGER PRIMARY KEY\b", m.group(2)))


def live_tables(archive: Archive) -> set[str]:
    """The tables the archive's index holds, less those its backend derives itself."""
    if archive.backend == "postgresql":
        return {r[0] for r in archive.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
            "AND table_type = 'BASE TABLE'")}
    rows = archive.query("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
    virtual = [r[0] for r in rows if (r[1] or "").upper().startswith("CREATE VIRTUAL TABLE")]
    return {r[0] for r in rows if not r[0].startswith("sqlite_") and r[0] not in virtual
            and not any(r[0].startswith(v + "_") for v in virtual)}


def check_tables(archive: Archive, where: str) -> tuple[str, ...]:
    """The tables to copy; ArchiveError when the index holds one the schema does not make (or lacks one)."""
    tables, live = schema_tables(), live_tables(archive)
    unknown, missing = sorted(live - set(tables)), sorted(set(tables) - live)
    if unknown or missing:
        raise ArchiveError(f"the index of {where} does not match this redline's schema (tables "
                           f"{', '.join(unknown) or 'none'} unknown, {', '.join(missing) or 'none'} missing); "
                           "nothing was copied; upgrade redline or open the archive once to migrate it")
    return tables


def _key(archive: Archive, table: str) -> tuple[str, ...]:
    """The columns `table` is read in order of, one chunk after another: the order the record
    modules read it in (SQLite's rowid; on PostgreSQL its rowid column, else its id, else its
    primary key); `meta` by key."""
    if table == "meta":
        return ("key",)
    if archive.backend == "sqlite":
        return ("rowid",)
    columns = {r[0] for r in archive.query(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = ?", (table,))}
    for one in ("rowid", "id"):
        if one in columns:
            return (one,)
    return tuple(r[0] for r in archive.query(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
        "WHERE i.indrelid = ?::regclass AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)",
        (table,)))


def row_chunks(archive: Archive, table: str, *, size: int | None = None) -> Iterator[list]:
    """Every row of `table`, CHUNK rows at a time (keyset pagination on _key: memory stays bounded
    whatever the table holds), in the order the record modules read them; of `meta`, not the
    backend's own derived state (DERIVED_META)."""
    size = size or CHUNK
    key = _key(archive, table)
    if not key:
        raise ArchiveError(f"the table {table} has no key to read it in chunks by; nothing was copied")
    order = ", ".join(key)
    head = f"SELECT rowid AS rowid, * FROM {table}" if archive.backend == "sqlite" and key == ("rowid",) \
        else f"SELECT * FROM {table}"
    after: tuple = ()
    while True:
        where = f" WHERE ({order}) > ({', '.join('?' * len(key))})" if after else ""
        read = archive.query(f"{head}{where} ORDER BY {order} LIMIT {int(size)}", after)
        if not read:
            return
        after = tuple(read[-1][k] for k in key)
        rows = [r for r in read if r["key"] not in DERIVED_META] if table == "meta" else read
        if rows:
            yield rows
        if len(read) < size:
            return


def _columns(row) -> list[str]:  # type: ignore[no-untyped-def]
    return [c for c in row.keys() if c not in DERIVED_COLUMNS]


def _row_hash(columns: Sequence[str], row) -> int:  # type: ignore[no-untyped-def]
    canonical = json.dumps([[c, row[c]] for c in sorted(columns)], ensure_ascii=False, default=str)
    return int.from_bytes(hashlib.sha256(canonical.encode("utf-8")).digest(), "big")


def table_digest(archive: Archive, table: str) -> tuple[int, str]:
    """(rows, digest) of `table`: the digest is the sum of each row's sha256 (column -> value), so
    it does not depend on the order the backend gives the rows in. Read a chunk at a time."""
    count = total = 0
    for rows in row_chunks(archive, table):
        count += len(rows)
        total = (total + sum(_row_hash(_columns(r), r) for r in rows)) % _MOD
    return count, f"{total:064x}"


# meta keys of a backend's derived state, never copied: SQLite's trigram index (a virtual table,
# not copied either) is filled on the destination from its lines (redline.store.sqlite.search).
DERIVED_META = ("search_indexed",)


def copy_rows(source: Archive, dest: Archive, tables: Sequence[str], *, replace: bool = False) -> None:
    """Every row of `tables` from `source` into `dest` (empty, but for its meta rows), with its id,
    in one transaction of `dest`; on PostgreSQL each id sequence then continues after the copied ids.
    `replace` (PostgreSQL: rebuild-index): the rows `dest` holds are deleted first, in that transaction."""
    if replace and dest.backend != "postgresql":
        raise ArchiveError("copy_rows replaces the rows of a PostgreSQL index only")
    with dest._tx() as db:
        if replace:
            db.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY")
        for table in tables:
            if table == "meta":
                db.execute("DELETE FROM meta")
            for rows in row_chunks(source, table):   # a chunk read, a chunk written: memory stays bounded
                columns = _columns(rows[0])
                sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
                db.executemany(sql, [tuple(r[c] for c in columns) for r in rows])
        if dest.backend == "sqlite":   # none of its lines in the trigram index yet
            db.execute("INSERT OR REPLACE INTO meta VALUES ('search_indexed', '0')")
        if dest.backend == "postgresql":
            for table in (t for t in tables if t in ID_TABLES):
                db.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 0) + 1, "
                           f"false) FROM {table}")
