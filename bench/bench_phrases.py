"""`redline phrases` over a generated archive (bench_search's: every version a revision of one or
two paragraphs, text blobs stored): the seed watch list, all phrases and one.

    .venv/bin/python bench/bench_phrases.py [--sources 200] [--versions 100] [--runs 3]

The report reads the search index's distinct lines, not every version's text, so its cost follows
what changed. Prints a markdown table row and a table per query (median and worst seconds).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_search import build  # noqa: E402
from redline.registry.watch import SEED_WATCH, read_watch_file  # noqa: E402
from redline.store.readphrases import phrase_report  # noqa: E402
from redline.store.sqlite import Archive  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=200)
    parser.add_argument("--versions", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    watch = read_watch_file(SEED_WATCH)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "archive"
        built = build(root, sources=args.sources, versions=args.versions, texts=True)
        rows = []
        with Archive(root) as archive:
            total = archive.counts()["versions"]
            for label, phrase in (("every watched phrase", None), ("one phrase", watch[0].phrase)):
                times, spans = [], 0
                for _ in range(args.runs):
                    t0 = time.perf_counter()
                    spans = sum(len(r.spans) for r in phrase_report(archive, watch, phrase=phrase))
                    times.append(time.perf_counter() - t0)
                rows.append((label, spans, statistics.median(times), max(times)))
    print(f"| phrases, {total:,} versions ({args.sources:,} sources x {args.versions}), {len(watch)} watched | "
          f"built in {built:.0f} s; all phrases {rows[0][2]:.2f} s, one {rows[1][2]:.2f} s (median) |")
    print("\n| query | spans | median s | worst s |\n|---|---:|---:|---:|")
    for label, spans, median, most in rows:
        print(f"| {label} | {spans} | {median:.2f} | {most:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
