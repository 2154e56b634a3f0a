"""Inter-process locks in the archive folder, so that two runs at once (a scheduled run
and a manual refresh, two `redline run`s, threads of one run) never check one source
or deliver one alert at the same time.

    <archive>/locks/source-<name>.lock   held around one source's check (state read ->
                                         fetch -> commit) and its health update
    <archive>/locks/deliveries-<sink>.lock  held around one delivery to one channel (claim -> send -> mark)
    <archive>/locks/feeds.lock           held while the Atom feeds are brought up to date
    <archive>/locks/serve.lock           held by a `redline serve` for as long as it runs

On the PostgreSQL backend (REDLINE_STORE) the source, delivery and feed locks are advisory
locks in the index's database instead (redline.store.postgres.locks), so runs on several
machines take turns; `serve.lock` stays a file (one serve per archive folder).

flock(2) locks belong to an open file: the kernel drops them when the process dies,
SIGKILL included, so a crashed run never leaves a lock behind. The lock files stay
(empty); they are not part of the record. A lock is re-entrant within a thread.
"""
from __future__ import annotations

import hashlib
import fcntl
import os
import threading
import time
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from redline.core.errors import ArchiveError
from redline.registry.load import NAME_RE

DEFAULT_WAIT = 600.0       # seconds to wait for another run before giving up on this source
_POLL = 0.02

_held = threading.local()  # path -> depth, per thread (re-entrance)


def _depths() -> dict[str, int]:
    if not hasattr(_held, "depths"):
        _held.depths = {}
    return _held.depths


@contextmanager
def reentrant(key: str, take: Callable[[], AbstractContextManager[None]]) -> Iterator[None]:
    """Hold the lock `take()` gives for the block, unless this thread holds `key` already (then the
    block only counts as one more level of it)."""
    depths = _depths()
    if depths.get(key):
        depths[key] += 1
        try:
            yield
        finally:
            depths[key] -= 1
        return
    with take():
        depths[key] = 1
        try:
            yield
        finally:
            depths.pop(key, None)


def file_lock(path: Path, *, wait: float = DEFAULT_WAIT, what: str = "") -> AbstractContextManager[None]:
    """Hold an exclusive flock on `path` (created if missing) for the block. Waits up to
    `wait` seconds for another holder, then raises ArchiveError naming `what`."""
    return reentrant(str(path), lambda: _flock(path, wait=wait, what=what))


@contextmanager
def _flock(path: Path, *, wait: float, what: str) -> Iterator[None]:
    try:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except FileNotFoundError:  # the first lock of an archive: make the folder
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise ArchiveError(f"cannot open the lock file {path}: {exc.strerror or exc}") from None
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise ArchiveError(f"{what or path} is busy in another run (waited {wait:g} s for {path})") from None
                time.sleep(_POLL)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def named_lock(where: Any, name: str, *, wait: float, what: str) -> AbstractContextManager[None]:
    """The lock `name` of an archive: `where` is the archive (its backend's lock: an flock in its
    folder, or a PostgreSQL advisory lock) or its folder (an flock of <folder>/locks/NAME.lock)."""
    if not isinstance(where, (str, os.PathLike)):
        if hasattr(where, "lock"):
            return where.lock(name, wait=wait, what=what)
        where = where.root
    return file_lock(Path(where) / "locks" / f"{name}.lock", wait=wait, what=what)


def source_lock(where: Any, name: str, *, wait: float = DEFAULT_WAIT) -> AbstractContextManager[None]:
    """The lock of one source's check (`where`: the archive or its folder). `name` must be a slug
    (the archive refuses others)."""
    if not NAME_RE.fullmatch(name or ""):
        raise ArchiveError(f"refused: source name {name!r} is not a slug; it would be used in a file name")
    return named_lock(where, f"source-{name}", wait=wait, what=f"source {name}")


def delivery_lock(where: Any, *, sink: str | None = None, wait: float = DEFAULT_WAIT) -> AbstractContextManager[None]:
    """The lock held around one alert delivery (claim, send, mark): one per channel, so channels
    are served side by side (a sink's name holds URL characters: the file is named by its digest)."""
    suffix = "" if sink is None else "-" + hashlib.sha256(sink.encode("utf-8")).hexdigest()[:16]
    return named_lock(where, f"deliveries{suffix}", wait=wait, what=f"alert delivery to {sink or 'any channel'}")


def feeds_lock(where: Any, *, wait: float = DEFAULT_WAIT) -> AbstractContextManager[None]:
    """The lock held while the Atom feeds are brought up to date (runtime.refresh_feeds)."""
    return named_lock(where, "feeds", wait=wait, what="the Atom feeds")


def serve_lock(root: Path) -> AbstractContextManager[None]:
    """The lock a `redline serve` holds for its whole life: taken at once or not at all (a
    second serve refuses instead of waiting); raises ArchiveError when another holds it."""
    return file_lock(Path(root) / "locks" / "serve.lock", wait=0, what="redline serve")
