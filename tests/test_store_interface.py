"""The store is an interface: its backend satisfies it, and SQL stays inside the store."""
from __future__ import annotations

import inspect
import re
from pathlib import Path

from redline.store import Archive, Store, open_archive
from redline.store.interface import Store as Protocol_

SRC = Path(__file__).resolve().parents[1] / "src" / "redline"
SQL = re.compile(r"\b(SELECT [^\n]*\bFROM|INSERT (OR \w+ )?INTO|UPDATE \w+ SET|DELETE FROM)\b")  # SQL is written in capitals here


def _members(cls: type) -> dict[str, object]:
    return {n: v for n, v in vars(cls).items() if not n.startswith("_")}


def test_the_sqlite_backend_has_every_member_of_the_store_interface_with_the_same_parameters() -> None:
    for name, member in _members(Protocol_).items():
        assert hasattr(Archive, name), f"Archive lacks Store.{name}"
        if callable(member):
            want = list(inspect.signature(member).parameters)
            got = list(inspect.signature(getattr(Archive, name)).parameters)
            assert got == want, f"Archive.{name}{got} differs from Store.{name}{want}"


def test_every_public_archive_method_is_part_of_the_interface() -> None:
    public = {n for c in Archive.__mro__ if c is not object for n in vars(c) if not n.startswith("_")}
    assert public - set(_members(Protocol_)) - {"root"} == set()


def test_open_archive_gives_a_store(tmp_path: Path) -> None:
    with open_archive(tmp_path / "a") as store:
        assert isinstance(store, Store) and (tmp_path / "a" / "index.sqlite").exists()


def test_no_sql_and_no_sqlite3_outside_the_store() -> None:
    found = []
    for path in SRC.rglob("*.py"):
        if path.is_relative_to(SRC / "store"):
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"^\s*(import sqlite3|from sqlite3)", text, re.M) or SQL.search(text):
            found.append(str(path.relative_to(SRC)))
    assert found == []
