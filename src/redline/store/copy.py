"""`redline store copy`: an archive, losslessly, from one backend to another: the folder one
(index.sqlite, blobs in the folder) to the shared one (the index in PostgreSQL, the blobs in
an S3-compatible store or another folder), and back.

What is copied: every row of every table of the index with its id (redline.store.copytables;
on PostgreSQL the id sequences continue after the copied ids), every blob (warc/, text/, the
orphans too), and the archive folder's own files when the destination has another folder:
the alert logs (alerts.jsonl, operator-alerts.jsonl) and operator-actions.jsonl, and the
sources file its redline.toml names. Not copied: the feeds (made from the index: the next run
writes them), locks, and redline.toml's `[store]` (where the new index is is given by
REDLINE_STORE, REDLINE_BLOBS or the new folder's own settings).

A destination that already holds anything of an archive is refused (nothing is written): a
folder that is not empty, a database with rows, a blob store with warc/ or text/ objects.
Afterwards the two sides are compared (per table: rows and a digest; per blob prefix: count,
bytes and a digest read back from the destination) and the destination is verified."""
from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from redline.core.config import remember_sources, remembered_sources
from redline.core.errors import ArchiveError, ConfigError
from redline.store.blobconfig import open_blobs
from redline.store.blobs import BlobStore, FolderBlobs
from redline.store.postgres.connection import redact
from redline.store.copytables import check_tables, copy_rows, table_digest
from redline.store.sqlite import Archive
from redline.store.verify import Report, verify_archive

BLOB_PREFIXES = ("warc/", "text/")   # redline.store.sqlite.blobio: warc_key, text_key
LOCAL_FILES = ("alerts.jsonl", "operator-alerts.jsonl", "operator-actions.jsonl")
_MOD = 1 << 256
THREADS = 8   # blobs read and written at once: an object store answers each request in about a ms


@dataclass(frozen=True)
class Side:
    """What one side holds of one kind: rows of a table, or blobs under a prefix."""
    count: int
    digest: str
    bytes: int | None = None


@dataclass
class CopyReport:
    source: str
    dest: str
    tables: dict[str, tuple[Side, Side]] = field(default_factory=dict)
    blobs: dict[str, tuple[Side, Side]] = field(default_factory=dict)
    shared_blobs: bool = False       # source and destination use the same blob store: nothing to copy
    files: list[str] = field(default_factory=list)
    verify: Report | None = None

    @property
    def differences(self) -> list[str]:
        return [f"{kind} {name}" for kind, sides in (("table", self.tables), ("blobs", self.blobs))
                for name, (a, b) in sides.items() if a != b]


def dest_blobs(dest_root: Path, spec: str | None) -> BlobStore:
    """The destination's blob store: `spec` (s3://BUCKET/PREFIX, or a folder), else its own folder."""
    if not spec:
        return FolderBlobs(dest_root)
    if spec.startswith("s3://"):
        return open_blobs(dest_root, spec)
    return FolderBlobs(Path(spec).expanduser())


def _blob_digest(store: BlobStore, prefix: str) -> Side:
    """Count, bytes and digest (the sum of each key's and bytes' sha256) of the blobs under `prefix`."""
    keys = store.list(prefix)

    def read(key: str) -> tuple[int, int]:
        data = store.get(key)
        return len(data), int.from_bytes(hashlib.sha256(key.encode() + b"\0" + data).digest(), "big")
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        found = list(pool.map(read, keys))
    return Side(len(keys), f"{sum(h for _, h in found) % _MOD:064x}", sum(n for n, _ in found))


def _held_rows(archive: Archive, tables: tuple[str, ...]) -> list[str]:
    held = []
    for table in tables:
        if table != "meta":
            n = archive.query(f"SELECT COUNT(*) AS n FROM {table}")[0][0]
            if n:
                held.append(f"{n} {table}")
    return held


def _refuse(where: str, held: str) -> ArchiveError:
    return ArchiveError(f"the destination {where} already holds {held}; nothing was copied; give an empty "
                        "folder, database or blob prefix")


def _check_empty_folder(path: Path) -> None:
    if path.is_file() or (path.is_dir() and any(path.iterdir())):
        raise _refuse(f"folder {path}", "files (it is not empty)")


def copy_archive(source_root: Path, dest_root: Path, *, dest_store: str | None, blobs: str | None = None,
                 progress: Callable[[str], None] | None = None) -> CopyReport:
    """Copy the archive at `source_root` (its backend as configured: REDLINE_STORE, REDLINE_BLOBS,
    its redline.toml) to `dest_root`: its index in `dest_store` (a postgresql:// URL; None: an
    index.sqlite in `dest_root`), its blobs in `blobs` (see dest_blobs)."""
    say = progress or (lambda line: None)
    source_root, dest_root = Path(source_root), Path(dest_root)
    same_folder = source_root.resolve() == dest_root.resolve()
    if dest_store is None and same_folder:
        raise _refuse(f"folder {dest_root}", "the source archive itself")
    if not same_folder:
        _check_empty_folder(dest_root)
    target_blobs = dest_blobs(dest_root, blobs)
    with Archive(source_root) as source:
        tables = check_tables(source, str(source_root))
        shared = target_blobs.where == source.blobs.where
        if not shared:
            for prefix in BLOB_PREFIXES:
                if target_blobs.list(prefix):
                    raise _refuse(target_blobs.where, f"blobs under {prefix}")
        with Archive(dest_root, store=dest_store or "", blobs=target_blobs, filling=True) as dest:
            where = f"index {redact(dest_store)}" if dest_store else f"folder {dest_root}"
            check_tables(dest, where)
            held = _held_rows(dest, tables)
            if held:
                raise _refuse(where, ", ".join(held))
            report = CopyReport(str(source_root), where, shared_blobs=shared)
            say(f"copying {len(tables)} tables")
            copy_rows(source, dest, tables)
            dest.index_search()
            if not shared:
                _copy_blobs(source.blobs, target_blobs, say)
            if not same_folder:
                report.files = _copy_local_files(source_root, dest_root)
            for table in tables:
                a, b = (Side(*table_digest(s, table)) for s in (source, dest))
                report.tables[table] = (a, b)
            for prefix in BLOB_PREFIXES:
                report.blobs[prefix] = (_blob_digest(source.blobs, prefix), _blob_digest(target_blobs, prefix))
    say("verifying the destination")
    report.verify = verify_archive(dest_root, blobs=target_blobs, store=dest_store or "")
    return report


def _copy_blobs(source: BlobStore, dest: BlobStore, say: Callable[[str], None]) -> None:
    for prefix in BLOB_PREFIXES:
        keys = source.list(prefix)
        say(f"copying {len(keys)} blobs under {prefix}")
        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            list(pool.map(lambda key: dest.put_once(key, source.get(key)), keys))


def _copy_local_files(source_root: Path, dest_root: Path) -> list[str]:
    """The archive folder's own files (the alert logs, the operators' actions), and the sources file
    its redline.toml names; the names of those copied."""
    dest_root.mkdir(parents=True, exist_ok=True)
    copied = []
    for name in LOCAL_FILES:
        if (source_root / name).is_file():
            shutil.copy2(source_root / name, dest_root / name)
            copied.append(name)
    try:
        sources = remembered_sources(source_root)
    except ConfigError:
        sources = None
    if sources is not None and remember_sources(dest_root, sources):
        copied.append("redline.toml ([archive] sources)")
    return copied
