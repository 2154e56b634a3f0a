"""Raw captures as WARC files (warcio), readable by pywb and the Wayback tooling.

A capture with something new is one small gzipped WARC file: a `request`
record, a `response` record (or a `revisit` when the body is byte-identical to
an earlier capture of the same source) and a `metadata` record with what
redline learned (redirects, charset, error) as `application/warc-fields`
lines, the usual form (Heritrix, wget), which replay tools know is not a
capture of the page. The file is written once, by key, to the archive's blob store
(redline.store.blobs): a file linked into place, or an object put if none is there.

An unchanged check (a 304, or a body byte-identical to the current version's)
is one record only, its `response` (the 304) or `revisit`, without the request
record, and shares a file with the other unchanged checks of its batch
(redline.store.batching): about 400 bytes a check instead of one 4 KB file.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import uuid
import zlib
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from redline.core.errors import ArchiveError
from redline.core.model import FetchResult
from redline.store.blobs import BlobStore

# httpx hands us decoded bodies; these headers would make replay tools decode twice.
_DROP_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}


@dataclass(frozen=True)
class RevisitOf:
    """The earlier response record a revisit record points at."""

    record_id: str
    uri: str
    date: datetime


@dataclass(frozen=True)
class WarcLocation:
    path: str          # relative to the archive root
    offset: int        # of the response/revisit record
    length: int
    record_id: str
    revisit: bool = False


def payload_digest(body: bytes) -> str:
    """The WARC-Payload-Digest form: sha1 in base32."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def _warc_date(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def warc_fields(meta: dict) -> bytes:
    """`name: value` lines (application/warc-fields): one `redirect: STATUS URL` line per hop,
    lists and tables as JSON, None left out; every value on one line."""
    lines = []
    for key, value in meta.items():
        if key == "redirects":
            lines += [f"redirect: {status} {url}" for status, url in value]
            continue
        if value is None:
            continue
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        lines.append(f"{key}: {' '.join(str(text).split())}")
    return "".join(line + "\r\n" for line in lines).encode("utf-8")


def single_record(result: FetchResult) -> bool:
    """True when an unchanged check of this fetch needs no metadata record (nothing to say
    beyond the response: no redirect, no error, one attempt)."""
    return not (result.redirects or result.error or result.attempts > 1)


GZIP_LEVEL = 4  # zlib's: 0.45 ms a 30 KB page instead of 0.78 at warcio's 9, for 2% more bytes (bench/BENCHMARKS.md)


def _write_member(buf: io.BytesIO, record) -> None:
    """Append `record` to `buf` as one gzip member of its own (what warcio's gzip=True writes, at
    GZIP_LEVEL instead of its fixed 9): a reader finds the record at its member's offset."""
    raw = io.BytesIO()
    WARCWriter(raw, gzip=False).write_record(record)
    zipper = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS + 16)
    buf.write(zipper.compress(raw.getvalue()) + zipper.flush())


def build_capture_warc(result: FetchResult, *, revisit_of: RevisitOf | None = None,
                       metadata: dict | None = None, request: bool = True) -> tuple[bytes, int, int, str, bool]:
    """Serialize a capture; return (bytes, response offset, response length, record id, is_revisit).

    `request=False` leaves the request record out (unchanged checks: see the module docstring)."""
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=False)   # makes the records; _write_member writes them
    uri = result.final_url or result.url
    date = {"WARC-Date": _warc_date(result.fetched_at)}
    if request:
        split = urlsplit(uri)
        target = (split.path or "/") + (f"?{split.query}" if split.query else "")
        _write_member(buf, writer.create_warc_record(
            uri, "request", payload=io.BytesIO(b""), warc_headers_dict=dict(date),
            http_headers=StatusAndHeaders(f"GET {target} HTTP/1.1", list(result.request_headers),
                                          is_http_request=True)))

    status = result.status or 0
    headers = [(k, v) for k, v in result.response_headers if k.lower() not in _DROP_HEADERS]
    headers.append(("Content-Length", str(len(result.body))))
    http = StatusAndHeaders(f"{status} {_reason(status)}", headers, protocol=result.http_version)
    revisit = revisit_of is not None
    if revisit:
        rec = writer.create_revisit_record(uri, payload_digest(result.body), revisit_of.uri,
                                           _warc_date(revisit_of.date), http_headers=http,
                                           warc_headers_dict={**date, "WARC-Refers-To": revisit_of.record_id})
    else:
        rec = writer.create_warc_record(uri, "response", payload=io.BytesIO(result.body),
                                        http_headers=http, warc_headers_dict=dict(date))
    offset = buf.tell()
    _write_member(buf, rec)
    length = buf.tell() - offset
    record_id = rec.rec_headers.get_header("WARC-Record-ID")

    if (revisit or result.not_modified) and single_record(result) and not metadata:
        return buf.getvalue(), offset, length, record_id, revisit  # keep unchanged checks small
    meta = {"redirects": [list(r) for r in result.redirects], "encoding": result.encoding,
            "encoding_source": result.encoding_source, "undecodable_bytes": result.undecodable_bytes or None,
            "repaired": result.repaired,
            "error": result.error,
            "attempts": result.attempts, "elapsed": result.elapsed, **(metadata or {})}
    _write_member(buf, writer.create_warc_record(
        uri, "metadata", payload=io.BytesIO(warc_fields(meta)),
        warc_content_type="application/warc-fields",
        warc_headers_dict={**date, "WARC-Concurrent-To": record_id}))
    return buf.getvalue(), offset, length, record_id, revisit


_EMPTY_PAYLOAD = "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ"   # payload_digest(b"")


def unchanged_record(result: FetchResult, *, revisit_of: RevisitOf | None = None) -> tuple[bytes, str, bool]:
    """(gzipped record, record id, is_revisit): the one record of an unchanged check, the 304
    `response` or the `revisit` of `revisit_of`, as build_capture_warc(request=False) writes it
    (the same headers in the same order, tested) in a sixth of its time: warcio made a writer, a
    record builder and a gzip stream of 256 KB of deflate state per record. Its gzip member
    uses a 4 KB window, plenty for a record of under 1 KB (the same size, tested)."""
    uri = result.final_url or result.url
    status = result.status or 0
    headers = [(k, v) for k, v in result.response_headers if k.lower() not in _DROP_HEADERS]
    headers.append(("Content-Length", str(len(result.body))))
    http = StatusAndHeaders(f"{status} {_reason(status)}", headers, protocol=result.http_version).to_ascii_bytes()
    record_id = f"<urn:uuid:{uuid.uuid4()}>"
    fields = [("WARC-Date", _warc_date(result.fetched_at))]
    if revisit_of is not None:
        fields += [("WARC-Refers-To", revisit_of.record_id), ("WARC-Type", "revisit"), ("WARC-Record-ID", record_id),
                   ("WARC-Target-URI", uri),
                   ("WARC-Profile", "http://netpreserve.org/warc/1.0/revisit/identical-payload-digest"),
                   ("WARC-Refers-To-Target-URI", revisit_of.uri),
                   ("WARC-Refers-To-Date", _warc_date(revisit_of.date)),
                   ("WARC-Payload-Digest", payload_digest(result.body))]
    else:
        fields += [("WARC-Type", "response"), ("WARC-Record-ID", record_id), ("WARC-Target-URI", uri),
                   ("WARC-Payload-Digest", payload_digest(result.body))]
    block = http if revisit_of is not None else http + result.body
    fields += [("WARC-Block-Digest", payload_digest(block)), ("Content-Type", "application/http; msgtype=response"),
               ("Content-Length", str(len(block)))]
    head = "WARC/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields) + "\r\n"
    gz = zlib.compressobj(9, zlib.DEFLATED, 16 + 12, 3)
    data = gz.compress(head.encode("utf-8")) + gz.compress(block) + gz.compress(b"\r\n\r\n") + gz.flush()
    return data, record_id, revisit_of is not None


def read_payload(blobs: BlobStore, key: str, offset: int, length: int | None = None) -> bytes:
    """The HTTP body of the response record at `offset` of the WARC blob `key` (`length`: the
    record's, when known, so an object store sends that range only)."""
    data = blobs.get_range(key, offset, length)
    try:
        for record in ArchiveIterator(io.BytesIO(data)):
            return record.content_stream().read()
    except (OSError, ValueError, EOFError) as exc:
        raise ArchiveError(f"cannot read the WARC record at offset {offset} of {key} in {blobs.where}: {exc}") from None
    raise ArchiveError(f"no WARC record at offset {offset} of {key} in {blobs.where}")
