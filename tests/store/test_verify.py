"""`redline verify`: every kind of damage is found and named; leftovers of a crash are warnings."""
from __future__ import annotations

import gzip
import json
import sqlite3

import pytest

from redline.alerts.sinks import JsonlSink
from redline.cli.main import main
from redline.monitor.check import check_batch
from redline.alerts.delivery import deliver_pending
from redline.store.verify import verify_archive

WORDING = ("should play a leading role", "should play a central role")


@pytest.fixture
def archive(stack):
    """The seed archive after two cycles: first captures, then one wording change, alerted and delivered."""
    log = JsonlSink(stack.archive.alerts_log, name="alert-log")
    check_batch(stack.registry.statements(), archive=stack.archive, fetcher=stack.fetcher, run_id="1",
                sinks=["alert-log"])
    name = next(n for n, t in stack.seeds.items() if WORDING[0] in t)
    stack.serve(name, stack.seeds[name].replace(*WORDING))
    check_batch(stack.registry.statements(), archive=stack.archive, fetcher=stack.fetcher, run_id="2",
                sinks=["alert-log"])
    assert deliver_pending(stack.archive, {"alert-log": log}) == (1, [])
    return stack.archive


def changed_source(archive) -> str:
    return next(r["name"] for r in archive.sources() if len(archive.versions(r["name"])) == 2)


def errors(archive) -> list[str]:
    return [str(p) for p in verify_archive(archive.root).errors]


def one_capture(archive, *, revisit: int = 0):
    return archive.query("SELECT * FROM captures WHERE warc_path IS NOT NULL AND revisit=? ORDER BY id LIMIT 1",
                         (revisit,))[0]


def test_a_sound_archive_has_no_problem_and_verify_exits_0(archive, capsys) -> None:
    report = verify_archive(archive.root)
    assert report.problems == []
    # 5 first captures, 1 changed capture, and the 4 unchanged checks of cycle 2 sharing one batch file
    assert report.counts["captures"] == 10 and report.counts["warc_files"] == 7
    assert report.counts["text_blobs"] >= 6 and report.counts["alerts"] == 1
    assert main(["verify", "--archive", str(archive.root)]) == 0
    out = capsys.readouterr()
    assert "0 error(s), 0 warning(s)" in out.out and out.err == ""


def test_a_text_blob_whose_content_does_not_match_its_name_is_an_error(archive) -> None:
    version = archive.latest_version(changed_source(archive))
    path = archive.text_path(version.text_sha256)
    path.write_bytes(gzip.compress("a forged text".encode()))
    found = errors(archive)
    assert any(str(path.relative_to(archive.root)) in e and "not the" in e and version.text_sha256 in e
               for e in found), found
    assert any(f"version {version.id}" in e and "missing or damaged" in e for e in found), found


def test_a_truncated_text_blob_is_an_error(archive) -> None:
    version = archive.versions(archive.sources()[0]["name"])[0]
    path = archive.text_path(version.text_sha256)
    path.write_bytes(path.read_bytes()[:10])
    assert any("does not decompress" in e for e in errors(archive))


def test_a_missing_text_blob_is_an_error(archive) -> None:
    version = archive.versions(archive.sources()[0]["name"])[0]
    archive.text_path(version.text_sha256).unlink()
    assert any(f"version {version.id}" in e and "missing" in e for e in errors(archive))


def test_a_warc_record_whose_body_was_altered_fails_its_digest(archive) -> None:
    capture = one_capture(archive)
    path = archive.root / capture["warc_path"]
    members, data = [], path.read_bytes()
    while data:  # one gzip member per record: alter the response record's body, keep the framing valid
        d = __import__("zlib").decompressobj(31)
        plain = d.decompress(data)
        members.append(plain)
        data = d.unused_data
    target = next(i for i, m in enumerate(members) if b"WARC-Type: response" in m)
    members[target] = members[target].replace(b"</p>", b"</P>", 1)
    path.write_bytes(b"".join(gzip.compress(m) for m in members))
    found = errors(archive)
    assert any(capture["warc_path"] in e and "digest failed" in e for e in found), found


def test_a_missing_or_unreadable_warc_file_is_an_error(archive) -> None:
    first, second = archive.query("SELECT * FROM captures WHERE warc_path IS NOT NULL ORDER BY id LIMIT 2")
    (archive.root / first["warc_path"]).unlink()
    (archive.root / second["warc_path"]).write_bytes(b"\x1f\x8b\x08\x00garbage")
    found = errors(archive)
    assert any(f"capture {first['id']}" in e and "is missing" in e for e in found), found
    assert any(second["warc_path"] in e and "cannot be read" in e for e in found), found


def test_a_capture_pointing_at_the_wrong_offset_is_an_error(archive) -> None:
    capture = one_capture(archive)
    with archive._tx() as db:
        db.execute("UPDATE captures SET warc_offset=0 WHERE id=?", (capture["id"],))  # the request record
    assert any(f"capture {capture['id']}" in e and "no response or revisit record at offset 0" in e
               for e in errors(archive))


def test_a_gap_in_a_sources_version_numbers_is_an_error(archive) -> None:
    name = changed_source(archive)
    latest = archive.latest_version(name)
    with archive._tx() as db:
        db.execute("UPDATE versions SET seq=7 WHERE id=?", (latest.id,))
    assert any(f"versions of {name}" in e and "[1, 7]" in e for e in errors(archive))


def test_the_alert_log_must_hold_each_delivered_alert_exactly_once(archive) -> None:
    log = archive.alerts_log
    line = log.read_text(encoding="utf-8")
    log.write_text(line + line, encoding="utf-8")
    assert any("is in the log 2 times" in e for e in errors(archive))
    log.write_text("", encoding="utf-8")
    alert_id = json.loads(line)["id"]
    assert any(f"alert {alert_id} is marked delivered to alert-log but is not in the log" in e for e in errors(archive))


def test_leftovers_of_a_crash_are_warnings_and_fail_only_with_strict(archive, stack, capsys) -> None:
    name = archive.sources()[0]["name"]
    archive.write_warc(name, stack.fetcher.fetch(stack.site.url(stack.path_of(name))))  # no index row
    archive.put_text("a text no version names")
    (archive.root / "text" / ".tmp-abc.gz").write_bytes(b"half")
    with open(archive.alerts_log, "ab") as fh:
        fh.write(b'{"id":99,"kind":"cha')  # a write cut short
    report = verify_archive(archive.root)
    assert report.errors == []
    messages = " | ".join(str(w) for w in report.warnings)
    for words in ("no capture row names this WARC file", "no index row names this text",
                  "a temporary file from an interrupted write", "not a whole JSON line"):
        assert words in messages, messages
    assert main(["verify", "--archive", str(archive.root)]) == 0
    assert main(["verify", "--strict", "--archive", str(archive.root)]) == 1
    err = capsys.readouterr().err
    assert err.count("warning: ") == 2 * len(report.warnings)


def test_a_source_name_in_the_index_that_is_not_a_slug_is_an_error(archive) -> None:
    with archive._tx() as db:
        db.execute("INSERT INTO sources (name, url, added_at) VALUES ('../escape', 'http://x.org/', 'now')")
    assert "error: index: source '../escape': the name is not a slug; it must not be used in a path" in errors(archive)


@pytest.mark.sqlite_only  # the bytes of index.sqlite
def test_a_damaged_index_is_an_error_and_verify_exits_1_naming_it(archive, capsys) -> None:
    archive.close()
    path = archive.root / "index.sqlite"
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    data = bytearray(path.read_bytes())
    page = 4096
    for start in range(page, len(data), page):  # scribble over every b-tree page header but the first
        data[start:start + 12] = b"\x0d\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
    path.write_bytes(bytes(data))
    code = main(["verify", "--archive", str(archive.root)])
    out = capsys.readouterr()
    assert code == 1
    assert "error: index.sqlite: " in out.err and "Traceback" not in out.err + out.out, out
