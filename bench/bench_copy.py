"""The cost of `redline store copy`: a folder archive of `--sources` sources (each: a baseline, a
check with a change, an alert and its delivery, a plain check, an unchanged check in a batch)
copied to PostgreSQL 15 + SeaweedFS and back to a new folder, both started here as the tests
start them (bench/shared_backend.py). Timed around copy_archive (the copy, the comparison of both sides, the verify).

    .venv/bin/python bench/bench_copy.py [--sources 2000]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from bench_store import BATCH, fetched  # noqa: E402
from shared_backend import shared_backend, why_not  # noqa: E402

from redline.core.model import Source  # noqa: E402
from redline.store.blobs import FolderBlobs  # noqa: E402
from redline.store.copy import copy_archive  # noqa: E402
from redline.store.verify import verify_archive  # noqa: E402
from redline.store.sqlite import Archive, NewAlert, NewChange, NewVersion, PendingCheck  # noqa: E402


def make_archive(root: Path, n: int) -> None:
    sources = [Source(name=f"s{k}", url=f"https://example.org/{k}.html", title=f"S{k}") for k in range(n)]
    with Archive(root, store="", blobs="") as archive:
        archive.sync_sources(sources)
        for s in sources:
            archive.import_baseline(s, f"Statement {s.name}\nThe old wording.", normalizer_version=1)
            text = f"Statement {s.name}\nThe new wording."
            archive.record_check(s.name, fetched(s.url, text.encode()), run_id="bench", text_sha256="x",
                                 versions=[(NewVersion(text=text, title=s.title, origin="capture", normalizer_version=1),
                                            NewChange(kind="substantive", reasons=("bench",)))],
                                 alert=NewAlert(kind="substantive", title=s.title, url=s.url, summary="changed"),
                                 sinks=())
            archive.record_check(s.name, fetched(s.url, b"same"), run_id="bench", raw_sha256="r")
        pending = [PendingCheck(source=s.name, result=fetched(s.url, b""), body_bytes=4, run_id="bench",
                                record=b"\x1f\x8b" + b"\0" * 40, record_id=f"<urn:uuid:{k}>", revisit=True,
                                raw_sha256="r", seen_checks=archive.state(s.name).checks)
                   for k, s in enumerate(sources)]
        for i in range(0, n, BATCH):
            archive.record_unchanged(pending[i:i + BATCH])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sources", type=int, default=2000)
    args = ap.parse_args()
    if why_not():
        print(f"bench_copy: {why_not()}")
        return 1
    with tempfile.TemporaryDirectory(prefix="redline-bench-copy-") as tmp:
        tmp_path = Path(tmp)
        with shared_backend(tmp_path) as backend:
            for name in ("REDLINE_STORE", "REDLINE_BLOBS"):
                os.environ.pop(name, None)
            make_archive(tmp_path / "folder", args.sources)
            own = verify_archive(tmp_path / "folder", store="", blobs=FolderBlobs(tmp_path / "folder"))
            url, blobs = backend.store, backend.blobs
            start = time.perf_counter()
            there = copy_archive(tmp_path / "folder", tmp_path / "shared", dest_store=url, blobs=blobs)
            forth = time.perf_counter() - start
            os.environ.update(REDLINE_STORE=url, REDLINE_BLOBS=blobs)
            start = time.perf_counter()
            back = copy_archive(tmp_path / "shared", tmp_path / "back", dest_store=None)
            backward = time.perf_counter() - start
    rows = sum(a.count for a, _ in there.tables.values())
    files = sum(a.count for a, _ in there.blobs.values())
    print(f"{args.sources:,} sources: {rows:,} rows, {files:,} blobs; verify errors in the source: "
          f"{len(own.errors)} (the bench's records are not whole WARC records; the copies must have as many)")
    print("\n| direction | time | differences | verify errors |\n|---|---:|---:|---:|")
    for label, seconds, report in (("folder -> PostgreSQL + S3", forth, there), ("PostgreSQL + S3 -> folder", backward, back)):
        assert report.verify is not None
        print(f"| {label} | {seconds:.1f} s | {len(report.differences)} | {len(report.verify.errors)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
