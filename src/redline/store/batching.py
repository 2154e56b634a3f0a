"""Unchanged checks, archived in batches.

Most checks of a steady cycle find nothing new: a 304, or a body byte-identical to
the one the current version came from. Archived one by one, each costs a WARC file
of its own (created, fsynced, renamed: one 4 KB block on disk) and an index
transaction; batched, a few hundred share one WARC file and one transaction
(issue #7: per unchanged check, about 0.4 KB instead of 1.3 KB of records and
4.5 KB on disk, and a fraction of the time).

What a batch may hold: only checks that change nothing but "checked at": the source
is active and healthy (no failure in a row and no failing episode open, so its
operator health cannot change and is not updated for it), the answer
is one record (no redirect, no retry, no error). Everything else is archived at once
by its check, as before.

A crash before a batch is written loses those "checked, unchanged" rows, nothing
else: no version, no alert, no validator (the next check asks with the same ones).
"""
from __future__ import annotations

import sqlite3
import threading
from dataclasses import replace
from typing import Sequence

from redline.store.sqlite import Archive, PendingCheck, SourceState
from redline.core.model import Health, SourceStatus
from redline.core.errors import IndexConnectionLost, RedlineError
from redline.core.model import FetchResult
from redline.store.warc import RevisitOf, single_record, unchanged_record

DEFAULT_BATCH = 500


def can_batch(state: SourceState, result: FetchResult) -> bool:
    """Whether an unchanged check of this source may wait for its batch (see the module docstring)."""
    return state.state == SourceStatus.ACTIVE and state.failures == 0 and state.health == Health.OK and single_record(result)


def pending_check(state: SourceState, result: FetchResult, *, run_id: str, revisit_of: RevisitOf | None = None,
                  raw_sha256: str | None = None, text_sha256: str | None = None, profile: str | None = None,
                  normalizer_version: int | None = None, profile_asked: str | None = None) -> PendingCheck:
    """The check of the source in `state` with its WARC record built: the 304 response, or a
    revisit of `revisit_of`."""
    record, record_id, revisit = unchanged_record(result, revisit_of=revisit_of)
    return PendingCheck(source=state.name, result=replace(result, body=b"", text=None), body_bytes=len(result.body),
                        run_id=run_id, record=record, record_id=record_id, revisit=revisit, raw_sha256=raw_sha256, text_sha256=text_sha256, profile=profile,
                        normalizer_version=normalizer_version, profile_asked=profile_asked,
                        seen_checks=state.checks)


class UnchangedBatch:
    """Collects pending unchanged checks from any thread; writes them every `size` checks
    and on flush(). A batch that cannot be written is reported per source in `errors`
    (the checks are lost, nothing else), never raised."""

    def __init__(self, archive: Archive, *, size: int = DEFAULT_BATCH) -> None:
        self.archive = archive
        self.size = max(1, size)
        self.errors: dict[str, str] = {}
        self.written = 0
        self._pending: list[PendingCheck] = []
        self._held: set[str] = set()
        self._lock = threading.Lock()

    def holds(self, source: str) -> bool:
        """Whether this source's check was handed to the batch (so nothing else about it changed)."""
        return source in self._held

    def add(self, check: PendingCheck) -> None:
        with self._lock:
            self._held.add(check.source)
            self._pending.append(check)
            if len(self._pending) >= self.size:
                self._write_locked()

    def flush(self) -> None:
        with self._lock:
            self._write_locked()

    def _write_locked(self) -> None:
        batch, self._pending = self._pending, []
        if not batch:
            return
        try:
            try:
                self.archive.record_unchanged(batch)
            except IndexConnectionLost:  # the connection came back: the batch's one transaction again
                self.archive.record_unchanged(batch)
        except (RedlineError, OSError, sqlite3.Error) as exc:
            self._lost(batch, str(exc))
            return
        self.written += len(batch)

    def _lost(self, batch: Sequence[PendingCheck], error: str) -> None:
        for check in batch:
            self.errors[check.source] = f"this unchanged check could not be archived: {error}"
