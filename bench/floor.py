"""The floor: the same pages fetched with httpx and normalized with redline's parser, nothing else.

    .venv/bin/python bench/floor.py --jobs jobs.json --state state.json [--concurrency 2]

jobs.json is a list of [url, profile]. One httpx.Client with redline's client
settings (timeout, headers, no redirect following), --concurrency threads,
conditional GETs from the ETag / Last-Modified kept in --state (a JSON file,
as the tool's memory between cycles), charset decoding and
redline.text.normalize.normalize with the page's profile for each 200. No archive,
no diff, no Prefect. With --fetch-only, the physical floor: the conditional GETs alone
(no decoding, no parse). Prints one JSON line: pages, statuses, seconds.
"""
from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from redline.ingest.charset import decode_body
from redline.ingest.fetch import ACCEPT, DEFAULT_UA
from redline.text.normalize import normalize


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", required=True)
    parser.add_argument("--state", required=True)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=20.0)
    parser.add_argument("--fetch-only", action="store_true", help="no decoding, no parse: the physical floor")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    jobs = json.loads(Path(args.jobs).read_text())
    state_path = Path(args.state)
    state = json.loads(state_path.read_text()) if state_path.exists() else {}
    client = httpx.Client(timeout=httpx.Timeout(args.timeout), follow_redirects=False,
                          headers={"User-Agent": DEFAULT_UA, "Accept": ACCEPT})

    def one(job: list[str]) -> tuple[str, int, int]:
        url, profile = job
        known = state.get(url, {})
        headers = {}
        if known.get("etag"):
            headers["If-None-Match"] = known["etag"]
        if known.get("last_modified"):
            headers["If-Modified-Since"] = known["last_modified"]
        r = client.get(url, headers=headers)
        if r.status_code != 200:
            return url, r.status_code, 0
        if args.fetch_only:
            state[url] = {"etag": r.headers.get("etag"), "last_modified": r.headers.get("last-modified")}
            return url, 200, len(r.content)
        text, _, _ = decode_body(r.content, r.headers.get("content-type"))
        chars = len(normalize(text, profile=profile, url=url).text)
        state[url] = {"etag": r.headers.get("etag"), "last_modified": r.headers.get("last-modified")}
        return url, 200, chars

    with client, ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        results = list(pool.map(one, jobs))
    state_path.write_text(json.dumps(state))
    statuses: dict[str, int] = {}
    for _, status, _ in results:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    print(json.dumps({"pages": len(results), "statuses": statuses,
                      "chars": sum(c for _, _, c in results), "seconds": time.perf_counter() - started}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
