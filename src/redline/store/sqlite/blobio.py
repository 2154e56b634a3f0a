"""Archive's blob part: texts and WARC captures in its blob store (redline.store.blobs), by key.

Texts are `text/ab/cdef….txt.gz` (gzipped UTF-8, named by the text's sha256), captures
`warc/YYYY/MM/TIME-LABEL-XXXXXXXX.warc.gz`: the same keys in the folder backend (files under
the archive root, today's layout) and on S3. The index's `warc_path` is the key.
"""
from __future__ import annotations

import gzip
import uuid
from datetime import datetime
from pathlib import Path

from redline.core.errors import ArchiveError
from redline.core.model import FetchResult
from redline.store.blobs import BlobMissing, BlobStore
from redline.store.sqlite.rows import _slug, sha256_text
from redline.store.warc import GZIP_LEVEL, RevisitOf, WarcLocation, build_capture_warc, read_payload


def text_key(digest: str) -> str:
    return f"text/{digest[:2]}/{digest[2:]}.txt.gz"


def warc_key(when: datetime, label: str) -> str:
    # to the microsecond: a rebuild of the index (redline.store.warcscan) orders a source's
    # captures of one second by their files' names
    return f"warc/{when:%Y}/{when:%m}/{when:%Y%m%d%H%M%S%f}-{label}-{uuid.uuid4().hex[:8]}.warc.gz"


def text_of(data: bytes) -> str:
    return gzip.decompress(data).decode("utf-8")


class BlobRecords:
    """Mixed into Archive: uses its `blobs` (a BlobStore) and `root`."""

    blobs: BlobStore
    root: Path

    def text_path(self, digest: str) -> Path:
        """The file of a text in the folder backend (no such file on S3: use get_text)."""
        return self.root / text_key(digest)

    def put_text(self, text: str) -> str:
        """Store text once per distinct sha256; return the digest. A text already there (another
        worker's) is checked to be this one: its gzip bytes may differ, its text may not."""
        digest = sha256_text(text)
        key = text_key(digest)
        if not self.blobs.exists(key):
            self.blobs.put_once(key, gzip.compress(text.encode("utf-8"), compresslevel=GZIP_LEVEL, mtime=0),
                                matches=lambda existing: sha256_text(text_of(existing)) == digest)
        return digest

    def has_text(self, digest: str) -> bool:
        return self.blobs.exists(text_key(digest))

    def get_text(self, digest: str) -> str:
        try:
            return text_of(self.blobs.get(text_key(digest)))
        except BlobMissing:
            raise ArchiveError(f"text blob {digest} is missing from {self.blobs.where}") from None

    def write_warc(self, source: str, result: FetchResult, *, revisit_of: RevisitOf | None = None,
                   metadata: dict | None = None) -> WarcLocation:
        data, offset, length, record_id, revisit = build_capture_warc(result, revisit_of=revisit_of,
                                                                       metadata=metadata)
        key = warc_key(result.fetched_at, _slug(source))
        self.blobs.put_once(key, data)
        return WarcLocation(key, offset, length, record_id, revisit)

    def _write_batch_warc(self, label: str, when: datetime, records: list[bytes]) -> tuple[str, list[int]]:
        """One WARC file of the records (each a whole gzip member); its key and each record's offset."""
        key, offsets, offset = warc_key(when, label), [], 0
        for record in records:
            offsets.append(offset)
            offset += len(record)
        self.blobs.put_once(key, b"".join(records))
        return key, offsets

    def _warc_payload(self, key: str, offset: int, length: int | None = None) -> bytes:
        """The HTTP body of the response record at `offset` of the WARC blob `key`."""
        return read_payload(self.blobs, key, offset, length)
