"""The monitor with its archive's blobs on a real S3 endpoint (SeaweedFS, the session's `seaweed`
fixture): captures and texts land in the bucket and nothing of them in the folder; the raw body,
the capture's headers, verify, export and the rebuild-index scan read them back from there; the
Atom feeds are written there too."""
from __future__ import annotations

import gzip
import hashlib

import feedparser

from redline.alerts.feeds import refresh_feeds
from redline.monitor.check import check_batch
from redline.store import readmodel as views
from redline.store.export import export_warc
from redline.store.verify import verify_archive
from redline.store.warcscan import scan_warcs

WORDING = ("should play a leading role", "should play a central role")


def cycle(stack, run_id: str):
    return check_batch(stack.registry.statements(), archive=stack.archive, fetcher=stack.fetcher, run_id=run_id)


def test_a_monitor_run_on_s3_writes_captures_and_texts_to_the_bucket_and_reads_them_back(s3_stack, tmp_path) -> None:
    stack, blobs = s3_stack, s3_stack.archive.blobs
    cycle(stack, "1")
    changed = next(n for n, t in stack.seeds.items() if WORDING[0] in t)
    stack.serve(changed, stack.seeds[changed].replace(*WORDING))
    outcomes = {o.source: o for o in cycle(stack, "2")}
    assert outcomes[changed].alert_id is not None and all(o.error is None for o in outcomes.values())

    root = stack.archive.root
    assert not (root / "warc").exists() and not (root / "text").exists()   # the bytes are in the bucket only
    captures = stack.archive.query("SELECT * FROM captures WHERE warc_path IS NOT NULL ORDER BY id")
    assert {c["warc_path"] for c in captures} <= set(blobs.list("warc/")) and captures
    for version in stack.archive.versions(changed):
        assert blobs.exists(f"text/{version.text_sha256[:2]}/{version.text_sha256[2:]}.txt.gz")
    new_text = stack.archive.get_text(stack.archive.latest_version(changed).text_sha256)
    assert WORDING[1] in new_text

    own = next(c for c in captures if c["source"] == changed and c["run_id"] == "2")
    assert hashlib.sha256(stack.archive.raw_body(own["id"])).hexdigest() == own["raw_sha256"]
    view = views.capture_view(stack.archive, changed, own["id"])
    assert view.http_status_line and view.http_status_line.endswith("200 OK")

    report = verify_archive(root, blobs=blobs)
    assert report.errors == [] and report.counts["warc_files"] == len(blobs.list("warc/"))
    assert report.counts["text_blobs"] == len(blobs.list("text/"))
    exported = export_warc(stack.archive, changed, tmp_path / "out.warc.gz")
    assert exported.items == len({c["warc_path"] for c in captures if c["source"] == changed})
    assert gzip.decompress(exported.path.read_bytes()).count(b"WARC-Type: response") >= 2
    assert len(scan_warcs(blobs).captures) == len(captures)


def test_verify_on_s3_finds_a_damaged_text_in_the_bucket(s3_stack) -> None:
    stack, blobs = s3_stack, s3_stack.archive.blobs
    cycle(stack, "1")
    digest = stack.archive.versions(next(iter(stack.seeds)))[0].text_sha256
    key = f"text/{digest[:2]}/{digest[2:]}.txt.gz"
    blobs.put(key, gzip.compress(b"not the text"))
    errors = verify_archive(stack.archive.root, blobs=blobs).errors
    assert any(e.where == key and "sha256" in e.message for e in errors)


def test_the_atom_feeds_are_written_to_the_bucket_and_rewritten_only_when_they_change(s3_stack) -> None:
    stack, blobs = s3_stack, s3_stack.archive.blobs
    cycle(stack, "1")
    changed = next(n for n, t in stack.seeds.items() if WORDING[0] in t)
    stack.serve(changed, stack.seeds[changed].replace(*WORDING))
    cycle(stack, "2")
    written = {str(p) for p in refresh_feeds(stack.archive)}
    assert written == {"feeds/alerts.xml", f"feeds/{changed}.xml"}
    assert not (stack.archive.root / "feeds").exists()   # nothing of them in the folder
    feed = feedparser.parse(blobs.get(f"feeds/{changed}.xml"))
    assert len(feed.entries) == 1 and changed in {t.term for t in feed.entries[0].tags}
    assert refresh_feeds(stack.archive) == []   # its state in the bucket too: nothing new, nothing written
