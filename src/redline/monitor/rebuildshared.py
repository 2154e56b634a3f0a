"""`redline rebuild-index` on the shared index (PostgreSQL, REDLINE_STORE): the index is rebuilt
in place, from the WARC files of the archive's blob store (S3 or the folder) and the alert logs
of this machine's folder.

A rebuild replaces every row of an index that every worker writes to: a check recorded by a
worker meanwhile would be lost, and an alert it made would have an id the rebuilt index gives
again. So the rebuild has the index to itself (Archive.sole_use: every open archive holds a
shared advisory lock, the rebuild an exclusive one): it is refused in one line, naming the
processes, while any other redline has the index open, and no run opens it until the rebuild
ends (a run started meanwhile stops in one line: "being rebuilt"). Stop the workers first.

Steps: the new index is built in an SQLite file beside (redline.monitor.rebuild.build_index,
the replay every rebuild makes); the shared index's rows are kept as an SQLite file,
index.sqlite.old-TIME (when it held any); then one transaction of the shared index deletes its
rows and copies the rebuilt ones in, ids included, its id sequences after them
(redline.store.copytables). A rebuild cut anywhere before that commit leaves the shared index
as it was."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import TypeVar

from redline.core.errors import ArchiveError
from redline.store.copytables import check_tables, copy_rows
from redline.store.postgres.connection import redact
from redline.store.sqlite import Archive
from redline.store.sqlite.archive import INDEX_NAME

Report = TypeVar("Report")   # redline.monitor.rebuild.RebuildReport (its where and kept_as are set here)


def _holds_rows(archive: Archive) -> bool:
    counts = archive.counts()
    return any(counts[t] for t in ("sources", "captures", "alerts"))


def rebuild_shared(root: Path, url: str, build: Callable[[], Report], *, building: str, force: bool) -> Report:
    """Rebuild the index at `url` from `build()` (which makes the SQLite index root/`building` and
    returns its RebuildReport), alone (see the module docstring)."""
    where = f"the archive index at {redact(url)}"
    with Archive(root, store=url, filling=True) as shared, shared.sole_use("rebuild-index"):
        tables = check_tables(shared, where)
        held = _holds_rows(shared)
        if held and not force:
            raise ArchiveError(f"{where} reads fine; nothing was changed (pass --force to rebuild it from the WARC "
                               "files anyway: its rows are kept in an SQLite file beside)")
        report = build()
        report.where = where.removeprefix("the archive ")
        try:
            with Archive(root, index=building, store="", blobs=shared.blobs) as rebuilt:
                check_tables(rebuilt, str(root / building))
                if held:
                    kept = f"{INDEX_NAME}.old-{datetime.now(timezone.utc):%Y%m%d%H%M%S}"
                    with Archive(root, index=kept, store="", blobs=shared.blobs, durable=False) as old:
                        copy_rows(shared, old, tables)
                    report.kept_as = kept
                copy_rows(rebuilt, shared, tables, replace=True)
            shared.index_search()
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{root / building}{suffix}").unlink(missing_ok=True)
    return report
