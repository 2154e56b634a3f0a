"""The check cost on each index backend: SQLite (index.sqlite, synchronous=FULL) against
PostgreSQL 15 on loopback (fsync on, started here as the tests start it), same record modules.

    .venv/bin/python bench/bench_store.py [--checks 1000] [--repeats 3]

Per backend, `--checks` sources; timed around the store calls only (no fetch, no normalizing):
    record_check, change    a check with a new version, its change, an alert and one delivery
    record_check, plain     a check that records only its capture (a 200 not batched, an error)
    record_unchanged        the same number of unchanged checks in batches of 500 (one WARC
                            file, one transaction each), as redline.store.batching writes them
Prints the median time per check and the PostgreSQL / SQLite ratio.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from support.pgserver import PgServer, missing  # noqa: E402

from redline.core.model import FetchResult, Source  # noqa: E402
from redline.store.sqlite import Archive, NewAlert, NewChange, NewVersion, PendingCheck  # noqa: E402

BATCH = 500


def fetched(url: str, body: bytes) -> FetchResult:
    return FetchResult(url=url, final_url=url, status=200, fetched_at=datetime.now(timezone.utc),
                       request_headers=(("User-Agent", "bench"),), response_headers=(("ETag", '"x"'),),
                       body=body, text=body.decode(), encoding="utf-8")


def one_round(store: str | None, checks: int) -> dict[str, float]:
    """Seconds per check of each kind, on a fresh archive (store: a postgresql:// URL, or None)."""
    with tempfile.TemporaryDirectory(prefix="redline-bench-store-") as tmp:
        sources = [Source(name=f"s{k}", url=f"https://example.org/{k}.html", title=f"S{k}") for k in range(checks)]
        with Archive(Path(tmp) / "archive", store=store) as archive:
            archive.sync_sources(sources)
            for s in sources:
                archive.import_baseline(s, f"Statement {s.name}\nThe old wording.", normalizer_version=1)
            out: dict[str, float] = {}
            start = time.perf_counter()
            for s in sources:
                text = f"Statement {s.name}\nThe new wording."
                archive.record_check(s.name, fetched(s.url, text.encode()), run_id="bench", text_sha256="x",
                                     versions=[(NewVersion(text=text, title=s.title, origin="capture", normalizer_version=1),
                                                NewChange(kind="substantive", reasons=("bench",)))],
                                     alert=NewAlert(kind="substantive", title=s.title, url=s.url, summary="changed"),
                                     sinks=("alert-log",))
            out["record_check, change"] = (time.perf_counter() - start) / checks
            start = time.perf_counter()
            for s in sources:
                archive.record_check(s.name, fetched(s.url, b"same"), run_id="bench", raw_sha256="r")
            out["record_check, plain"] = (time.perf_counter() - start) / checks
            states = {s.name: archive.state(s.name).checks for s in sources}
            pending = [PendingCheck(source=s.name, result=fetched(s.url, b""), body_bytes=4, run_id="bench",
                                    record=b"\x1f\x8b" + b"\0" * 40, record_id=f"<urn:uuid:{k}>", revisit=True,
                                    raw_sha256="r", seen_checks=states[s.name]) for k, s in enumerate(sources)]
            start = time.perf_counter()
            for i in range(0, checks, BATCH):
                archive.record_unchanged(pending[i:i + BATCH])
            out["record_unchanged"] = (time.perf_counter() - start) / checks
            return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checks", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    why = missing()
    if why:
        print(f"bench_store: {why}")
        return 1
    server = PgServer(durable=True).start()
    try:
        results: dict[str, list[dict[str, float]]] = {"sqlite": [], "postgresql": []}
        for _ in range(args.repeats):
            results["sqlite"].append(one_round(None, args.checks))
            results["postgresql"].append(one_round(server.new_database(), args.checks))
    finally:
        server.stop()
    print(f"{args.checks:,} checks per kind, median of {args.repeats}; PostgreSQL 15 on loopback, fsync on; "
          "SQLite synchronous=FULL.\n")
    print("| store call, per check | SQLite (ms) | PostgreSQL (ms) | PostgreSQL / SQLite |\n|---|---|---|---|")
    for kind in results["sqlite"][0]:
        lite = statistics.median(r[kind] for r in results["sqlite"]) * 1000
        pg = statistics.median(r[kind] for r in results["postgresql"]) * 1000
        print(f"| {kind} | {lite:.3f} | {pg:.3f} | {pg / lite:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
