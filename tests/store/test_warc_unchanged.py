"""An unchanged check stays small: a plain 304 (like a revisit) gets no metadata record (issue #7)."""
from __future__ import annotations

import gzip
import io
from datetime import datetime, timezone

from warcio.archiveiterator import ArchiveIterator

from redline.core.model import FetchResult
from redline.store.warc import build_capture_warc


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
