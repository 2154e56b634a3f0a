"""An archive index made by an earlier redline is migrated in place, additively, once."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from redline.store.sqlite import SCHEMA, SCHEMA_VERSION, Archive
from redline.core.errors import ArchiveError

pytestmark = pytest.mark.sqlite_only  # migrations of index.sqlite


def old_index(root: Path) -> Path:
    """An index as schema version 1 left it, with one source and one version."""
    root.mkdir(parents=True)
    db = sqlite3.connect(root / "index.sqlite")
    db.executescript(SCHEMA)
    db.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    db.execute("INSERT INTO sources (name, url, added_at) VALUES ('s1', 'https://www.fmprc.gov.cn/mfa_eng/t1.shtml', "
               "'2025-01-01T00:00:00+00:00')")
    db.execute("INSERT INTO versions (source, seq, text_sha256, first_seen, origin, chars) "
               "VALUES ('s1', 1, 'abc', '2025-01-01T00:00:00+00:00', 'baseline', 3)")
    db.commit()
    db.close()
    return root


def test_an_index_of_schema_version_1_is_upgraded_and_keeps_its_rows(tmp_path: Path) -> None:
    with Archive(old_index(tmp_path / "archive")) as archive:
        assert archive.query("SELECT value FROM meta WHERE key='schema_version'")[0]["value"] == str(SCHEMA_VERSION)
        assert archive.state("s1").state == "active" and archive.state("s1").version_seq == 1
        assert [h["url"] for h in archive.url_history("s1")] == ["https://www.fmprc.gov.cn/mfa_eng/t1.shtml"]
        assert archive.listing_items() == [] and archive.discovered_sources() == []
    with Archive(tmp_path / "archive") as again:  # a second open changes nothing
        assert len(again.url_history("s1")) == 1


def test_an_index_newer_than_this_redline_is_refused_in_one_line(tmp_path: Path) -> None:
    Archive(tmp_path / "archive").close()
    db = sqlite3.connect(tmp_path / "archive" / "index.sqlite")
    db.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
    db.commit()
    db.close()
    with pytest.raises(ArchiveError, match="schema version 99, newer than this redline reads") as err:
        Archive(tmp_path / "archive")
    assert "\n" not in str(err.value)
