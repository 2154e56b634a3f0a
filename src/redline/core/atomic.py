"""Atomic file writes: a reader sees the old file or the new one, never half.

A new file gets the permissions any program's new file gets (0666 less the umask), so
exports, feeds and texts can be handed round or served; `private=True` keeps a file
owner-only (0600) whatever the umask. (mkstemp alone would make every file 0600.)
"""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import IO, Iterator


@lru_cache(maxsize=1)
def process_umask() -> int:
    """The process's umask, read without changing it (Linux: /proc), else set and restored once."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def file_mode(*, private: bool = False) -> int:
    return 0o600 if private else 0o666 & ~process_umask()


@contextmanager
def atomic_file(path: Path, *, private: bool = False) -> Iterator[IO[bytes]]:
    """Write `path` through a temporary file beside it, fsynced, then renamed over it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        os.fchmod(fd, file_mode(private=private))
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: Path, data: bytes, *, private: bool = False) -> None:
    with atomic_file(path, private=private) as fh:
        fh.write(data)
