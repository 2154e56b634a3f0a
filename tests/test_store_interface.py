"""The store is an interface: its backend satisfies it, and SQL stays inside the store."""
from __future__ import annotations

import inspect
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from redline.core.errors import ArchiveError

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


def test_open_archive_gives_a_store_on_the_configured_backend(tmp_path: Path, store_backend: str) -> None:
    with open_archive(tmp_path / "a") as store:
        assert isinstance(store, Store) and store.backend == store_backend
        assert (tmp_path / "a" / "index.sqlite").exists() == (store_backend == "sqlite")


def test_a_store_setting_that_is_not_a_postgresql_url_is_refused_in_one_line(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("REDLINE_STORE", "mysql://db/redline")
    with pytest.raises(ArchiveError, match=r"^REDLINE_STORE='mysql://db/redline' is not a postgresql:// URL"):
        open_archive(tmp_path / "a")


def test_a_postgresql_server_that_does_not_answer_is_one_line_without_the_password(tmp_path: Path, monkeypatch) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("REDLINE_STORE", f"postgresql://redline:s3cret@127.0.0.1:{port}/redline")
    with pytest.raises(ArchiveError) as caught:
        open_archive(tmp_path / "a")
    message = str(caught.value)
    assert message.startswith(f"cannot open the archive index at postgresql://redline:***@127.0.0.1:{port}/redline")
    assert "s3cret" not in message and "\n" not in message


def test_no_sql_and_no_sqlite3_outside_the_store() -> None:
    found = []
    for path in SRC.rglob("*.py"):
        if path.is_relative_to(SRC / "store"):
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"^\s*(import sqlite3|from sqlite3)", text, re.M) or SQL.search(text):
            found.append(str(path.relative_to(SRC)))
    assert found == []


def test_the_archive_config_file_can_put_the_index_on_postgresql(tmp_path: Path, monkeypatch, store_backend) -> None:
    """`[store] index` in the archive's redline.toml, when REDLINE_STORE is not set (the fixture's URL moved there)."""
    url = os.environ.pop("REDLINE_STORE", None)
    monkeypatch.delenv("REDLINE_CONFIG", raising=False)
    (tmp_path / "a").mkdir()
    if url:
        (tmp_path / "a" / "redline.toml").write_text(f'[store]\nindex = "{url}"\n', encoding="utf-8")
    with open_archive(tmp_path / "a") as store:
        assert store.backend == store_backend
    (tmp_path / "a" / "redline.toml").write_text('[store]\nindex = "sqlite:///x"\n', encoding="utf-8")
    with pytest.raises(ArchiveError, match=r"redline.toml: \[store\] index='sqlite:///x' is not a postgresql:// URL"):
        open_archive(tmp_path / "a")


def test_the_postgresql_index_has_the_tables_and_columns_of_the_sqlite_one(tmp_path: Path, monkeypatch, pg_server) -> None:
    import sqlite3

    monkeypatch.delenv("REDLINE_STORE", raising=False)
    Archive(tmp_path / "lite").close()
    lite = sqlite3.connect(tmp_path / "lite" / "index.sqlite")
    want = {(t, c) for (t,) in lite.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE "
                                            "'line_search%'")
            for (c,) in lite.execute(f"SELECT name FROM pragma_table_info('{t}')")}
    lite.close()
    with Archive(tmp_path / "pg", store=pg_server.new_database()) as pg:
        got = {(r["table_name"], r["column_name"]) for r in pg.query(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'")}
    assert got - {(t, "rowid") for t in ("source_urls", "listing_items")} == want


@pytest.mark.slow
@pytest.mark.parametrize("ci", ["", "true"])
def test_without_postgresql_the_backend_tests_skip_with_the_reason_but_fail_under_ci(ci: str) -> None:
    env = {**os.environ, "REDLINE_TEST_PG_BIN": "/nonexistent/postgresql/bin", "CI": ci}
    env.pop("REDLINE_STORE", None)
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider", "-rs",
                           f"{Path(__file__).name}::test_open_archive_gives_a_store_on_the_configured_backend"],
                          cwd=Path(__file__).parent, env=env, capture_output=True, text=True, timeout=300)
    reason = "PostgreSQL 15 is not installed (/nonexistent/postgresql/bin/initdb is missing): apt-get install postgresql"
    assert reason in done.stdout, done.stdout
    if ci:
        assert done.returncode == 1 and "CI must test the PostgreSQL backend" in done.stdout and "1 error" in done.stdout
    else:
        assert done.returncode == 0 and "1 passed, 1 skipped" in done.stdout
