"""The thin dialect layer: the record modules' SQL (written for SQLite) as PostgreSQL runs it,
and rows that read like sqlite3.Row (by name, by position, dict(row)).

What changes: `?` placeholders become `%s` (a literal `%` becomes `%%`); `INSERT OR IGNORE`
becomes `INSERT ... ON CONFLICT DO NOTHING`; an INSERT into a table with a generated id
returns it (`RETURNING id`, the cursor's lastrowid); `CASE WHEN ? THEN` (an int flag) tests
the flag against 0 (PostgreSQL wants a boolean there). `instr()` and `rowid` need no
rewriting: the PostgreSQL schema defines them (redline.store.postgres.schema).
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Iterator, Sequence

GENERATED_IDS = frozenset({"captures", "versions", "changes", "alerts", "text_lines"})

_OR_IGNORE = re.compile(r"^\s*INSERT\s+OR\s+IGNORE\s+INTO\b", re.I)
_INSERT = re.compile(r"^\s*INSERT\s+INTO\s+(\w+)\s*(\(\s*(\w+))?", re.I)
_FLAG = re.compile(r"\bWHEN\s+\?\s+THEN\b", re.I)
_EXPLICIT_ID = re.compile(r"^\s*INSERT\s+INTO\s+(\w+)\s*\(\s*id\s*,", re.I)


def _placeholders(sql: str) -> str:
    """`?` -> `%s` and `%` -> `%%`, outside string literals only ('...', with '' inside)."""
    out, quoted = [], False
    for ch in sql:
        if ch == "'":
            quoted = not quoted
            out.append(ch)
        elif ch == "%":
            out.append("%%")
        elif ch == "?" and not quoted:
            out.append("%s")
        else:
            out.append(ch)
    return "".join(out)


@lru_cache(maxsize=1024)
def translate(sql: str) -> tuple[str, bool]:
    """(the statement for PostgreSQL, whether it returns a generated id)."""
    sql = sql.rstrip().rstrip(";")
    if _OR_IGNORE.match(sql):
        sql = _OR_IGNORE.sub("INSERT INTO", sql, count=1) + " ON CONFLICT DO NOTHING"
    sql = _FLAG.sub("WHEN (?)::int <> 0 THEN", sql)
    returns_id = False
    insert = _INSERT.match(sql)
    if insert and insert.group(1).lower() in GENERATED_IDS and (insert.group(3) or "").lower() != "id" \
            and "RETURNING" not in sql.upper():
        sql, returns_id = sql + " RETURNING id", True
    return _placeholders(sql), returns_id


def explicit_id_table(sql: str) -> str | None:
    """The table of an INSERT that gives the generated id itself (its sequence must move past it)."""
    m = _EXPLICIT_ID.match(sql)
    return m.group(1) if m and m.group(1).lower() in GENERATED_IDS else None


class Row:
    """A row as sqlite3.Row gives it: row["name"], row[0], dict(row), iteration over the values."""

    __slots__ = ("_names", "_values")

    def __init__(self, names: dict[str, int], values: Sequence[Any]) -> None:
        self._names, self._values = names, values

    def keys(self) -> list[str]:
        return list(self._names)

    def __getitem__(self, key: int | str) -> Any:
        if isinstance(key, str):
            try:
                return self._values[self._names[key]]
            except KeyError:
                raise IndexError(f"no such column: {key}") from None
        return self._values[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Row) and self._names == other._names and tuple(self._values) == tuple(other._values)

    def __hash__(self) -> int:
        return hash(tuple(self._values))

    def __repr__(self) -> str:
        return f"Row({dict(zip(self._names, self._values))!r})"


def row_factory(cursor: Any) -> Any:
    """psycopg's row factory giving Row objects (one name table per result)."""
    names: dict[str, int] = {}
    for i, d in enumerate(cursor.description or ()):
        names.setdefault(d.name, i)  # as sqlite3.Row: a repeated name reads the first column

    def make(values: Sequence[Any]) -> Row:
        return Row(names, values)
    return make
