"""Time the archive view on a source with 5,000 versions; prints a markdown table.

    .venv/bin/python bench/bench_browse.py [--versions 5000] [--runs 5]

Builds a temporary archive through the archive's own API (Archive.record_check,
as the monitor does): one source with --versions versions, each made by a
capture, with a "not modified" capture between two versions (so ~2 x versions
timeline rows), and 20 other sources with one version each. Each version is the
first seed statement with one word changed and a revision line. Then it times, through the web
app in process (httpx over ASGI: routing, queries, templates, JSON; no sockets)
and the views underneath: the sources list, the first, a middle and the last
timeline page (100 rows a page), a version page, two comparisons, the alerts
list, and `redline history`'s query of every version. Each cell is the median
of --runs runs after one warm-up. Diagnostics go to stderr.
"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import anyio
import httpx

from redline.store import readmodel as views
from redline.store.sqlite import Archive, NewAlert, NewChange, NewVersion
from redline.core.model import FetchResult, Source
from redline.web.app import create_app

PROJECT = Path(__file__).resolve().parents[1]
NAME = "big-statement"


def texts(n: int) -> list[str]:
    """n distinct statement texts: the seed with one word changed (a different one each time) and a
    revision line, so neighbouring versions differ in two places."""
    base = (PROJECT / "seeds" / "000_f3c8cea24e4c5715.txt").read_text(encoding="utf-8")
    words = list(re.finditer(r"[A-Za-z]{5,}", base))
    out = []
    for i in range(n):
        m = words[(i * 7) % len(words)]
        out.append(f"{base[:m.start()]}{m.group(0)}{i}{base[m.end():]}\nRevision {i}.")
    return out


def result(url: str, when: datetime, status: int, body: bytes = b"") -> FetchResult:
    return FetchResult(url=url, final_url=url, status=status, fetched_at=when, body=body,
                       response_headers=(("Content-Type", "text/html"),), not_modified=status == 304)


def build(root: Path, versions: int) -> Archive:
    archive = Archive(root)
    big = Source(name=NAME, url="https://www.example.org/big.html", title="A statement revised 5,000 times",
                 tags=("bench",))
    others = [Source(name=f"other-{i:02d}", url=f"https://www.example.org/{i}.html", title=f"Statement {i}",
                     tags=("bench", "small")) for i in range(20)]
    archive.sync_sources([big, *others])
    start = datetime(2010, 1, 1, tzinfo=timezone.utc)
    started = time.monotonic()
    for i, text in enumerate(texts(versions)):
        when = start + timedelta(hours=12 * i)
        change = None if i == 0 else NewChange("substantive", ("wording",), {"hunks": 1})
        alert = None if i == 0 or i % 50 else NewAlert(kind="change", title=big.title, url=big.url,
                                                        summary="Wording changed in 1 place")
        archive.record_check(NAME, result(big.url, when, 200, text.encode()), run_id=f"r{i}",
                             versions=[(NewVersion(text=text, title=big.title, origin="capture",
                                                   normalizer_version=1), change)],
                             alert=alert, sinks=("alert-log",) if alert else ())
        archive.record_check(NAME, result(big.url, when + timedelta(hours=6), 304), run_id=f"r{i}b")
        if i % 1000 == 999:
            print(f"built {i + 1} versions in {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    for s in others:
        archive.import_baseline(s, f"{s.title}\nThe text of {s.name}.", normalizer_version=1)
    return archive


class Client:
    def __init__(self, app) -> None:
        self.app = app

    def get(self, url: str) -> httpx.Response:
        async def go() -> httpx.Response:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://bench") as c:
                return await c.get(url)
        r = anyio.run(go)
        if r.status_code != 200:
            raise SystemExit(f"{url}: HTTP {r.status_code}: {r.text[:200]}")
        return r


def timed(fn, runs: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="redline-bench-browse-") as tmp:
        started = time.monotonic()
        archive = build(Path(tmp), args.versions)
        built = time.monotonic() - started
        client = Client(create_app(archive))
        vs = views.version_infos(archive, NAME)
        first, middle, last = vs[0], vs[len(vs) // 2], vs[-1]
        pages = views.timeline(archive, NAME).page.pages
        rows = [
            ("sources list (21 sources)", "/", "/api/sources"),
            ("timeline, page 1 of %d" % pages, f"/sources/{NAME}", f"/api/sources/{NAME}"),
            ("timeline, page %d (middle)" % (pages // 2), f"/sources/{NAME}?page={pages // 2}",
             f"/api/sources/{NAME}?page={pages // 2}"),
            ("timeline, page %d (last)" % pages, f"/sources/{NAME}?page={pages}", f"/api/sources/{NAME}?page={pages}"),
            ("version page (the middle one)", f"/sources/{NAME}/versions/{middle.id}",
             f"/api/sources/{NAME}/versions/{middle.id}"),
            ("compare latest with previous (inline)", f"/sources/{NAME}/compare",
             f"/api/sources/{NAME}/compare"),
            ("compare first with last (side by side)", f"/sources/{NAME}/compare?a={first.id}&b={last.id}&view=side",
             f"/api/sources/{NAME}/compare?a={first.id}&b={last.id}"),
            ("alerts list, page 1", "/alerts", "/api/alerts"),
        ]
        print(f"{args.versions} versions, {archive.counts()['captures']} captures, "
              f"{archive.counts()['alerts']} alerts in one source (built in {built:.0f} s); "
              f"median of {args.runs} runs, in process (no sockets)\n")
        print("| page | HTML ms | JSON ms |")
        print("|---|---:|---:|")
        for label, page, twin in rows:
            html_ms = timed(lambda: client.get(page), args.runs)
            json_ms = timed(lambda: client.get(twin), args.runs)
            print(f"| {label} | {html_ms:.1f} | {json_ms:.1f} |", flush=True)
        every = timed(lambda: views.version_infos(archive, NAME), args.runs)
        print(f"| `redline history` query: all {args.versions} versions (views.version_infos) | {every:.1f} | |")
        archive.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
