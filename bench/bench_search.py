"""Search over a generated archive of 100,000 versions (issue 16: under 200 ms a query).

    .venv/bin/python bench/bench_search.py [--sources 1000] [--versions 100] [--runs 5]

Each source gets `--versions` versions of about 20 paragraphs, English or Chinese, drawn
from a shared pool; each version replaces one or two paragraphs of the one before (as real
revisions do), so the index holds what changes. Versions are added through the archive's own
version path (the search index is kept there); the text blobs are left out (search never
reads them). Prints a markdown table: build time, index size, median and worst ms per query.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from redline.core.model import Source  # noqa: E402
from redline.store.readsearch import search  # noqa: E402
from redline.store.sqlite import Archive, NewVersion  # noqa: E402

EN_WORDS = ("cyberspace governance sovereignty cooperation security development community shared future "
            "international law norms responsible state behaviour united nations dialogue partnership data "
            "digital economy capacity building multilateral stability peace openness").split()
ZH_CHARS = "网络空间命运共同体主权合作安全发展国际规则联合国对话伙伴数据数字经济能力建设多边稳定和平开放"
QUERIES = ("community with a shared future", "网络空间命运共同体", "responsible state behaviour", "网络主权",
           "the UN should play a leading role", "sovereignty", "数据", "a phrase that no version holds")


def _paragraph(rng: random.Random, zh: bool) -> str:
    if zh:
        return "".join(rng.choice(ZH_CHARS) for _ in range(rng.randint(40, 120))) + "。"
    return " ".join(rng.choice(EN_WORDS) for _ in range(rng.randint(20, 60))).capitalize() + "."


def build(root: Path, *, sources: int, versions: int, seed: int = 7, texts: bool = False) -> float:
    """Build the archive; `texts`: store each version's text blob too (bench_phrases reads some)."""
    rng = random.Random(seed)
    pool = [_paragraph(rng, i % 3 == 0) for i in range(5000)]
    pool[:4] = ["China stands for building a community with a shared future in cyberspace.",
                "双方同意尊重网络主权，构建网络空间命运共同体。",
                "We underlined that the UN should play a leading role in this sphere.",
                "States should observe responsible state behaviour in cyberspace."]
    started = time.perf_counter()
    with Archive(root, durable=False) as archive:
        archive.sync_sources([Source(name=f"s{i:05d}", url=f"https://example.org/{i}") for i in range(sources)])
        when = datetime(2020, 1, 1, tzinfo=timezone.utc)
        for i in range(sources):
            name, paragraphs = f"s{i:05d}", rng.sample(pool, 20)
            with archive._tx() as db:   # one transaction per source: this builds the bench's archive fast
                for seq in range(1, versions + 1):
                    for _ in range(rng.randint(1, 2)):
                        paragraphs[rng.randrange(len(paragraphs))] = rng.choice(pool)
                    text = "\n".join(paragraphs)
                    digest = archive.put_text(text) if texts else f"{i:05d}{seq:06d}"
                    archive._add_version(db, name, digest, NewVersion(
                        text=text, title=name, origin="capture", normalizer_version=1, first_seen=when), None, seq - 1)
        archive.index_search()   # as the end of a run does
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--versions", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "archive"
        built = build(root, sources=args.sources, versions=args.versions)
        size = (root / "index.sqlite").stat().st_size
        rows = []
        with Archive(root) as archive:
            total = archive.counts()["versions"]
            for query in QUERIES:
                times, hits = [], 0
                for _ in range(args.runs):
                    t0 = time.perf_counter()
                    hits = len(search(archive, query, limit=200))
                    times.append((time.perf_counter() - t0) * 1000)
                rows.append((query, hits, statistics.median(times), max(times)))
    worst = max(r[3] for r in rows)
    print(f"| search, {total:,} versions ({args.sources:,} sources x {args.versions}) | built in {built:.0f} s, "
          f"index {size / 1e6:.0f} MB; worst query {worst:.0f} ms (target < 200 ms: "
          f"{'MET' if worst < 200 else 'MISS'}) |")
    print("\n| query | hits (max 200) | median ms | worst ms |\n|---|---:|---:|---:|")
    for query, hits, median, most in rows:
        print(f"| {query} | {hits} | {median:.1f} | {most:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
