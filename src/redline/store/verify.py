"""Check a whole archive against itself (reads only; `redline verify`).

What is checked:

- index.sqlite: SQLite's integrity_check and foreign_key_check (an index in PostgreSQL,
  $REDLINE_STORE: the server enforces its references itself); source names are
  slugs; each source's versions are numbered 1, 2, 3 ... without a gap; every alert's
  versions exist; delivery states are known ones.
- text/ (in the archive's blob store: its folder, or S3): every blob decompresses and its sha256 is its name; every text an index row
  names exists.
- warc/: every file reads to its end; every record's WARC-Block-Digest and
  WARC-Payload-Digest are right (warcio's checker); every capture row points at its
  file, at a response or revisit record with its record id, and a response record's
  body has the capture's sha256; in a batch file of unchanged checks, the record is
  exactly as long as the row says (exports copy that many bytes).
- alerts.jsonl and operator-alerts.jsonl: no alert twice; every alert the index
  marks delivered to the log is in it.

An **error** is something recorded that is missing, damaged or inconsistent. A
**warning** is a harmless leftover of a crash: a WARC or text file no index row names
(a check killed between writing its files and committing its index rows; the next check
of that source fetches again), a temporary file from an interrupted atomic write, a
partial last line in a log, a delivery left 'sending' (settled by the next delivery).
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import sqlite3
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from redline.core.errors import ArchiveError
from redline.store.blobs import BlobStore
from redline.store.blobconfig import open_blobs
from redline.store.sqlite import Archive, is_batch_file
from redline.store.sqlite.archive import store_url
from redline.store.warcscan import warc_keys
from redline.registry.load import NAME_RE

DELIVERY_STATES = frozenset({"pending", "sending", "failed", "delivered"})
LOGS = (("alert-log", "alerts.jsonl"), ("operator-log", "operator-alerts.jsonl"))  # runtime.make_sinks
_READ = 1 << 20


@dataclass(frozen=True)
class Problem:
    severity: str   # "error" | "warning"
    where: str      # a path under the archive, or "index: <table> <key>"
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.where}: {self.message}"


@dataclass
class Report:
    root: Path
    problems: list[Problem] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, where: str, message: str) -> None:
        self.problems.append(Problem("error", where, message))

    def warning(self, where: str, message: str) -> None:
        self.problems.append(Problem("warning", where, message))

    def summary(self) -> str:
        c = self.counts
        return (f"checked {c['sources']} sources, {c['versions']} versions, {c['captures']} captures, "
                f"{c['alerts']} alerts, {c['text_blobs']} text blobs, {c['warc_files']} WARC files "
                f"({c['warc_records']} records): {len(self.errors)} error(s), {len(self.warnings)} warning(s)")


def verify_archive(root: Path | str, *, blobs: BlobStore | None = None, store: str | None = None) -> Report:
    """Every problem found in the archive at root (see the module docstring); its texts and WARC
    files read from `blobs` (default: $REDLINE_BLOBS, else the folder itself), its index in `store`
    (as Archive takes it: default the settings, "" the folder's index.sqlite)."""
    root = Path(root)
    files = blobs if blobs is not None else open_blobs(root)
    report = Report(root)
    url = store_url(root) if store is None else store
    if url:  # the index in PostgreSQL: the server keeps it whole and its references sound
        try:
            with Archive(root, store=url, blobs=files) as archive:
                rows = _index_rows(archive.query)
        except ArchiveError as exc:
            report.error("index", f"cannot be read: {exc}")
            return report
        return _check_files(root, files, report, rows)
    index = root / "index.sqlite"
    if not index.is_file():
        report.error("index.sqlite", "missing: this is not a redline archive, or its index was deleted (then "
                                     f"rebuild it from the WARC files with `redline rebuild-index --archive {root}`)")
        return report
    try:
        db = sqlite3.connect(index, timeout=60)
        db.row_factory = sqlite3.Row
        try:
            _check_index(db, report)
            rows = _index_rows(lambda sql: db.execute(sql).fetchall())
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        report.error("index.sqlite", f"cannot be read ({exc}): the index is damaged; rebuild it from the WARC "
                                     f"files with `redline rebuild-index --archive {root}`")
        return report
    return _check_files(root, files, report, rows)


def _check_files(root: Path, store: BlobStore, report: Report, rows: "_Rows") -> Report:
    good_texts = _check_text_blobs(store, report, rows)
    records = _check_warc_files(store, report, rows)
    _check_references(report, rows, good_texts, records)
    _check_logs(root, report, rows)
    _check_temp_files(root, report)
    return report


# -- the index ------------------------------------------------------------------------------------------------

@dataclass
class _Rows:
    sources: list[sqlite3.Row]
    versions: list[sqlite3.Row]
    captures: list[sqlite3.Row]
    alerts: list[sqlite3.Row]
    deliveries: list[sqlite3.Row]


def _index_rows(q: Callable[[str], list[sqlite3.Row]]) -> _Rows:
    return _Rows(
        sources=q("SELECT name FROM sources ORDER BY name"),
        versions=q("SELECT id, source, seq, text_sha256 FROM versions ORDER BY source, seq"),
        captures=q("SELECT id, source, warc_path, warc_offset, warc_length, warc_record_id, revisit, raw_sha256, "
                   "text_sha256 "
                   "FROM captures ORDER BY id"),
        alerts=q("SELECT id, source, from_version, to_version FROM alerts ORDER BY id"),
        deliveries=q("SELECT alert_id, sink, status FROM deliveries ORDER BY alert_id, sink"))


def _check_index(db: sqlite3.Connection, report: Report) -> None:
    result = [r[0] for r in db.execute("PRAGMA integrity_check").fetchall()]
    if result != ["ok"]:
        for line in result[:20]:
            report.error("index.sqlite", f"integrity check: {line}")
    for table, rowid, parent, _ in db.execute("PRAGMA foreign_key_check").fetchall()[:50]:
        report.error(f"index: {table} row {rowid}", f"refers to a missing row of {parent}")


# -- text blobs ------------------------------------------------------------------------------------------------

def _check_text_blobs(store: BlobStore, report: Report, rows: _Rows) -> set[str]:
    """Check every text blob; return the digests of the good ones."""
    good: set[str] = set()
    referenced = {r["text_sha256"] for r in rows.versions} | {r["text_sha256"] for r in rows.captures}
    for where in store.list("text/"):
        _, folder, name = (where.split("/") + ["", ""])[:3]
        if where.count("/") != 2 or not name.endswith(".txt.gz") or name.startswith(".tmp-"):
            continue
        report.counts["text_blobs"] += 1
        digest = folder + name[: -len(".txt.gz")]
        try:
            data = gzip.decompress(store.get(where))
        except (ArchiveError, OSError, EOFError, zlib.error) as exc:
            report.error(where, f"does not decompress: {exc}")
            continue
        actual = hashlib.sha256(data).hexdigest()
        if actual != digest:
            report.error(where, f"its text has sha256 {actual}, not the {digest} its name says")
            continue
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            report.error(where, f"is not UTF-8 text: {exc}")
            continue
        good.add(digest)
        if digest not in referenced:
            report.warning(where, "no index row names this text (left by a check that stopped before its commit)")
    return good


# -- WARC files -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Record:
    type: str
    record_id: str
    payload_sha256: str | None   # of a response record's HTTP body
    end: int = 0                 # where the next record (or the file) starts


def _read_all(stream) -> bytes:  # type: ignore[no-untyped-def]
    chunks = []
    while True:
        piece = stream.read(_READ)
        if not piece:
            return b"".join(chunks)
        chunks.append(piece)


def _check_warc_files(store: BlobStore, report: Report, rows: _Rows) -> dict[str, dict[int, _Record]]:
    """Read every WARC file with digest checks; return path -> offset -> record."""
    named = {r["warc_path"] for r in rows.captures if r["warc_path"]}
    found: dict[str, dict[int, _Record]] = {}
    for where in warc_keys(store):
        report.counts["warc_files"] += 1
        records: dict[int, _Record] = {}
        data = b""
        try:
            data = store.get(where)
            gzip.decompress(data)  # every member whole (warcio stops quietly at some damage)
            with io.BytesIO(data) as fh:
                it = ArchiveIterator(fh, check_digests=True)
                for record in it:
                    body = _read_all(record.content_stream())
                    offset = it.get_record_offset()
                    report.counts["warc_records"] += 1
                    kind = record.rec_headers.get_header("WARC-Type") or "?"
                    rid = record.rec_headers.get_header("WARC-Record-ID") or ""
                    if record.digest_checker.passed is False:
                        for problem in record.digest_checker.problems:
                            report.error(f"{where} @{offset}", f"{kind} record {rid}: {problem}")
                    records[offset] = _Record(kind, rid, hashlib.sha256(body).hexdigest() if kind == "response" else None)
        except (ArchiveLoadFailed, ArchiveError, OSError, EOFError, zlib.error, ValueError) as exc:
            report.error(where, f"cannot be read to its end: {' '.join(str(exc).split()) or type(exc).__name__}")
        else:
            if not records:
                report.error(where, "holds no WARC record")
            ends = [*sorted(records)[1:], len(data)]
            records = {o: replace(r, end=e) for (o, r), e in zip(sorted(records.items()), ends)}
        found[where] = records
        if where not in named:
            report.warning(where, "no capture row names this WARC file (left by a check that stopped before its commit)")
    return found


# -- references between the index and the files ----------------------------------------------------------

def _check_references(report: Report, rows: _Rows, blobs: set[str], records: dict[str, dict[int, _Record]]) -> None:
    c = report.counts
    c["sources"], c["versions"], c["captures"], c["alerts"] = (
        len(rows.sources), len(rows.versions), len(rows.captures), len(rows.alerts))
    for r in rows.sources:
        if not NAME_RE.fullmatch(r["name"] or ""):
            report.error(f"index: source {r['name']!r}", "the name is not a slug; it must not be used in a path")
    seqs: dict[str, list[int]] = defaultdict(list)
    for v in rows.versions:
        seqs[v["source"]].append(v["seq"])
        if v["text_sha256"] not in blobs:
            report.error(f"index: version {v['id']}", f"of {v['source']} (#{v['seq']}): its text "
                         f"{v['text_sha256']} is missing or damaged")
    for source, numbers in seqs.items():
        if numbers != list(range(1, len(numbers) + 1)):
            report.error(f"index: versions of {source}", f"numbered {numbers}, not 1..{len(numbers)}")
    version_ids = {v["id"] for v in rows.versions}
    for cap in rows.captures:
        where = f"index: capture {cap['id']}"
        if cap["text_sha256"] and cap["text_sha256"] not in blobs:
            report.error(where, f"of {cap['source']}: its text {cap['text_sha256']} is missing or damaged")
        if not cap["warc_path"]:
            continue
        file_records = records.get(cap["warc_path"])
        if file_records is None:
            report.error(where, f"of {cap['source']}: its WARC file {cap['warc_path']} is missing")
            continue
        record = file_records.get(cap["warc_offset"])
        if record is None or record.type not in ("response", "revisit"):
            report.error(where, f"of {cap['source']}: no response or revisit record at offset {cap['warc_offset']} "
                         f"of {cap['warc_path']}")
            continue
        if cap["warc_record_id"] and record.record_id != cap["warc_record_id"]:
            report.error(where, f"the record at offset {cap['warc_offset']} of {cap['warc_path']} is "
                         f"{record.record_id}, not {cap['warc_record_id']}")
        if is_batch_file(cap["warc_path"]) and cap["warc_offset"] + (cap["warc_length"] or 0) != record.end:
            report.error(where, f"its record at offset {cap['warc_offset']} of {cap['warc_path']} is "
                         f"{record.end - cap['warc_offset']} bytes long, not the {cap['warc_length']} recorded")
        if record.type == "response" and cap["raw_sha256"] and record.payload_sha256 != cap["raw_sha256"]:
            report.error(where, f"the body in {cap['warc_path']} is not the one captured (sha256 differs)")
    for a in rows.alerts:
        for key in ("from_version", "to_version"):
            if a[key] is not None and a[key] not in version_ids:
                report.error(f"index: alert {a['id']}", f"its {key.replace('_', ' ')} {a[key]} does not exist")
    delivered_to: dict[int, list[str]] = defaultdict(list)
    for d in rows.deliveries:
        delivered_to[d["alert_id"]].append(d["sink"])
        if d["status"] not in DELIVERY_STATES:
            report.error(f"index: delivery of alert {d['alert_id']} to {d['sink']}", f"unknown status {d['status']!r}")
        elif d["status"] == "sending":
            report.warning(f"index: delivery of alert {d['alert_id']} to {d['sink']}",
                           "left 'sending' by a run that stopped; the next delivery settles it")
    for a in rows.alerts:
        if a["id"] not in delivered_to:
            report.warning(f"index: alert {a['id']}", "was recorded with no channel to deliver it to")


# -- the alert logs ----------------------------------------------------------------------------------------

def _check_logs(root: Path, report: Report, rows: _Rows) -> None:
    alert_ids = {a["id"] for a in rows.alerts}
    for sink, filename in LOGS:
        path = root / filename
        marked = {d["alert_id"] for d in rows.deliveries if d["sink"] == sink and d["status"] == "delivered"}
        if not path.exists():
            if marked:
                report.error(filename, f"missing, but {len(marked)} alert(s) are marked delivered to it")
            continue
        seen: Counter = Counter()
        with open(path, "rb") as fh:
            for number, line in enumerate(fh, start=1):
                try:
                    alert_id = json.loads(line)["id"]
                except (ValueError, KeyError, TypeError):
                    report.warning(f"{filename}:{number}", "not a whole JSON line (a write cut short by a crash); "
                                   "readers skip it")
                    continue
                seen[alert_id] += 1
        for alert_id, times in sorted(seen.items()):
            if times > 1:
                report.error(filename, f"alert {alert_id} is in the log {times} times")
            if alert_id not in alert_ids:
                report.error(filename, f"alert {alert_id} is in the log but not in the index")
        for alert_id in sorted(marked - set(seen)):
            report.error(filename, f"alert {alert_id} is marked delivered to {sink} but is not in the log")


def _check_temp_files(root: Path, report: Report) -> None:
    for path in sorted(root.rglob(".tmp-*")):
        if ".prefect" in path.relative_to(root).parts:
            continue
        report.warning(str(path.relative_to(root)), "a temporary file from an interrupted write (safe to delete)")
