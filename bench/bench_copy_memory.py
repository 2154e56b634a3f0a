"""Peak memory of the row copy of `redline store copy` (redline.store.copytables: copy_rows and
the per-table digests of both sides) on a generated index of `--versions` versions (and as many
captures), SQLite -> PostgreSQL 15 and back, each in a fresh process (its peak RSS, ru_maxrss).
`--module FILE` runs another copytables (the one before chunked reads, to compare).

    .venv/bin/python bench/bench_copy_memory.py [--versions 120000] [--module OLD_COPYTABLES.py]
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from support.pgserver import PgServer  # noqa: E402

from redline.store.sqlite import Archive  # noqa: E402

SOURCES = 1000


def make_index(root: Path, versions: int) -> None:
    """An index.sqlite with `versions` versions, each with its capture (rows as a run writes them)."""
    Archive(root, store="", blobs="").close()
    db = sqlite3.connect(root / "index.sqlite")
    now = "2026-01-01T00:00:00Z"
    db.executemany("INSERT INTO sources (name, url, title, added_at) VALUES (?,?,?,?)",
                   [(f"s{k}", f"https://example.org/statements/{k}.html", f"Statement {k}", now) for k in range(SOURCES)])
    for start in range(0, versions, 10000):
        ids = range(start + 1, min(versions, start + 10000) + 1)
        db.executemany(
            "INSERT INTO captures (id, source, run_id, url, final_url, fetched_at, status, content_type, raw_sha256, "
            "body_bytes, warc_path, warc_offset, warc_length, warc_record_id, text_sha256) "
            "VALUES (?,?,?,?,?,?,200,'text/html; charset=utf-8',?,?,?,0,?,?,?)",
            [(i, f"s{i % SOURCES}", f"run-{i // SOURCES}", f"https://example.org/statements/{i % SOURCES}.html",
              f"https://example.org/statements/{i % SOURCES}.html", now, f"{i:064x}", 20000,
              f"warc/2026/01/{i:020d}-s{i % SOURCES}.warc.gz", 4000 + i % 997, f"<urn:uuid:{i:032x}>", f"{i:064x}")
             for i in ids])
        db.executemany("INSERT INTO versions (id, source, seq, text_sha256, capture_id, first_seen, origin, title, chars) "
                       "VALUES (?,?,?,?,?,?,'capture',?,?)",
                       [(i, f"s{i % SOURCES}", i // SOURCES + 1, f"{i:064x}", i, now, f"Statement {i % SOURCES}", 5000)
                        for i in ids])
    db.commit()
    db.close()


def child(module: str | None, source: str, store: str, dest: str, dest_store: str) -> None:
    """One copy and both digests, in this process; prints its seconds and peak RSS (MB) as JSON."""
    if module:
        spec = importlib.util.spec_from_file_location("copytables_other", module)
        copytables = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(copytables)
    else:
        from redline.store import copytables
    start = time.perf_counter()
    with Archive(Path(source), store=store, blobs="", filling=True) as a, \
            Archive(Path(dest), store=dest_store, blobs="", filling=True) as b:
        tables = copytables.check_tables(a, source)
        copytables.copy_rows(a, b, tables)
        same = all(copytables.table_digest(a, t) == copytables.table_digest(b, t) for t in tables)
    print(json.dumps({"seconds": round(time.perf_counter() - start, 1), "same": same,
                      "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))


def run_child(module: str | None, *args: str) -> dict:
    argv = [sys.executable, __file__, "--child", *args] + (["--module", module] if module else [])
    env = {k: v for k, v in os.environ.items() if k not in ("REDLINE_STORE", "REDLINE_BLOBS")}
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--versions", type=int, default=120_000)
    ap.add_argument("--module", help="another copytables.py to measure")
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.module, *args.child)
        return 0
    with tempfile.TemporaryDirectory(prefix="redline-bench-copymem-") as tmp:
        tmp_path = Path(tmp)
        server = PgServer().start()
        try:
            make_index(tmp_path / "folder", args.versions)
            url = server.new_database()
            there = run_child(args.module, str(tmp_path / "folder"), "", str(tmp_path / "shared"), url)
            back = run_child(args.module, str(tmp_path / "shared"), url, str(tmp_path / "back"), "")
        finally:
            server.stop()
    rows = 2 * args.versions + SOURCES
    print(f"{args.versions:,} versions ({rows:,} rows), {'copytables ' + args.module if args.module else 'chunked'}:")
    for label, r in (("SQLite -> PostgreSQL", there), ("PostgreSQL -> SQLite", back)):
        print(f"| {label} | peak RSS {r['peak_mb']} MB | {r['seconds']} s | digests equal: {r['same']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
