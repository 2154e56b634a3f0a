"""Blob stores: where an archive keeps its bytes (WARC captures, texts, feeds), by key.

A key is a path relative to the archive root, always with `/`: `warc/2026/12/….warc.gz`,
`text/ab/cdef….txt.gz`, `feeds/alerts.xml`. Two backends, chosen by `$REDLINE_BLOBS`
(redline.store.blobconfig):

- the archive's own folder (the default, unset): a key is the file `ROOT/KEY`, today's layout;
- `s3://BUCKET[/PREFIX]`: an S3-compatible object store (AWS S3, MinIO, Ceph RGW, SeaweedFS),
  the endpoint and credentials from the usual variables (redline.store.s3blobs).

Captures and texts are written once (`put_once`): a text's key is its digest and a capture's
key names its time and a random part, so a second write of a key is another worker writing
the same bytes. It is refused by the store (a file linked into place only if none is there; on
S3 a conditional put, `If-None-Match: *`, answered 412), and the blob already there is checked
to hold what this writer meant to write. Feeds are the one thing rewritten (`put`).
"""
from __future__ import annotations

import errno
import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, runtime_checkable

from redline.core.atomic import atomic_write_bytes, file_mode
from redline.core.errors import ArchiveError

Matches = Callable[[bytes], bool]


class BlobMissing(ArchiveError):
    """A key the store does not hold."""


class BlobConflict(ArchiveError):
    """A write-once key that already holds other bytes than the ones being written."""


@runtime_checkable
class BlobStore(Protocol):
    where: str   # for messages: "the folder /srv/archive" or "s3://bucket/prefix"

    def put_once(self, key: str, data: bytes, *, matches: Matches | None = None) -> bool:
        """Write `data` at `key` unless the key exists; True when this call wrote it. An existing
        blob must hold the same bytes (or satisfy `matches`), else BlobConflict."""
        ...

    def put(self, key: str, data: bytes) -> None:
        """Write (or replace) `key` as a whole: readers see the old bytes or the new ones."""
        ...

    def get(self, key: str) -> bytes: ...

    def get_range(self, key: str, start: int, length: int | None = None) -> bytes:
        """`length` bytes of `key` from `start` (to its end when None)."""
        ...

    def exists(self, key: str) -> bool: ...

    def list(self, prefix: str) -> list[str]:
        """Every key under `prefix` (a folder: `warc/`), sorted."""
        ...

    def local_path(self, key: str) -> Path | None:
        """The file holding `key` when the store is a local folder, else None."""
        ...


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_existing(store: BlobStore, key: str, data: bytes, existing: bytes, matches: Matches | None) -> None:
    """The blob already at `key` holds what a second writer meant to write, or BlobConflict."""
    same = matches(existing) if matches is not None else existing == data
    if not same:
        raise BlobConflict(f"the blob {key} in {store.where} already holds other bytes (sha256 {digest(existing)[:16]}…, "
                           f"this write {digest(data)[:16]}…); it was left as it is; run `redline verify`")


def check_key(key: str) -> str:
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise ArchiveError(f"{key!r} is not a blob key (a relative path such as text/ab/cd.txt.gz)")
    return key


class FolderBlobs:
    """Blobs as files under a folder (the archive root): `ROOT/KEY`."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.where = f"the folder {self.root}"

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    def local_path(self, key: str) -> Path | None:
        return self.path(key)

    def put_once(self, key: str, data: bytes, *, matches: Matches | None = None) -> bool:
        path = self.path(key)
        if path.is_file():
            check_existing(self, key, data, path.read_bytes(), matches)
            return False
        try:
            return self._link_new(path, key, data, matches)
        except OSError as exc:
            raise write_error(path, exc) from None

    def _link_new(self, path: Path, key: str, data: bytes, matches: Matches | None) -> bool:
        """Write a temporary file, fsynced, and link it at `path` only if no file is there (a
        rename would replace one written meanwhile by another process)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
        try:
            os.fchmod(fd, file_mode())
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.link(tmp, path)
            except FileExistsError:
                check_existing(self, key, data, path.read_bytes(), matches)
                return False
            except OSError as exc:
                if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
                    raise
                os.replace(tmp, path)   # a file system without hard links: the rename is the best it has
                return True
            return True
        finally:
            Path(tmp).unlink(missing_ok=True)

    def put(self, key: str, data: bytes) -> None:
        path = self.path(key)
        try:
            atomic_write_bytes(path, data)
        except OSError as exc:
            raise write_error(path, exc) from None

    def get(self, key: str) -> bytes:
        return self.get_range(key, 0)

    def get_range(self, key: str, start: int, length: int | None = None) -> bytes:
        path = self.path(key)
        try:
            with open(path, "rb") as fh:
                fh.seek(start)
                return fh.read() if length is None else fh.read(length)
        except FileNotFoundError:
            raise BlobMissing(f"{key} is missing from {self.where}") from None
        except OSError as exc:
            raise ArchiveError(f"cannot read {path}: {exc.strerror or exc}") from None

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def list(self, prefix: str) -> list[str]:
        base = self.root / prefix.strip("/") if prefix.strip("/") else self.root
        if not base.is_dir():
            return []
        return sorted(p.relative_to(self.root).as_posix() for p in base.rglob("*")
                      if p.is_file() and not p.name.startswith(".tmp-"))


def write_error(path: Path, exc: OSError) -> ArchiveError:
    """One line for a file the archive could not write (a full disk, a read-only folder, ...)."""
    if exc.errno == errno.ENOSPC:
        return ArchiveError(f"the disk holding {path.parent} is full ({exc.strerror}); nothing of this check was "
                            "written; free some space and run again")
    return ArchiveError(f"cannot write {path}: {exc.strerror or exc}")
