"""The WARC files are the record of truth (issue 17, items 13, 14, 16): a lost index is refused,
not started afresh; `rebuild-index` gives back what the runs recorded; alert ids never repeat;
a lost text blob is made again from its raw capture."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from redline.core.errors import ArchiveError
from redline.monitor.rebuild import rebuild_index
from redline.monitor.select import prepare_archive
from redline.store.sqlite import Archive
from redline.store.verify import verify_archive
from support.rebuilt import _cycle, _history, _record

pytestmark = pytest.mark.sqlite_only  # rebuild-index rebuilds index.sqlite

def _lose_index(root: Path) -> None:
    for path in root.glob("index.sqlite*"):
        path.unlink()


def test_rebuild_index_gives_back_what_the_runs_recorded(stack) -> None:
    root, changed, removed = _history(stack)
    before = _record(stack.archive)
    assert [a[1] for a in before["alerts"]] == ["change", "removed"]
    stack.archive.close()
    _lose_index(root)

    report = rebuild_index(root, stack.registry)

    with Archive(root) as rebuilt:
        after = _record(rebuilt)
    assert after == before
    assert report.alerts == 2 and report.captures == len(before["captures"]) and not report.skipped
    assert verify_archive(root).ok, [str(p) for p in verify_archive(root).problems]


def test_a_run_into_an_archive_that_lost_its_index_is_refused_in_one_line(stack) -> None:
    root, *_ = _history(stack)
    stack.archive.close()
    _lose_index(root)
    with pytest.raises(ArchiveError) as refused:
        Archive(root)
    line = str(refused.value)
    assert "\n" not in line and "no index.sqlite" in line and "redline rebuild-index" in line
    assert not (root / "index.sqlite").exists()   # nothing was started afresh


def test_alert_ids_go_on_after_a_rebuild_and_never_repeat_in_the_log_or_the_feed(stack) -> None:
    root, changed, _ = _history(stack)
    stack.archive.close()
    _lose_index(root)
    rebuild_index(root, stack.registry)
    with Archive(root) as archive:
        stack.serve(changed, stack.seeds[changed])          # the wording goes back: a new change alert
        outcomes = _cycle(stack, archive, "five")
    new = next(o.alert_id for o in outcomes if o.source == changed)
    ids = [json.loads(line)["id"] for line in (root / "alerts.jsonl").read_text().splitlines()]
    assert new == 3 and ids == [1, 2, 3]
    feed = (root / "feeds" / "alerts.xml").read_text()
    assert all(feed.count(f"urn:redline:alert:{i}<") == 1 for i in ids)


def test_an_index_older_than_its_alert_log_is_refused_before_it_reuses_an_id(stack) -> None:
    root, changed, _ = _history(stack)
    stack.archive.close()
    backup = {p.name: p.read_bytes() for p in root.glob("index.sqlite*")}
    with Archive(root) as archive:   # a later alert reaches the log ...
        stack.serve(changed, stack.seeds[changed])
        assert any(o.alert_id == 3 for o in _cycle(stack, archive, "five"))
    for path in root.glob("index.sqlite*"):   # ... and the index is restored from the backup before it
        path.unlink()
    for name, data in backup.items():
        (root / name).write_bytes(data)
    with Archive(root) as archive, pytest.raises(ArchiveError, match="older than its alert log"):
        prepare_archive(archive, stack.registry)   # the first step of every cycle


def test_a_damaged_index_is_kept_aside_and_rebuilt(stack) -> None:
    root, *_ = _history(stack)
    before = _record(stack.archive)
    stack.archive.close()
    _lose_index(root)
    (root / "index.sqlite").write_bytes(b"this is not a database" * 100)
    with pytest.raises(ArchiveError, match="damaged.*rebuild-index"):
        Archive(root)
    assert "rebuild-index" in str(verify_archive(root).errors[0])
    report = rebuild_index(root, stack.registry)
    assert report.kept_as and (root / report.kept_as).read_bytes().startswith(b"this is not")
    with Archive(root) as rebuilt:
        assert _record(rebuilt) == before


def test_rebuild_refuses_to_replace_an_index_that_reads_fine(stack) -> None:
    root, *_ = _history(stack)
    with pytest.raises(ArchiveError, match="reads fine"):
        rebuild_index(root, stack.registry)


def test_a_missing_text_blob_is_made_again_from_its_raw_capture_with_one_warning(stack) -> None:
    root, changed, _ = _history(stack)
    latest = stack.archive.latest_version(changed)
    stack.archive.text_path(latest.text_sha256).unlink()
    outcomes = {o.source: o for o in _cycle(stack, stack.archive, "five")}
    assert "made again from its raw capture" in outcomes[changed].extra["warning"]
    assert outcomes[changed].error is None
    assert stack.archive.get_text(latest.text_sha256)        # stored back, under its digest
    assert verify_archive(root).ok


def test_a_missing_text_blob_that_cannot_be_made_again_restarts_the_comparison(stack) -> None:
    root, changed, _ = _history(stack)
    latest = stack.archive.latest_version(changed)
    stack.archive.text_path(latest.text_sha256).unlink()
    for path in (root / "warc").rglob(f"*-{changed}-*.warc.gz"):   # its raw captures are gone too
        path.unlink()
    stack.serve(changed, stack.seeds[changed].replace("cyberspace", "cyber space", 1))
    outcome = next(o for o in _cycle(stack, stack.archive, "five") if o.source == changed)
    assert "does not give it again" in outcome.extra["warning"]
    assert outcome.error is None and outcome.alert_id is None       # never an alert on a guess
    assert stack.archive.latest_version(changed).seq == latest.seq + 1
    outcome = next(o for o in _cycle(stack, stack.archive, "six") if o.source == changed)
    assert "warning" not in outcome.extra and outcome.error is None  # not stuck: the next run is normal
