"""Storing and reading the record: the store interface (interface.Store), its SQLite + folder
backend (sqlite/), WARC files, batches of unchanged checks, locks, verify, export, and the
read model of the web view and the archive commands (readmodel)."""
from __future__ import annotations

from pathlib import Path

from redline.store.interface import Store
from redline.store.sqlite import Archive

__all__ = ["Archive", "Store", "open_archive"]


def open_archive(root: Path | str) -> Store:
    """The archive at `root` (a folder: SQLite index + blobs), created when it does not exist yet."""
    return Archive(root)
