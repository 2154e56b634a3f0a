"""An unchanged check stays small: a plain 304 (like a revisit) gets no metadata record (issue #7)."""
from __future__ import annotations

import gzip
import io
from dataclasses import replace
from datetime import datetime, timezone

import pytest
from warcio.archiveiterator import ArchiveIterator

from redline.core.model import FetchResult
from redline.store.warc import RevisitOf, build_capture_warc, unchanged_record


def _types(data: bytes) -> list[str]:
    return [r.rec_type for r in ArchiveIterator(io.BytesIO(data))]


def _304(**fields) -> FetchResult:
    return FetchResult(url="http://a.example/s.html", final_url="http://a.example/s.html", status=304,
                       fetched_at=datetime(2026, 11, 22, tzinfo=timezone.utc), not_modified=True,
                       request_headers=(("If-None-Match", '"abc"'),), response_headers=(("ETag", '"abc"'),),
                       **fields)


def test_a_plain_304_is_a_request_and_a_response_record_only() -> None:
    data, offset, length, _, revisit = build_capture_warc(_304())
    assert _types(data) == ["request", "response"] and not revisit
    assert b"304 Not Modified" in gzip.decompress(data[offset:offset + length])


def test_a_304_with_something_to_say_keeps_its_metadata_record() -> None:
    for fields in ({"redirects": ((301, "http://a.example/s.html"),)}, {"attempts": 2}):
        data, *_ = build_capture_warc(_304(**fields))
        assert _types(data) == ["request", "response", "metadata"]
    data, *_ = build_capture_warc(_304(), metadata={"note": "x"})
    assert _types(data)[-1] == "metadata"


def test_an_unchanged_check_without_its_request_record_is_one_small_response_record() -> None:
    data, offset, length, _, _ = build_capture_warc(_304(), request=False)
    assert _types(data) == ["response"] and (offset, length) == (0, len(data))
    full, *_ = build_capture_warc(_304())
    assert len(data) < len(full) - 200


def _records(data: bytes) -> list[tuple[str, list[tuple[str, str]], bytes, bytes]]:
    out = []
    for r in ArchiveIterator(io.BytesIO(data), check_digests="raise"):
        out.append((r.rec_type, r.rec_headers.headers, r.http_headers.to_bytes(), r.content_stream().read()))
    return out


@pytest.mark.parametrize("result, revisit_of", [
    (_304(), None),
    (replace(_304(), response_headers=(("ETag", '"abc"'), ("Content-Encoding", "gzip"), ("X-Name", "café"))),
     None),
    (replace(_304(), status=200, not_modified=False, body=b"<p>same</p>" * 50, final_url="http://a.example/t.html"),
     RevisitOf("<urn:uuid:0b3c9a1e-4c2f-4a53-9f3d-2f1e5b0c7d11>", "http://a.example/s.html",
               datetime(2026, 11, 1, tzinfo=timezone.utc))),
])
def test_the_record_of_an_unchanged_check_is_the_one_warcio_writes_with_valid_digests(result, revisit_of) -> None:
    ours, record_id, revisit = unchanged_record(result, revisit_of=revisit_of)
    theirs, _, _, their_id, their_revisit = build_capture_warc(result, revisit_of=revisit_of, request=False)
    assert revisit == their_revisit == (revisit_of is not None)
    mine = _records(ours)
    assert [h for h in mine[0][1] if h[0] == "WARC-Record-ID"] == [("WARC-Record-ID", record_id)]
    assert gzip.decompress(ours) == gzip.decompress(theirs).replace(their_id.encode(), record_id.encode())
    assert len(mine) == 1 and abs(len(ours) - len(theirs)) <= 4  # the random ids gzip to a byte more or less
