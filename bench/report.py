"""Write BENCHMARKS.md from the benchmark results (bench/results/*) and bench/analysis.md.

    .venv/bin/python bench/report.py [--cycle bench/results/cycle.json] [--out BENCHMARKS.md]

Every time is a median over the repeats; every ratio is computed within one
repeat (the tools ran back to back on the same pages) and then its median taken.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
RESULTS = PROJECT / "bench" / "results"
CYCLES = ("cold", "steady-304", "unchanged-304", "steady-200", "unchanged-200")
CYCLE_TEXT = {
    "cold": "cold (first cycle, empty state)",
    "steady-304": "steady, 1% reworded, server sends 304s",
    "unchanged-304": "unchanged, server sends 304s",
    "steady-200": "steady, 1% reworded, no 304 support",
    "unchanged-200": "unchanged, no 304 support (identical 200s)",
}
REDLINE_PACKAGES = ("prefect", "httpx", "beautifulsoup4", "lxml", "soupsieve", "warcio", "fast-diff-match-patch")
BENCH_PACKAGES = ("urlwatch", "requests", "beautifulsoup4", "lxml", "cssselect", "minidb")


def med(xs: list[float]) -> float | None:
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x: float | None, spec: str = ".2f", suffix: str = "") -> str:
    return "n/a" if x is None else f"{x:{spec}}{suffix}"


def machine() -> list[str]:
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    cpu = ""
    try:
        cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), "")
    except OSError:
        pass
    versions = []
    for p in REDLINE_PACKAGES:
        try:
            versions.append(f"{p} {metadata.version(p)}")
        except metadata.PackageNotFoundError:
            pass
    bench_py = PROJECT / "bench" / ".venv-urlwatch" / "bin" / "python"
    bench_versions = ""
    if bench_py.exists():
        code = ("from importlib import metadata as m\nfor p in %r:\n"
                "    try: print(p, m.version(p))\n    except Exception: pass" % (BENCH_PACKAGES,))
        out = subprocess.run([str(bench_py), "-c", code], capture_output=True, text=True).stdout
        bench_versions = ", ".join(out.split("\n")[:-1])
    return [f"- CPU: {os.cpu_count()} cores (`nproc`), {cpu or 'unknown model'}; memory {mem}",
            f"- OS: {platform.system()} {platform.release()}; Python {platform.python_version()}",
            f"- redline's environment (`.venv`, requirements.lock): {', '.join(versions)}",
            f"- benchmark environment (`bench/.venv-urlwatch`, requirements-bench.lock): {bench_versions}"]


def index(runs: list[dict]) -> dict:
    out: dict = {}
    for r in runs:
        out.setdefault((r["n"], r["cycle"], r["tool"]), []).append(r)
    return out


def ratio(runs: list[dict], n: int, cycle: str, a: str, b: str) -> float | None:
    """Median over repeats of wall(a)/wall(b), both from the same repeat."""
    by_rep: dict[int, dict[str, float]] = {}
    for r in runs:
        if r["n"] == n and r["cycle"] == cycle and r["rc"] == 0:
            by_rep.setdefault(r["rep"], {})[r["tool"]] = r["wall"]
    return med([t[a] / t[b] for t in by_rep.values() if a in t and b in t])


def cycle_table(doc: dict) -> list[str]:
    runs, ix = doc["runs"], index(doc["runs"])
    lines = ["| N | cycle | runs | redline s | pages/s | peak MB | floor s | floor MB | urlwatch s | urlwatch MB "
             "| redline ÷ floor | urlwatch ÷ redline |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for size in doc["sizes"]:
        n = size["n"]
        for cycle in CYCLES:
            red = [r for r in ix.get((n, cycle, "redline"), []) if r["rc"] == 0]
            if not red:
                continue
            flo = ix.get((n, cycle, "floor"), [])
            uw = ix.get((n, cycle, "urlwatch"), [])
            w = med([r["wall"] for r in red])
            bad = sum(1 for r in ix.get((n, cycle, "redline"), []) + flo + uw
                      if r["rc"] != 0 or r.get("index", {}).get("errors"))
            runs_cell = f"{len(red)}" + (f" ({bad} with errors!)" if bad else "")
            lines.append(
                f"| {n:,} | {CYCLE_TEXT[cycle]} | {runs_cell} | {fmt(w)} | {fmt(n / w if w else None, '.0f')} | "
                f"{fmt(max(r['rss_mb'] for r in red), '.0f')} | {fmt(med([r['wall'] for r in flo]))} | "
                f"{fmt(max((r['rss_mb'] for r in flo), default=None), '.0f')} | "
                f"{fmt(med([r['wall'] for r in uw]))} | {fmt(max((r['rss_mb'] for r in uw), default=None), '.0f')} | "
                f"{fmt(ratio(runs, n, cycle, 'redline', 'floor'), '.2f', '×')} | "
                f"{fmt(ratio(runs, n, cycle, 'urlwatch', 'redline'), '.2f', '×')} |")
    return lines


def archive_table(doc: dict) -> list[str]:
    ix = index(doc["runs"])
    lines = ["| N | cycle | new versions | bytes added (apparent) | per check | bytes added (allocated) | per check "
             "| files added |", "|---:|---|---:|---:|---:|---:|---:|---:|"]
    for size in doc["sizes"]:
        n = size["n"]
        for cycle in CYCLES:
            red = [r for r in ix.get((n, cycle, "redline"), []) if r["rc"] == 0 and "archive" in r]
            if not red:
                continue
            app = med([r["archive"]["apparent"] for r in red])
            alloc = med([r["archive"]["allocated"] for r in red])
            lines.append(f"| {n:,} | {CYCLE_TEXT[cycle]} | {fmt(med([r['index']['versions'] for r in red]), '.0f')} | "
                         f"{app:,.0f} | {app / n:,.0f} | {alloc:,.0f} | {alloc / n:,.0f} | "
                         f"{fmt(med([r['archive']['files'] for r in red]), '.0f')} |")
    return lines


def targets(doc: dict) -> list[str]:
    runs, ix = doc["runs"], index(doc["runs"])
    rows = ["| target | measured | verdict |", "|---|---|---|"]

    def verdict(ok: bool | None) -> str:
        return "not measured" if ok is None else ("**PASS**" if ok else "**MISS**")

    for cycle in ("steady-304", "steady-200"):
        r = ratio(runs, 1000, cycle, "urlwatch", "redline")
        rows.append(f"| steady cycle of 1,000 sources ({CYCLE_TEXT[cycle].split(', ', 2)[-1]}) at least 3× "
                    f"faster than urlwatch | urlwatch ÷ redline = {fmt(r, '.2f', '×')} | "
                    f"{verdict(None if r is None else r >= 3)} |")
    for cycle in ("steady-304", "steady-200"):
        r = ratio(runs, 1000, cycle, "redline", "floor")
        rows.append(f"| steady cycle of 1,000 sources ({CYCLE_TEXT[cycle].split(', ', 2)[-1]}) within 1.5× "
                    f"of the floor | redline ÷ floor = {fmt(r, '.2f', '×')} | "
                    f"{verdict(None if r is None else r <= 1.5)} |")
    for cycle in ("unchanged-304", "unchanged-200"):
        red = [r for r in runs if r["cycle"] == cycle and r["tool"] == "redline" and r["rc"] == 0 and "archive" in r]
        if red:
            n = max(r["n"] for r in red)
            red = [r for r in red if r["n"] == n]
            app = med([r["archive"]["apparent"] / n for r in red])
            alloc = med([r["archive"]["allocated"] / n for r in red])
            rows.append(f"| an unchanged check adds under 1 KB to the archive ({CYCLE_TEXT[cycle].split(', ')[1]}) "
                        f"| {app:,.0f} B apparent, {alloc:,.0f} B allocated on disk (N = {n:,}) | "
                        f"apparent {verdict(app < 1024)}, on disk {verdict(alloc < 1024)} |")
    big = [r for r in runs if r["n"] >= 10_000 and r["tool"] == "redline" and r["rc"] == 0]
    peak = max((r["rss_mb"] for r in big), default=None)
    rows.append(f"| peak memory under 400 MB at 10,000 sources | "
                f"{fmt(peak, '.0f', ' MB') if peak else 'not run (make bench-large)'} | "
                f"{verdict(None if peak is None else peak < 400)} |")
    return rows


# The shared backend's sections (issue 15): (title, results file, what ran)
SCALE_SECTIONS = (
    ("Check cost: folder backend and shared backend (issue 15)", "backends.md",
     "`.venv/bin/python bench/bench_checks.py --pages 1000 --repeats 3 --backend both`: "
     "redline.monitor.check.check_batch timed in one process on the folder backend (SQLite index.sqlite "
     "and the folder's files), then on the shared one (REDLINE_STORE on PostgreSQL 15, REDLINE_BLOBS on "
     "SeaweedFS S3, both started by the bench on loopback, fsync on), against the same loopback site. "
     "Growth per check: the folder's apparent bytes and files; the database's size, its rows (every "
     "table), the WAL PostgreSQL wrote and the S3 objects added. The search index differs in when it is "
     "made: on SQLite its trigrams are made at the first search after the cold cycle (a run's finish_cycle "
     "does it at its end), on PostgreSQL the pg_trgm index is kept by each insert, inside the cold checks: "
     "compare cold + first search."),
    ("One worker and two on the shared backend (issue 15)", "workers.md",
     "`.venv/bin/python bench/bench_workers.py --sources N --hosts 8 --repeats 3` (`make bench`: N = 2,000; "
     "`make bench-large`: N = 10,000). Each worker is a process running "
     "redline.monitor.cycle.run_cycle, the function the `monitor` flow calls on a Prefect worker, with each "
     "host's batch on 4 threads as the flow's task runner runs its check-host tasks, its own archive folder, "
     "and its share of the sources by tag (every other host: shard-0, shard-1), against one PostgreSQL "
     "index and one S3 bucket. Prefect's server and workers are left out on purpose: what they add is a "
     "fixed cost per run (see \"The fixed cost of a run\" and \"A cycle under `redline serve`\"), the same "
     "with one worker or two, and a server on PostgreSQL with two workers (tests/e2e/test_workers.py) takes "
     "longer to start than the cycles measured here. Both workers run on this one 2-core machine, so two "
     "workers share the cores one had: the ratio is what this machine's spare CPU allowed, not a forecast "
     "for two machines; the CPU per page is the figure that carries over. "
     "The politeness bound is what REDLINE_HOST_DELAY allows (hosts checked at once ÷ delay); CPU per page "
     "is each side's CPU time over the cycle ÷ N."),
    ("`redline store copy` (issue 15)", "copy.md",
     "`.venv/bin/python bench/bench_copy.py --sources 2000`: a folder archive copied to PostgreSQL 15 + "
     "SeaweedFS and back, timed around copy_archive (copy, comparison, verify)."),
)


def scale_sections(results: Path, note: str = "") -> list[str]:
    md: list[str] = []
    for title, name, intro in SCALE_SECTIONS:
        path = results / name
        md += [f"## {title}", "", intro + note, "",
               path.read_text(encoding="utf-8").rstrip() if path.exists() else "not measured in this run", ""]
    return md


def splice(doc: str, sections: list[str]) -> str:
    """`doc` with each "## title" block of `sections` replaced (or appended when it is not there)."""
    blocks: dict[str, str] = {}
    title = None
    for line in sections:
        if line.startswith("## "):
            title = line
            blocks[title] = ""
        if title is not None:
            blocks[title] += line + "\n"
    lines, out, skipping = doc.splitlines(), [], False
    for line in lines:
        if line.startswith("## "):
            skipping = line in blocks
            if skipping:
                out.append(blocks.pop(line).rstrip("\n"))
                out.append("")
                continue
        if not skipping:
            out.append(line)
    text = "\n".join(out).rstrip("\n") + "\n"
    for block in blocks.values():
        text += "\n" + block.rstrip("\n") + "\n"
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycle", default=str(RESULTS / "cycle.json"))
    parser.add_argument("--fixed", default=str(RESULTS / "fixed.md"))
    parser.add_argument("--served", default=str(RESULTS / "served.md"))
    parser.add_argument("--checks", default=str(RESULTS / "checks.md"))
    parser.add_argument("--diff", default=str(RESULTS / "diff.md"))
    parser.add_argument("--browse", default=str(RESULTS / "browse.md"))
    parser.add_argument("--search", default=str(RESULTS / "search.md"))
    parser.add_argument("--phrases", default=str(RESULTS / "phrases.md"))
    parser.add_argument("--store", default=str(RESULTS / "store.md"))
    parser.add_argument("--analysis", default=str(PROJECT / "bench" / "analysis.md"))
    parser.add_argument("--command", default="make bench")
    parser.add_argument("--out", default=str(PROJECT / "BENCHMARKS.md"))
    parser.add_argument("--scale-only", action="store_true", help="rewrite only the shared backend's sections of "
                        "an existing BENCHMARKS.md (after running bench_checks --backend both, bench_workers, "
                        "bench_copy alone)")
    args = parser.parse_args(argv)
    if args.scale_only:
        out = Path(args.out)
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(max(p.stat().st_mtime for p in RESULTS.glob("*.md"))))
        note = (f" This section: from runs of this bench alone (the last ended {when}), spliced in by "
                "`bench/report.py --scale-only`, not from the run named at the top.")
        out.write_text(splice(out.read_text(encoding="utf-8"), scale_sections(RESULTS, note)), encoding="utf-8")
        print(f"rewrote the shared backend's sections of {out}", file=sys.stderr)
        return 0
    doc = json.loads(Path(args.cycle).read_text())
    sizes = ", ".join(f"{s['n']:,} ({s['repeats']} repeat{'s' if s['repeats'] != 1 else ''})"
                      for s in doc["sizes"])
    md = ["# Benchmarks", "",
          f"Written by `{args.command}` (bench/report.py) from the run of {doc['started']} to "
          f"{doc.get('finished', '?')}. Do not edit by hand: the analysis comes from bench/analysis.md.", "",
          "Other work ran on this machine at the same time, so absolute times are noisy: each number is a "
          "median over repeats, and each ratio is taken within one repeat (the tools ran back to back on "
          "the same pages) before its median is taken.", "",
          "## Targets", "", *targets(doc), "",
          "The targets of served cycles, of `redline refresh NAME --wait` and of `serve`'s memory (issue 14) "
          "are in \"A cycle under `redline serve`\" below, measured within that one run.", ""]
    analysis = Path(args.analysis)
    if analysis.exists():
        md += [analysis.read_text(encoding="utf-8").rstrip(), ""]
    md += ["## Machine", "", *machine(), "",
           "## Commands", "",
           "- `make bench` (N = 100 and 1,000) and `make bench-large` (adds N = 10,000) set up both "
           "environments, then run `bench/run.py`, which runs the steps below and this report.",
           f"- cycles: `.venv/bin/python bench/bench_cycle.py --sizes ... --repeats ...` (this run: {sizes}; "
           f"REDLINE_HOST_CONCURRENCY={doc['concurrency']}, REDLINE_HOST_DELAY=0, site latency "
           f"{doc['latency']:g} s, {doc['change_share']:.0%} of pages reworded in a steady cycle)",
           "- the fixed cost of a run: `.venv/bin/python bench/bench_fixed.py --runs 5` (each tool on one "
           "source, and the imports alone)",
           "- served: `.venv/bin/python bench/bench_served.py --pages 1000 --repeats 3` (cycles as runs of the "
           "deployment `redline serve` serves, warm, against urlwatch, the floor and the physical floor "
           "(`floor.py --fetch-only`: the conditional GETs alone) on one site; `redline refresh NAME --wait`; "
           "serve's memory over 100 served runs)",
           "- the checks alone: `.venv/bin/python bench/bench_checks.py --pages 1000 --repeats 3` "
           "(redline.monitor.check.check_batch timed in one process: no interpreter start, imports, Prefect or "
           "summary; the per-check part of a cycle)",
           "- diff: `.venv/bin/python bench/bench_diff.py --runs 5`",
           "- browse: `.venv/bin/python bench/bench_browse.py` (when it exists)",
           "- search: `.venv/bin/python bench/bench_search.py` (100,000 generated versions)",
           "- phrases: `.venv/bin/python bench/bench_phrases.py` (20,000 generated versions with their texts, "
           "the seed watch list)",
           "- index backends: `.venv/bin/python bench/bench_store.py --checks 1000 --repeats 3` (the store calls "
           "of a check on SQLite and on PostgreSQL 15, started by the benchmark)",
           "- the shared backend (issue 15): `bench/bench_checks.py --backend both`, `bench/bench_workers.py`, "
           "`bench/bench_copy.py` (each in its section at the end)", "",
           "What runs, per repeat, from empty state, each tool as a subprocess (wall time from process start "
           "to exit, peak RSS from `wait4`):", "",
           "- **site** (bench/site.py, its own process, asyncio, keep-alive): N pages of about 30 KB in the "
           "three real MFA templates (mfa_en_legacy, mfa_en_2024, mfa_zh, a third each), statement text of "
           "sentences reshuffled per page from the seeds and the MFA fixtures; ETag + Last-Modified and 304s, "
           "or neither; a steady cycle rewords one word of 1% of the pages first.",
           "- **redline**: `redline run --sources FILE --archive DIR` against one Prefect server started once "
           f"for the whole benchmark (start-up: {doc.get('prefect_start_seconds', 0):.1f} s, not counted in "
           f"any cycle; restarts during the run: {doc.get('prefect_restarts', 0)}). Everything else is counted: "
           "interpreter start, imports, the flow, fetch, WARC, normalize, diff, alerts, feeds, the summary table.",
           "- **floor** (bench/floor.py): the same pages with one httpx.Client (redline's client settings), "
           f"{doc['concurrency']} threads, conditional GETs from ETags kept between cycles, charset decoding and "
           "`redline.text.normalize.normalize` with the page's profile. Nothing else.",
           "- **urlwatch** 2.29 (own venv): one job per page with the filter `css: <the profile's body "
           "selector>` then `html2text: {method: bs4, parser: lxml}` (main content to text with the same "
           "parser), its own cache (minidb/SQLite), its default parallelism (10 threads), its ETag handling "
           "(If-None-Match), the console report written to a file.", "",
           "## Monitoring cycles", "", *cycle_table(doc), "",
           "## Archive growth (redline)", "",
           "Bytes added to the archive folder by one cycle (index.sqlite, WARC files, text blobs, feeds, "
           "alert log; not Prefect's home). Apparent = file sizes; allocated = blocks on disk (4 KB per "
           "small file on this ext4).", "", *archive_table(doc), ""]
    for title, path in (("The fixed cost of a run", Path(args.fixed)),
                        ("A cycle under `redline serve`", Path(args.served)),
                        ("The checks alone (no Prefect, no CLI)", Path(args.checks)), ("Diff", Path(args.diff)),
                        ("Browse view", Path(args.browse)), ("Search", Path(args.search)),
                        ("Watched formulations (`redline phrases`)", Path(args.phrases)),
                        ("Index backends: SQLite and PostgreSQL", Path(args.store))):
        md += [f"## {title}", ""]
        md += [path.read_text(encoding="utf-8").rstrip() if path.exists() else "not measured in this run", ""]
    md += scale_sections(RESULTS)
    Path(args.out).write_text("\n".join(md), encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
