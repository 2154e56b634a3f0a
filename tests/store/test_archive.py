"""The archive: content-addressed text, atomic index rows, WARC captures that warcio accepts."""
from __future__ import annotations

import gzip
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from redline.store.sqlite import Archive, NewAlert, NewChange, NewVersion, sha256_text
from redline.core.errors import ArchiveError, NotFoundError
from redline.core.model import FetchResult, Source

WHEN = datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)
SRC = Source(name="s1", url="https://example.org/a.html", title="A statement", date="2020-12-16 22:36")


def fetched(body: bytes = b"<html><body><p>Hello</p></body></html>", status: int = 200, **kw) -> FetchResult:
    return FetchResult(url=SRC.url, final_url=SRC.url, status=status, fetched_at=WHEN,
                       request_headers=(("User-Agent", "redline-test"),),
                       response_headers=(("Content-Type", "text/html"), ("ETag", '"abc"'),
                                         ("Content-Encoding", "gzip")),
                       body=body, text=body.decode("utf-8", "replace"), encoding="utf-8", **kw)


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    a = Archive(tmp_path / "archive")
    a.sync_sources([SRC])
    yield a
    a.close()


def test_text_is_stored_once_per_distinct_digest(archive: Archive) -> None:
    d1 = archive.put_text("same text")
    d2 = archive.put_text("same text")
    assert d1 == d2 == sha256_text("same text")
    assert len(list((archive.root / "text").rglob("*.txt.gz"))) == 1
    assert archive.get_text(d1) == "same text"
    assert gzip.decompress(archive.text_path(d1).read_bytes()) == b"same text"


def test_missing_text_blob_is_an_archive_error_naming_the_digest(archive: Archive) -> None:
    with pytest.raises(ArchiveError, match="deadbeef"):
        archive.get_text("deadbeef" * 8)


def test_baseline_becomes_first_version_dated_by_the_source(archive: Archive) -> None:
    vid = archive.import_baseline(SRC, "Title\nBody", normalizer_version=1)
    v = archive.version(vid)
    assert (v.seq, v.origin, v.first_seen) == (1, "baseline", "2020-12-16T22:36:00+00:00")
    assert archive.import_baseline(SRC, "other", normalizer_version=1) is None  # once only
    assert len(archive.versions("s1")) == 1


def test_a_check_with_a_change_writes_capture_version_change_alert_and_deliveries_together(archive: Archive) -> None:
    archive.import_baseline(SRC, "old text", normalizer_version=1)
    r = fetched()
    warc = archive.write_warc("s1", r)
    out = archive.record_check(
        "s1", r, run_id="run1", warc=warc, raw_sha256="x", text_sha256=sha256_text("new text"),
        versions=[(NewVersion(text="new text", title="A", origin="capture", normalizer_version=1),
                   NewChange("substantive", ("wording",), {"hunks": 1}))],
        alert=NewAlert(kind="change", title="A", url=SRC.url, summary="1 word"), sinks=["log", "chat"])
    alert = archive.alert(out.alert_id)
    assert (alert.from_version, alert.to_version) == (archive.versions("s1")[0].id, out.version_ids[0])
    assert [d["sink"] for d in archive.deliveries(alert.id)] == ["chat", "log"]
    assert [d["status"] for d in archive.pending_deliveries()] == ["pending", "pending"]
    row = archive.source_row("s1")
    assert (row["etag"], row["failures"], row["last_status"]) == ('"abc"', 0, 200)


def test_an_unchanged_check_adds_no_text_and_no_version(archive: Archive) -> None:
    archive.import_baseline(SRC, "text", normalizer_version=1)
    before = sorted((archive.root / "text").rglob("*.gz"))
    archive.record_check("s1", fetched(), run_id="r", text_sha256=sha256_text("text"))
    assert sorted((archive.root / "text").rglob("*.gz")) == before
    assert len(archive.versions("s1")) == 1
    assert archive.counts()["captures"] == 1


def test_failures_count_up_and_reset_on_success(archive: Archive) -> None:
    down = FetchResult(url=SRC.url, final_url=SRC.url, status=None, fetched_at=WHEN, error="could not connect")
    archive.record_check("s1", down, run_id="r")
    archive.record_check("s1", down, run_id="r")
    assert archive.source_row("s1")["failures"] == 2
    assert archive.source_row("s1")["etag"] is None  # a failure never changes the validators
    archive.record_check("s1", fetched(), run_id="r")
    assert archive.source_row("s1")["failures"] == 0


def test_a_failed_transaction_leaves_the_index_unchanged(archive: Archive) -> None:
    with pytest.raises(NotFoundError):
        archive.record_check("nope", fetched(), run_id="r",
                             versions=[(NewVersion("t", "", "capture", 1), None)])
    assert archive.counts()["captures"] == 0 and archive.counts()["versions"] == 0


def test_warc_capture_passes_warcio_check_and_reads_back(archive: Archive) -> None:
    body = "<html><body><p>网络空间 cyberspace</p></body></html>".encode("utf-8")
    r = fetched(body)
    loc = archive.write_warc("s1", r)
    path = archive.root / loc.path
    assert path.name.endswith(".warc.gz") and path.parent.parent.parent.name == "warc"
    check = subprocess.run([str(Path(sys.executable).with_name("warcio")), "check", "-v", str(path)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    out = archive.record_check("s1", r, run_id="r", warc=loc, raw_sha256="h")
    assert archive.raw_body(out.capture_id) == body


def test_identical_body_is_archived_as_a_small_revisit_record(archive: Archive) -> None:
    body = ("<p>" + "x" * 30000 + "</p>").encode()
    r = fetched(body)
    first = archive.write_warc("s1", r)
    c1 = archive.record_check("s1", r, run_id="r", warc=first, raw_sha256="same")
    again = archive.write_warc("s1", r, revisit_of=archive.original_warc_record("s1", "same"))
    c2 = archive.record_check("s1", r, run_id="r", warc=again, raw_sha256="same")
    assert again.revisit
    assert (archive.root / again.path).stat().st_size < 1024
    assert archive.raw_body(c2.capture_id) == archive.raw_body(c1.capture_id) == body
    check = subprocess.run([str(Path(sys.executable).with_name("warcio")), "check", str(archive.root / again.path)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout


def test_no_temporary_files_are_left_behind(archive: Archive) -> None:
    archive.put_text("a")
    archive.write_warc("s1", fetched())
    assert not [p for p in archive.root.rglob(".tmp-*")]


def test_an_alert_put_back_under_its_own_id_is_never_reused_by_the_next_alert(archive: Archive) -> None:
    first = archive.add_alert("s1", NewAlert(kind="new", title="t", url=SRC.url, summary="first"), sinks=("log",))
    back = first + 5  # an alert of the log that the index had lost
    assert archive.import_logged_alert({"id": back, "kind": "new", "source": "s1", "title": "t", "url": SRC.url,
                                        "summary": "put back"}, sink="log")
    assert not archive.import_logged_alert({"id": back, "kind": "new", "source": "s1"}, sink="log")  # once
    after = archive.add_alert("s1", NewAlert(kind="new", title="t", url=SRC.url, summary="next"), sinks=("log",))
    assert after == back + 1
    assert [d["status"] for d in archive.deliveries(back)] == ["delivered"]
    assert archive.alert(back).summary == "put back"

