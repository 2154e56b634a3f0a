"""Per-source and per-delivery locks on the PostgreSQL backend: session-level advisory locks
(pg_try_advisory_lock, keyed by a hash of the lock's name), so that runs on several machines
take turns as flock makes runs on one machine do. The server drops them when the holder's
connection ends (a killed process included), as the kernel drops an flock. Within a process
the threads that share one connection take turns on a threading lock first (an advisory
lock is re-entrant within its session); a lock is re-entrant within a thread."""
from __future__ import annotations

import threading
import time
from contextlib import AbstractContextManager, contextmanager
from typing import Callable, Iterator

from redline.core.errors import ArchiveError
from redline.store.locks import reentrant
from redline.store.postgres.connection import PgIndex, lock_key

_POLL = 0.02
_guard = threading.Lock()
_in_process: dict[tuple[str, str], threading.Lock] = {}


def advisory_lock(index: PgIndex, name: str, *, wait: float, what: str,
                  serialized: Callable[[], AbstractContextManager[object]]) -> AbstractContextManager[None]:
    """Hold the advisory lock `name` for the block, waiting up to `wait` seconds for another holder
    (then ArchiveError naming `what`). `serialized()` is the archive's lock around calls on its connection."""
    return reentrant(f"postgresql:{index.url}:{name}",
                     lambda: _advisory(index, name, wait=wait, what=what, serialized=serialized))


@contextmanager
def _advisory(index: PgIndex, name: str, *, wait: float, what: str,
              serialized: Callable[[], AbstractContextManager[object]]) -> Iterator[None]:
    with _guard:
        local = _in_process.setdefault((index.url, name), threading.Lock())
    deadline = time.monotonic() + wait
    busy = ArchiveError(f"{what or name} is busy in another run (waited {wait:g} s for its lock in "
                        "the archive index)")
    if not (local.acquire(timeout=wait) if wait > 0 else local.acquire(blocking=False)):
        raise busy
    try:
        key = lock_key(name)
        while True:
            with serialized():
                if index.try_lock(key):
                    break
            if time.monotonic() >= deadline:
                raise busy
            time.sleep(_POLL)
        try:
            yield
        finally:
            try:
                with serialized():
                    index.unlock(key)
            except ArchiveError:
                pass  # the connection is gone, and the server dropped the lock with it
    finally:
        local.release()
