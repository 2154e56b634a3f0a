"""Exports of one source's record, for handing over as evidence.

- ``export_warc``: one ``.warc.gz`` holding every capture of the source, in capture
  order: a ``warcinfo`` record saying what it is, then each capture's WARC file
  as archived, or its record in a batch file of unchanged checks (gzip members
  concatenate, so the result is itself a valid WARC; revisit records keep
  pointing at their originals, which are in the same file).
- ``export_texts``: one ``.zip`` with a UTF-8 text file per version
  (``v0001_20201216T223600Z_id1.txt``) and ``manifest.json`` describing them.

Both write to a temporary file beside the target and rename it into place; they
read the archive and never change it.
"""
from __future__ import annotations

import io
import json
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Iterator

from warcio.warcwriter import WARCWriter

from redline.store import readmodel as views
from redline.store.sqlite import Archive
from redline.core.atomic import atomic_file
from redline.core.errors import ArchiveError, NotFoundError


@dataclass(frozen=True)
class ExportResult:
    path: Path
    items: int           # captures (WARC) or versions (texts)
    bytes: int


@contextmanager
def _atomic_file(path: Path) -> Iterator[IO[bytes]]:
    """core.atomic's atomic_file, its OSErrors said in one line (ArchiveError)."""
    try:
        with atomic_file(path) as fh:
            yield fh
    except OSError as exc:
        raise ArchiveError(f"cannot write {path}: {exc.strerror or exc}") from None


def _stamp(iso_text: str) -> str:
    return datetime.fromisoformat(iso_text).astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def export_warc(archive: Archive, name: str, out: Path) -> ExportResult:
    """Every capture of source `name` in one WARC file at `out`."""
    summary = views.source_summary(archive, name)
    pieces = views.warc_pieces(archive, name)
    if not pieces:
        raise NotFoundError(f"{name} has no archived capture yet: nothing to export")
    missing = [p.key for p in pieces if not p.exists()]
    if missing:
        raise ArchiveError(f"{len(missing)} WARC file(s) of {name} are missing from the archive, "
                           f"e.g. {missing[0]}")
    info = io.BytesIO()
    writer = WARCWriter(info, gzip=True)
    writer.write_record(writer.create_warcinfo_record(Path(out).name, {
        "software": "redline (export)",
        "format": "WARC File Format 1.1",
        "description": f"every capture of {summary.url} archived by redline as source {name}",
        "isPartOf": name,
        "captures": str(summary.captures),
    }))
    with _atomic_file(Path(out)) as fh:
        fh.write(info.getvalue())
        for piece in pieces:
            fh.write(piece.read())
        size = fh.tell()
    return ExportResult(Path(out), len(pieces), size)


def export_texts(archive: Archive, name: str, out: Path) -> ExportResult:
    """Every version's text of source `name` in one zip at `out`, with manifest.json."""
    summary = views.source_summary(archive, name)
    versions = views.version_infos(archive, name)
    if not versions:
        raise NotFoundError(f"{name} has no version yet: nothing to export")
    manifest = {"source": views.to_json(summary), "exported_at": datetime.now(timezone.utc).isoformat(
        timespec="seconds"), "versions": []}
    with _atomic_file(Path(out)) as fh:
        with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for v in versions:
                filename = f"v{v.seq:04d}_{_stamp(v.first_seen)}_id{v.id}.txt"
                zf.writestr(filename, archive.get_text(v.text_sha256).encode("utf-8"))
                manifest["versions"].append({**views.to_json(v), "file": filename})
            zf.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8"))
        size = fh.tell()
    return ExportResult(Path(out), len(versions), size)
