"""Old (BeautifulSoup, bench/normalize_bs4.py) vs new (lxml, text.normalize) normalizer: median ms per page.

    .venv/bin/python bench/bench_normalize.py [--repeat 7]

Over tests/fixtures/ (every HTML page): each page normalized `repeat` times by each, the median kept.
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import normalize_bs4 as old   # bench/, beside this script
from redline.text import normalize as new

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"


def _median_ms(fn, html: str, repeat: int) -> float:  # noqa: ANN001
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(html)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    rows = []
    for path in sorted(FIXTURES.rglob("*.html")):
        html = path.read_text(encoding="utf-8")
        a, b = _median_ms(old.normalize, html, args.repeat), _median_ms(new.normalize, html, args.repeat)
        rows.append((a, b))
        print(f"{path.name[:60]:60} bs4 {a:7.2f} ms  lxml {b:6.2f} ms  x{a / b:5.1f}")
    a, b = statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows)
    print(f"{'median per page':60} bs4 {a:7.2f} ms  lxml {b:6.2f} ms  x{a / b:5.1f}")


if __name__ == "__main__":
    main()
