"""Which blob store an archive uses: `$REDLINE_BLOBS` (unset: the archive's own folder)."""
from __future__ import annotations

import os
from pathlib import Path

from redline.core.errors import ArchiveError
from redline.store.blobs import BlobStore, FolderBlobs

ENV_BLOBS = "REDLINE_BLOBS"


def open_blobs(root: Path | str, spec: str | None = None) -> BlobStore:
    """The blob store of the archive at `root`: `spec` (else $REDLINE_BLOBS); its folder when unset."""
    spec = (spec if spec is not None else os.environ.get(ENV_BLOBS, "")).strip()
    if not spec or spec in ("folder", "file"):
        return FolderBlobs(root)
    if spec.startswith("s3://"):
        from redline.store.s3blobs import S3Blobs   # imported only when asked for

        return S3Blobs.from_url(spec)
    raise ArchiveError(f"{ENV_BLOBS}={spec!r} is not a blob store: leave it unset for the archive's folder, "
                       "or give s3://BUCKET/PREFIX")
