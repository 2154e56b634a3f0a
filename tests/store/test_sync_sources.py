"""Registering the registry's sources each cycle (Archive.sync_sources): what changed is written,
an unchanged registry writes nothing."""
from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from redline.core.model import Source
from redline.store.sqlite import Archive

SOURCES = [Source(name=f"s{i}", url=f"https://example.org/{i}.html", title=f"Statement {i}", date="2020-12-16",
                  tags=("cyber",)) for i in range(3)]


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    a = Archive(tmp_path / "archive")
    a.sync_sources(SOURCES)
    yield a
    a.close()


def rows(archive: Archive) -> dict[str, tuple]:
    return {r["name"]: (r["url"], r["title"], r["date"], r["tags"], r["enabled"], r["registry_url"])
            for r in archive.sources()}


@pytest.mark.sqlite_only
def test_an_unchanged_registry_is_synced_while_another_process_holds_the_write_lock(archive, monkeypatch) -> None:
    monkeypatch.setenv("REDLINE_INDEX_WAIT", "0.2")   # read when an archive opens
    second = Archive(archive.root)
    other = sqlite3.connect(archive.root / "index.sqlite", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")   # a write under way elsewhere: a write here would wait, then fail
    try:
        second.sync_sources(SOURCES)
        with pytest.raises(Exception, match="(?i)lock|busy"):
            second.sync_sources([replace(SOURCES[0], title="Retitled")])
    finally:
        other.execute("ROLLBACK")
        other.close()
        second.close()


def test_a_changed_field_in_the_registry_is_written_and_the_others_stay(archive) -> None:
    before = rows(archive)
    archive.sync_sources([replace(SOURCES[0], title="Retitled", tags=("cyber", "un")), *SOURCES[1:]])
    after = rows(archive)
    assert after["s0"][1:4] == ("Retitled", "2020-12-16", '["cyber", "un"]')
    assert {k: v for k, v in after.items() if k != "s0"} == {k: v for k, v in before.items() if k != "s0"}


def test_a_disabled_source_and_a_new_address_are_written_and_the_address_is_remembered(archive) -> None:
    archive.sync_sources([replace(SOURCES[0], enabled=False), replace(SOURCES[1], url="https://example.org/new.html"),
                          SOURCES[2]])
    after = rows(archive)
    assert after["s0"][4] == 0 and after["s1"][0] == "https://example.org/new.html"
    assert "https://example.org/new.html" in [r["url"] for r in archive.url_history("s1")]


def test_a_moved_source_keeps_its_new_address_while_the_registry_gives_the_old_one(archive) -> None:
    archive.move_source("s2", "https://example.org/moved.html", registry_url=SOURCES[2].url)
    archive.sync_sources(SOURCES)
    assert rows(archive)["s2"][0] == "https://example.org/moved.html"
