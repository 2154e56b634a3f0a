"""What the runs of a test recorded, and reading it back without the ids a rebuild numbers afresh
(tests/monitor/test_rebuild_index.py, tests/cli/test_rebuild_postgres.py)."""
from __future__ import annotations

from pathlib import Path

from redline.alerts.channels import Sinks
from redline.alerts.sinks import JsonlSink
from redline.monitor.cycle import check_host, finish_cycle
from redline.store.sqlite import Archive

WORDING = ("should play a leading role", "should play a central role")


def _cycle(stack, archive: Archive, run_id: str) -> list:
    sinks = Sinks({"alert-log": JsonlSink(archive.alerts_log, name="alert-log")}, {})
    outcomes = check_host(archive, stack.registry.statements(), fetcher=stack.fetcher, sinks=sinks, run_id=run_id,
                          failure_threshold=3)
    finish_cycle(archive, sinks)
    return outcomes


def _record(archive: Archive) -> dict:
    """What a reader of the archive sees, without the row ids a rebuild numbers afresh."""
    q = archive.query
    return {
        "versions": [tuple(r) for r in q("SELECT source, seq, text_sha256, first_seen, origin, title, chars "
                                         "FROM versions ORDER BY source, seq")],
        "changes": [tuple(r) for r in q(
            "SELECT c.source, f.seq, t.seq, c.kind, c.reasons, c.stats FROM changes c "
            "LEFT JOIN versions f ON f.id = c.from_version JOIN versions t ON t.id = c.to_version "
            "ORDER BY c.source, t.seq")],
        "alerts": [tuple(r) for r in q(
            "SELECT a.id, a.kind, a.source, f.seq, t.seq, a.summary, a.diff_text, a.change_id IS NOT NULL "
            "FROM alerts a LEFT JOIN versions f ON f.id = a.from_version LEFT JOIN versions t ON t.id = a.to_version "
            "ORDER BY a.id")],
        "sources": [tuple(r) for r in q("SELECT name, state, etag, last_modified, last_raw_sha256, failures "
                                        "FROM sources ORDER BY name")],
        "captures": [tuple(r) for r in q(
            "SELECT source, fetched_at, status, not_modified, warc_path, warc_offset, warc_record_id, revisit, "
            "raw_sha256, text_sha256, error FROM captures ORDER BY source, fetched_at, warc_path, warc_offset")],
    }


def _history(stack) -> tuple[Path, str, str]:
    """Four runs: unchanged, a wording change, a statement removed, then unchanged (304s)."""
    archive = stack.archive
    changed = next(n for n, t in stack.seeds.items() if WORDING[0] in t)
    removed = next(n for n in stack.seeds if n != changed)
    _cycle(stack, archive, "one")
    stack.serve(changed, stack.seeds[changed].replace(*WORDING))
    _cycle(stack, archive, "two")
    stack.site.remove(stack.path_of(removed))
    _cycle(stack, archive, "three")
    _cycle(stack, archive, "four")
    return archive.root, changed, removed
