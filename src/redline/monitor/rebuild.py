"""Rebuild a lost or damaged index from the archive's WARC files (`redline rebuild-index`).

The WARC files are the record of truth, as in web archives: every capture is there,
raw, with what redline learned when it made it (redirects, charset, errors: the
metadata record). The rebuild replays them, oldest first, through the same check a
run makes (redline.monitor.check), with a "fetcher" that hands back each recorded
response instead of asking the network and an archive that points each capture row at
its record instead of writing a new file. So captures, versions, changes, a source's
removed / active state and its validators come back as a run would have recorded them,
with the captures' own times.

Alerts are not made again: they come back from the alert logs (alerts.jsonl,
operator-alerts.jsonl) under their own ids, linked to the rebuilt versions by their
numbers and marked delivered (they were), so no alert id is ever used twice and no one
is alerted again. What the WARC files do not hold is not rebuilt: checks that got no
response (network errors), operator health, discovery's memory of listing items, and
alerts that had not reached a log yet. Sources come from the sources file (with their
baselines); a discovered source, known only to the lost index, comes back from its
files' names and its new-statement alert.

Order: by WARC-Date, then by the fetch's start to the microsecond, which a capture's own
file name carries since this command exists; in files written before, two captures of one
source within the same second may replay in either order.

The new index is built beside the old one and moved into place only when complete; a
damaged or replaced index is kept as index.sqlite.old-TIME. On PostgreSQL the index is
rebuilt in place, alone (redline.monitor.rebuildshared): built in an SQLite file from the
blob store (S3 or the folder), then its rows replace the shared index's in one transaction.
"""
from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from redline.core.errors import ArchiveError, RedlineError
from redline.core.model import FetchResult, Source
from redline.ingest.charset import decode, is_probably_text
from redline.monitor.check import check_source
from redline.monitor.select import prepare_archive
from redline.registry.load import Registry
from redline.store.sqlite import Archive
from redline.store.sqlite.archive import INDEX_NAME, index_reads_fine, store_url
from redline.store.verify import LOGS
from redline.store.blobconfig import open_blobs
from redline.store.warcscan import ArchivedCapture, Scan, SourceMap, scan_warcs

REBUILD_NAME = "index.rebuild.sqlite"
RUN_ID = "rebuild-index"


@dataclass
class RebuildReport:
    root: Path
    sources: int = 0
    captures: int = 0
    versions: int = 0
    changes: int = 0
    alerts: int = 0
    kept_as: str | None = None                            # where the old index went
    where: str | None = None                              # the index rebuilt, when not root/index.sqlite
    skipped: list[str] = field(default_factory=list)      # one line each: a record not replayed, and why
    unreadable: list[str] = field(default_factory=list)   # WARC files that could not be read

    def summary(self) -> str:
        return (f"rebuilt {self.where or self.root / INDEX_NAME}: {self.sources} sources, {self.captures} captures, "
                f"{self.versions} versions, {self.changes} changes, {self.alerts} alerts from the logs"
                + (f"; {len(self.skipped)} record(s) skipped" if self.skipped else "")
                + (f"; {len(self.unreadable)} unreadable WARC file(s)" if self.unreadable else "")
                + (f"; the old index is kept as {self.kept_as}" if self.kept_as else ""))


class _Replay:
    """A Fetcher that answers with the recorded response (check_source asks it once)."""

    def __init__(self, result: FetchResult) -> None:
        self._result = result

    def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        return self._result


class _ReplayArchive(Archive):
    """The archive a replayed check writes to: its capture is the recorded one (no new file),
    it is recorded at the capture's time, and it makes no alert (alerts come from the logs)."""

    current: ArchivedCapture | None = None

    def check_alert_log(self) -> None:
        """Its alerts come from the logs, at the end."""

    def write_warc(self, source, result, *, revisit_of=None, metadata=None):  # type: ignore[no-untyped-def]
        assert self.current is not None
        return self.current.location

    def record_check(self, source, result, **kw):  # type: ignore[no-untyped-def]
        kw.update(alert=None, sinks=(), now=result.fetched_at)
        return super().record_check(source, result, **kw)


def recorded_result(capture: ArchivedCapture, body: bytes, *, asked: str) -> FetchResult:
    """The FetchResult a check got when it made this capture, from its WARC records."""
    meta = capture.meta
    redirects = tuple((int(s), u) for s, u in meta.get("redirects", ()))
    error = meta.get("error")
    text = encoding = encoding_source = repaired = None
    replaced = 0
    content_type = capture.header("content-type")
    if capture.status == 200 and not error and is_probably_text(content_type, body):
        d = decode(body, content_type)
        text, encoding, encoding_source, replaced, repaired = d.text, d.encoding, d.source, d.replaced, d.repaired
    return FetchResult(
        url=asked if redirects else capture.uri, final_url=capture.uri, status=capture.status,
        fetched_at=capture.date, response_headers=capture.headers, body=body, text=text,
        encoding=meta.get("encoding", encoding), encoding_source=meta.get("encoding_source", encoding_source),
        undecodable_bytes=meta.get("undecodable_bytes", replaced), repaired=repaired, redirects=redirects,
        not_modified=capture.status == 304, error=error, elapsed=meta.get("elapsed", 0.0),
        http_version=capture.http_version, attempts=meta.get("attempts", 1))


def _logged(root: Path) -> list[tuple[dict, str]]:
    """(record, sink) for every whole line of the alert logs, oldest id first."""
    out = []
    for sink, name in LOGS:
        path = root / name
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if path.is_file() else ():
            try:
                record = json.loads(line)
            except ValueError:
                continue  # a partial last line (a run stopped while writing it)
            if isinstance(record, dict) and isinstance(record.get("id"), int) and record.get("source"):
                out.append((record, sink))
    return sorted(out, key=lambda pair: pair[0]["id"])


def _discovered(names: set[str], known: set[str], scan: Scan, sources: SourceMap,
                logged: list[tuple[dict, str]]) -> list[Source]:
    """Sources named by WARC files but not by the sources file: discovered ones (the lost index
    was their only list), with the title and address their new-statement alert gave."""
    told = {r["source"]: r for r, _ in logged if r.get("kind") == "new_statement"}
    first = {}
    for c in scan.captures:
        if c.slug and c.slug not in first:
            first[c.slug] = c
    out = []
    for name in sorted(names - known):
        record, capture = told.get(name, {}), first.get(name)
        url = record.get("url") or (capture.uri if capture else "")
        if url:
            out.append(Source(name=name, url=url, title=record.get("title", ""), origin="discovered",
                              tags=("discovered",)))
    return out


def _move(path: Path, to: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{path}{suffix}").exists():
            os.replace(f"{path}{suffix}", f"{to}{suffix}")


def rebuild_index(root: Path | str, registry: Registry | None, *, force: bool = False,
                  progress: Callable[[int, int], None] | None = None) -> RebuildReport:
    """Rebuild root/index.sqlite from root/warc and the alert logs (see the module docstring); on
    PostgreSQL the shared index, in place (redline.monitor.rebuildshared).

    Refuses, in one line, to replace an index that reads fine unless `force`."""
    root = Path(root)
    url = store_url(root)
    if url:
        from redline.monitor.rebuildshared import rebuild_shared

        return rebuild_shared(root, url, lambda: build_index(root, registry, progress), building=REBUILD_NAME,
                              force=force)
    index = root / INDEX_NAME
    if index.exists() and index_reads_fine(index) and not force:
        raise ArchiveError(f"the archive index {index} reads fine; nothing was changed (pass --force to rebuild it "
                           "from the WARC files anyway: the current one is kept beside it)")
    report = build_index(root, registry, progress)
    if index.exists() or Path(f"{index}-wal").exists():
        kept = root / f"{INDEX_NAME}.old-{datetime.now(timezone.utc):%Y%m%d%H%M%S}"
        _move(index, kept)
        report.kept_as = kept.name
    _move(root / REBUILD_NAME, index)
    return report


def build_index(root: Path, registry: Registry | None,
                progress: Callable[[int, int], None] | None = None) -> RebuildReport:
    """A new SQLite index, root/REBUILD_NAME, from the WARC files in the archive's blob store
    and the alert logs in its folder (moved into place by the caller)."""
    report = RebuildReport(root)
    building = root / REBUILD_NAME
    for suffix in ("", "-wal", "-shm"):
        Path(f"{building}{suffix}").unlink(missing_ok=True)
    blobs = open_blobs(root)
    scan = scan_warcs(blobs)
    report.unreadable = scan.unreadable
    logged = _logged(root)
    listed = list(registry.sources) if registry else []
    sources = SourceMap([s.name for s in listed], [(s.name, s.url) for s in listed])
    sources.learn(scan.captures)
    by_name = {s.name: s for s in listed}
    by_name.update({s.name: s for s in _discovered(sources.names, set(by_name), scan, sources, logged)})

    # nothing reads it until it is moved in place; always SQLite (on PostgreSQL its rows are copied in)
    archive = _ReplayArchive(root, index=REBUILD_NAME, durable=False, blobs=blobs, store="")
    try:
        if registry is not None:
            prepare_archive(archive, registry)
        archive.sync_sources([s for s in by_name.values() if s.origin == "discovered"])
        total = len(scan.captures)
        for done, capture in enumerate(scan.captures, 1):
            _replay(archive, scan, sources, by_name, capture, report)
            if progress:
                progress(done, total)
        for record, sink in logged:
            report.alerts += archive.import_logged_alert(record, sink=sink)
        counts = archive.counts()
        report.sources, report.versions = counts["sources"], counts["versions"]
        report.changes = counts["changes"]
    finally:
        archive.close()
    return report


def _replay(archive: _ReplayArchive, scan: Scan, sources: SourceMap, by_name: dict[str, Source],
            capture: ArchivedCapture, report: RebuildReport) -> None:
    name = sources.source_of(capture)
    source = by_name.get(name or "")
    where = f"{capture.path} @{capture.offset}"
    if source is None:
        report.skipped.append(f"{where}: no source is known at {capture.uri}")
        return
    try:
        body = scan.body(archive.blobs, capture)
    except ArchiveError as exc:
        report.skipped.append(f"{where}: {exc}")
        return
    result = recorded_result(capture, body, asked=source.url)
    archive.current = capture
    try:
        if source.kind == "listing":  # a listing's read is a capture only (discovery reads its items)
            archive.record_check(source.name, result, run_id=RUN_ID, warc=capture.location,
                                 raw_sha256=hashlib.sha256(body).hexdigest() if body else None)
        else:
            check_source(source, archive=archive, fetcher=_Replay(result), run_id=RUN_ID)  # type: ignore[arg-type]
    except RedlineError as exc:
        report.skipped.append(f"{where}: {exc}")
        return
    report.captures += 1
