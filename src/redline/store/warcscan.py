"""Read the archive's WARC files back as captures: the record of truth the index is rebuilt from.

Each `response` or `revisit` record under warc/ (in the archive's blob store: its folder, or S3)
is one capture. What it says of itself:
its target URI and date (WARC headers), the HTTP status and headers, the body (a revisit
names the record holding it, `WARC-Refers-To`), and, in the `metadata` record written
beside it (redline.store.warc), the redirects, charset, fetch error and attempts.
Whose capture it is: a capture with something new has its own file, named after its
source (`TIME-SOURCE-XXXXXXXX.warc.gz`); an unchanged check shares a batch file and is
told by its address (`SourceMap`).

Pure reading: nothing here writes. Bodies are read when asked for (`body`), so scanning a
large archive holds only the records' headers.
"""
from __future__ import annotations

import gzip
import io
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from redline.core.errors import ArchiveError
from redline.core.urls import url_key
from redline.store.blobs import BlobStore, FolderBlobs
from redline.store.sqlite.rows import is_batch_file
from redline.store.warc import WarcLocation, read_payload

_FILE_NAME = re.compile(r"^(?P<time>\d{14}(?:\d{6})?)-(?P<slug>[a-z0-9-]+)-[0-9a-f]{8}\.warc\.gz$")


@dataclass(frozen=True)
class ArchivedCapture:
    """One response or revisit record, with what its metadata record says."""

    path: str                    # relative to the archive root
    offset: int
    length: int
    record_id: str
    revisit: bool
    refers_to: str | None        # a revisit: the record holding its body
    uri: str                     # WARC-Target-URI (the address the page was read at)
    date: datetime               # WARC-Date (UTC)
    status: int
    http_version: str
    headers: tuple[tuple[str, str], ...]
    slug: str | None             # the source named by the file, None in a batch file
    started: datetime | None = None  # the fetch's start, to the microsecond, from the file's name
    meta: dict = field(default_factory=dict)   # redirects, encoding, error, attempts, elapsed, ...

    @property
    def location(self) -> WarcLocation:
        return WarcLocation(self.path, self.offset, self.length, self.record_id, self.revisit)

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)


@dataclass
class Scan:
    """Every capture found, in the order they were made, and the files that could not be read."""

    captures: list[ArchivedCapture] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)   # one line each: the file and why
    by_record: dict[str, ArchivedCapture] = field(default_factory=dict)

    def body(self, blobs: BlobStore | Path, capture: ArchivedCapture) -> bytes:
        """The HTTP body of a capture (a revisit's from the record it refers to; b"" when that is gone)."""
        if capture.revisit:
            original = self.by_record.get(capture.refers_to or "")
            return b"" if original is None or original.revisit else self.body(blobs, original)
        return read_payload(as_blobs(blobs), capture.path, capture.offset, capture.length)


def parse_warc_fields(payload: bytes) -> dict:
    """The `name: value` lines of a metadata record (redline.store.warc.warc_fields), back as a
    dict: `redirect` lines as a list of (status, URL), numbers as numbers."""
    out: dict = {"redirects": []}
    for line in payload.decode("utf-8", "replace").splitlines():
        name, sep, value = line.partition(":")
        if not sep:
            continue
        name, value = name.strip(), value.strip()
        if name == "redirect":
            status, _, url = value.partition(" ")
            if status.isdigit() and url:
                out["redirects"].append((int(status), url))
            continue
        out[name] = int(value) if name in ("attempts", "undecodable_bytes") and value.isdigit() else value
    if "elapsed" in out:
        try:
            out["elapsed"] = float(out["elapsed"])
        except ValueError:
            del out["elapsed"]
    return out


def _date(text: str | None) -> datetime:
    try:
        return datetime.fromisoformat((text or "").replace("Z", "+00:00")).astimezone(timezone.utc)
    except ValueError:
        return datetime.fromtimestamp(0, timezone.utc)


def _read_file(blobs: BlobStore, rel: str) -> list[ArchivedCapture]:
    named = _FILE_NAME.match(rel.rsplit("/", 1)[-1])
    slug = None if is_batch_file(rel) or not named else named.group("slug")
    started = _file_time(named.group("time")) if slug else None
    data = blobs.get(rel)
    gzip.decompress(data)  # every member whole, or this raises (warcio stops quietly at some damage)
    found: list[ArchivedCapture] = []
    metadata: dict[str, dict] = {}
    it = ArchiveIterator(io.BytesIO(data))
    for record in it:
        kind = record.rec_headers.get_header("WARC-Type")
        body = record.content_stream().read() if kind == "metadata" else b""
        offset = it.get_record_offset()
        if kind == "metadata":
            metadata[record.rec_headers.get_header("WARC-Concurrent-To") or ""] = parse_warc_fields(body)
            continue
        if kind not in ("response", "revisit"):
            continue
        it.read_to_end(record)
        http = record.http_headers
        status = http.get_statuscode() if http else "0"
        found.append(ArchivedCapture(
            path=rel, offset=offset, length=it.get_record_length(),
            record_id=record.rec_headers.get_header("WARC-Record-ID") or "",
            revisit=kind == "revisit", refers_to=record.rec_headers.get_header("WARC-Refers-To"),
            uri=record.rec_headers.get_header("WARC-Target-URI") or "",
            date=_date(record.rec_headers.get_header("WARC-Date")),
            status=int(status) if str(status).isdigit() else 0,
            http_version=(http.protocol if http and http.protocol else "HTTP/1.1"),
            headers=tuple(http.headers) if http else (), slug=slug, started=started))
    return [_with_meta(c, metadata.get(c.record_id)) for c in found]


def _file_time(digits: str) -> datetime | None:
    try:
        return datetime.strptime(digits, "%Y%m%d%H%M%S%f" if len(digits) == 20 else "%Y%m%d%H%M%S").replace(
            tzinfo=timezone.utc)
    except ValueError:
        return None


def _with_meta(capture: ArchivedCapture, meta: dict | None) -> ArchivedCapture:
    if not meta:
        return capture
    return ArchivedCapture(**{**capture.__dict__, "meta": meta})


def as_blobs(where: BlobStore | Path | str) -> BlobStore:
    """A blob store as it is; a folder (an archive root) as its folder store."""
    return where if isinstance(where, BlobStore) else FolderBlobs(where)


def warc_keys(blobs: BlobStore) -> list[str]:
    """The keys of every WARC file under warc/, sorted (temporary files left out)."""
    return [k for k in blobs.list("warc/") if k.endswith(".warc.gz") and not k.rsplit("/", 1)[-1].startswith(".tmp-")]


def scan_warcs(where: BlobStore | Path | str) -> Scan:
    """Every capture in root/warc/, oldest first: by WARC-Date (to the second), then by the fetch's
    start (to the microsecond, in the name of a capture's own file; a batch file's unchanged checks
    come first within their second), then by file and offset. `where`: the archive's blob store,
    or its folder."""
    blobs = as_blobs(where)
    scan = Scan()
    for key in warc_keys(blobs):
        try:
            scan.captures += _read_file(blobs, key)
        except (ArchiveLoadFailed, ArchiveError, OSError, EOFError, zlib.error, ValueError) as exc:
            scan.unreadable.append(f"{key}: {' '.join(str(exc).split()) or type(exc).__name__}")
    scan.captures.sort(key=lambda c: (c.date, c.started or c.date, c.path, c.offset))
    scan.by_record = {c.record_id: c for c in scan.captures}
    return scan


class SourceMap:
    """Whose capture a record is: the source its file is named after, else the source known at
    its address (from the registry and from the source's own files)."""

    def __init__(self, names: Iterable[str], urls: Iterable[tuple[str, str]]) -> None:
        self._names = set(names)
        self._by_url: dict[str, str] = {}
        for name, url in urls:
            self._by_url.setdefault(url_key(url), name)

    def learn(self, captures: Iterable[ArchivedCapture]) -> None:
        """Remember every address a named file's capture was read at (and each hop before it)."""
        for c in captures:
            if c.slug:
                self._names.add(c.slug)
                for url in [c.uri, *(u for _, u in c.meta.get("redirects", ()))]:
                    self._by_url.setdefault(url_key(url), c.slug)

    def source_of(self, capture: ArchivedCapture) -> str | None:
        return capture.slug or self._by_url.get(url_key(capture.uri))

    @property
    def names(self) -> set[str]:
        return set(self._names)


def captures_by_source(scan: Scan, sources: SourceMap) -> Iterator[tuple[str | None, ArchivedCapture]]:
    for capture in scan.captures:
        yield sources.source_of(capture), capture
