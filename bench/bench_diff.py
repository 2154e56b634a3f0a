"""Time redline.text.diff.diff_texts on statement-sized texts; prints a markdown table.

    .venv/bin/python bench/bench_diff.py [--runs 5] [--timeout 30]

Texts: English built from the seed statements (seeds/*.txt), Chinese from the
corpus in tests/data/diff_cases.toml, about 8 KB and 200 KB (characters), each
with 5 and 300 scattered word edits (Chinese: character edits). Both engines:
"fast" (fast_diff_match_patch, C++) and "python" (diff_match_patch). Each cell is
the median wall time of --runs runs of the whole diff_texts call (tokenizing,
engine, cleanup, hunks).
"""
from __future__ import annotations

import argparse
import random
import re
import statistics
import time
import tomllib
from pathlib import Path

from redline.text.diff import diff_texts

PROJECT = Path(__file__).resolve().parents[1]


def paragraphs(language: str) -> list[str]:
    if language == "en":
        return [p for f in sorted((PROJECT / "seeds").glob("*.txt"))
                for p in f.read_text(encoding="utf-8").splitlines() if p.strip()]
    data = tomllib.loads((PROJECT / "tests" / "data" / "diff_cases.toml").read_text(encoding="utf-8"))
    return data["corpus"]["zh"]


def build(language: str, size: int, rng: random.Random) -> str:
    pool = paragraphs(language)
    if language == "zh":  # regroup sentences so the text does not repeat whole paragraphs
        sentences = [s for p in pool for s in re.findall(r"[^。]+。", p)]
        pool = ["".join(rng.sample(sentences, 3)) for _ in range(200)]
    out, n = [], 0
    while n < size:
        out.append(rng.choice(pool))
        n += len(out[-1]) + 1
    return "\n".join(out)


def edit(text: str, n: int, language: str, rng: random.Random) -> str:
    spots = list(re.finditer(r"[\u4e00-\u9fff]" if language == "zh" else r"[A-Za-z]{4,}", text))
    parts, last = [], 0
    for i, k in enumerate(sorted(rng.sample(range(len(spots)), n))):
        m = spots[k]
        parts += [text[last:m.start()], chr(0x3400 + i) if language == "zh" else f"zq{i}x"]
        last = m.end()
    return "".join(parts + [text[last:]])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per cell (median reported)")
    parser.add_argument("--timeout", type=float, default=30.0, help="diff_texts time limit, seconds")
    args = parser.parse_args(argv)
    rng = random.Random(2024)
    print(f"median of {args.runs} runs, timeout {args.timeout:g} s\n")
    print("| language | size | edits | engine | median ms | hunks | words +/- | timed out |")
    print("|---|---:|---:|---|---:|---:|---:|---|")
    for language in ("en", "zh"):
        for size in (8_000, 200_000):
            a = build(language, size, rng)
            for edits in (5, 300):
                b = edit(a, edits, language, rng)
                for engine in ("fast", "python"):
                    times = []
                    for _ in range(args.runs):
                        started = time.perf_counter()
                        d = diff_texts(a, b, timeout=args.timeout, engine=engine)
                        times.append(time.perf_counter() - started)
                    s = d.stats
                    print(f"| {language} | {len(a) / 1000:.0f} K | {edits} | {engine} | "
                          f"{statistics.median(times) * 1000:.1f} | {s.hunks} | "
                          f"{s.inserted_words}/{s.deleted_words} | {'yes' if d.timed_out else 'no'} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
