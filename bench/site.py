"""A loopback site of N statement pages for the cycle benchmarks.

    .venv/bin/python bench/site.py --pages 1000 [--port 0] [--bind 127.0.0.1] [--latency 0] [--no-conditional]

Pages are built with redline.demo.pages.seed_page in the three real MFA templates
(mfa_en_legacy, mfa_en_2024, mfa_zh; one page in three each), with synthetic
statement text of sentences reshuffled per page from the seed statements and
the MFA fixture pages (tests/fixtures/mfa/), so each page is about 30 KB and no
two pages read alike. Page i lives at /p/<i>.html.

The server is a small asyncio HTTP/1.1 server (keep-alive, no threads), meant
to run in its own process so it never takes the benchmarked process's GIL. It
sends ETag (sha1 of the body) and Last-Modified, and answers conditional GETs
with 304 (If-None-Match first; If-Modified-Since only without it), unless
conditional answers are switched off: then it sends neither header and always
answers 200 with the whole page. An optional latency delays every answer.

Control endpoints (for the benchmark driver, on the same port):

    /_bench/mutate?share=0.01&seed=7   change the wording of round(share*N) pages
                                       (one word each); answers their indices
    /_bench/config?conditional=0&latency=0.02
    /_bench/stats                       request counts by status since the last call

When started with --ready-file, it writes its base URL there once it listens.
It stops on SIGTERM / SIGINT, or by itself after --max-seconds (default 4 h).
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import re
import signal
import sys
import time
import tomllib
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

PROJECT = Path(__file__).resolve().parents[1]
TEMPLATES = ("mfa_en_legacy", "mfa_en_2024", "mfa_zh")
LANGUAGE = {"mfa_en_legacy": "en", "mfa_en_2024": "en", "mfa_zh": "zh"}
FIXTURES_EN = ("cw_en_presser_t1559633_2018-05-15.html", "cw_en_presser_t1624190_2018-12-21_cyber.html",
               "toruoga_en_new2024_fyrbt_lxjzh_t20251017_11735636.html",
               "toruoga_en_new2024_xw_zwbd_t20250922_11712999_rebuilt.html")
FIXTURES_ZH = ("cw_zh_presser_t1624087_2018-12-21_cyber.html", "boan_zh_zyxw_t1638506_2019-02-17_browser_saved.html")
PAGE_BYTES = 30_000  # target page size


def template_of(i: int) -> str:
    return TEMPLATES[i % len(TEMPLATES)]


def page_path(i: int) -> str:
    return f"/p/{i:05d}.html"


def _sentences() -> dict[str, list[str]]:
    """Sentence pools: English from the seed statements and English fixtures, Chinese from the
    Chinese fixtures and the diff test corpus."""
    from redline.text.normalize import normalize

    fixtures = PROJECT / "tests" / "fixtures" / "mfa"
    en_text = [p.read_text(encoding="utf-8") for p in sorted((PROJECT / "seeds").glob("*.txt"))]
    en_text += [normalize(fixtures.joinpath(f).read_text(encoding="utf-8")).text for f in FIXTURES_EN]
    zh_text = [normalize(fixtures.joinpath(f).read_text(encoding="utf-8")).text for f in FIXTURES_ZH]
    data = tomllib.loads((PROJECT / "tests" / "data" / "diff_cases.toml").read_text(encoding="utf-8"))
    zh_text += data["corpus"]["zh"]
    en = [s.strip() for t in en_text for s in re.split(r"(?<=[.!?])\s+", t) if len(s.strip()) > 40]
    zh = [s.strip() for t in zh_text for s in re.findall(r"[^。！？\n]+[。！？]", t) if len(s.strip()) > 10]
    return {"en": sorted(set(en)), "zh": sorted(set(zh))}


class Pages:
    """The site's pages: text per page and version, rendered once per version."""

    def __init__(self, n: int, seed: int = 2024) -> None:
        from redline.demo.pages import seed_page

        self._seed_page = seed_page
        self.n = n
        self.pool = _sentences()
        self.seed = seed
        self.versions = [0] * n
        self.body: list[bytes] = [b""] * n
        self.etag: list[str] = [""] * n
        self.modified: list[str] = [""] * n
        self.modified_ts: list[float] = [0.0] * n
        self._paragraphs: list[list[str]] = [[] for _ in range(n)]
        now = time.time()
        for i in range(n):
            self._paragraphs[i] = self._text(i)
            self._render(i, now)

    def _text(self, i: int) -> list[str]:
        rng = random.Random(self.seed * 1_000_003 + i)
        lang = LANGUAGE[template_of(i)]
        pool = self.pool[lang]
        per_char = 3 if lang == "zh" else 1
        budget = PAGE_BYTES - 7_000  # the template's chrome is 6-8 KB
        paragraphs, size = [], 0
        while size < budget:
            k = rng.randint(2, 5)
            joiner = "" if lang == "zh" else " "
            para = joiner.join(rng.sample(pool, k))
            paragraphs.append(para)
            size += len(para) * per_char + 8
        return paragraphs

    def _render(self, i: int, when: float) -> None:
        tmpl = template_of(i)
        if LANGUAGE[tmpl] == "zh":
            title, date = f"外交部发言人就第{i}号问题答记者问", "2024-05-17 19:30"
        else:
            title, date = f"Statement {i} on Cyberspace Cooperation", "2024-05-17 19:30"
        seed_text = "\n".join([title, date, *self._paragraphs[i]])
        body = self._seed_page(seed_text, template=tmpl)
        self.body[i] = body
        self.etag[i] = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
        self.modified_ts[i] = float(int(when))
        self.modified[i] = formatdate(int(when), usegmt=True)

    def change(self, i: int, rng: random.Random) -> None:
        """Change the wording of page i: one word (English) or one character (Chinese) replaced."""
        self.versions[i] += 1
        v = self.versions[i]
        paras = self._paragraphs[i]
        p = rng.randrange(len(paras))
        if LANGUAGE[template_of(i)] == "zh":
            spots = [m.start() for m in re.finditer(r"[\u4e00-\u9fff]", paras[p])]
            at = rng.choice(spots)
            paras[p] = paras[p][:at] + chr(0x3400 + v % 6000) + paras[p][at + 1:]
        else:
            spots = list(re.finditer(r"\b[A-Za-z]{5,}\b", paras[p]))
            m = rng.choice(spots)
            paras[p] = paras[p][:m.start()] + f"revised{v}" + paras[p][m.end():]
        self._render(i, time.time())

    def mutate(self, share: float, seed: int) -> list[int]:
        rng = random.Random(seed)
        k = round(share * self.n)
        chosen = sorted(rng.sample(range(self.n), k)) if k else []
        for i in chosen:
            self.change(i, rng)
        return chosen


class Server:
    def __init__(self, pages: Pages, *, conditional: bool = True, latency: float = 0.0) -> None:
        self.pages = pages
        self.conditional = conditional
        self.latency = latency
        self.stats: dict[str, int] = {}

    def _control(self, target: str) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(target)
        q = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if parts.path == "/_bench/mutate":
            chosen = self.pages.mutate(float(q.get("share", "0.01")), int(q.get("seed", "0")))
            out: object = {"changed": chosen}
        elif parts.path == "/_bench/config":
            if "conditional" in q:
                self.conditional = q["conditional"] not in ("0", "false", "no")
            if "latency" in q:
                self.latency = float(q["latency"])
            out = {"conditional": self.conditional, "latency": self.latency, "pages": self.pages.n}
        elif parts.path == "/_bench/stats":
            out, self.stats = self.stats, {}
        else:
            return 404, {"Content-Type": "text/plain"}, b"unknown control endpoint\n"
        return 200, {"Content-Type": "application/json"}, json.dumps(out).encode()

    def respond(self, method: str, target: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if target.startswith("/_bench/"):
            return self._control(target)
        m = re.fullmatch(r"/p/(\d+)\.html", urlsplit(target).path)
        i = int(m.group(1)) if m else -1
        if not 0 <= i < self.pages.n or method not in ("GET", "HEAD"):
            return 404, {"Content-Type": "text/html"}, b"<html><body><h1>404 Not Found</h1></body></html>"
        p = self.pages
        if self.conditional:
            inm = headers.get("if-none-match")
            ims = headers.get("if-modified-since")
            fresh = False
            if inm:
                fresh = p.etag[i] in [t.strip() for t in inm.split(",")] or inm.strip() == "*"
            elif ims:
                try:
                    fresh = parsedate_to_datetime(ims).timestamp() >= p.modified_ts[i]
                except (TypeError, ValueError, IndexError):
                    fresh = False
            if fresh:
                return 304, {"ETag": p.etag[i], "Last-Modified": p.modified[i]}, b""
            return 200, {"Content-Type": "text/html", "ETag": p.etag[i], "Last-Modified": p.modified[i]}, p.body[i]
        return 200, {"Content-Type": "text/html"}, p.body[i]

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                    break
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if line:
                        k, _, v = line.partition(":")
                        headers[k.strip().lower()] = v.strip()
                length = int(headers.get("content-length") or 0)
                if length:
                    await reader.readexactly(length)
                if self.latency and not target.startswith("/_bench/"):
                    await asyncio.sleep(self.latency)
                status, out_headers, body = self.respond(method, target, headers)
                if not target.startswith("/_bench/"):
                    self.stats[str(status)] = self.stats.get(str(status), 0) + 1
                reason = {200: "OK", 304: "Not Modified", 404: "Not Found"}.get(status, "OK")
                head_out = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(body)}",
                            f"Date: {formatdate(usegmt=True)}", "Server: redline-bench-site"]
                head_out += [f"{k}: {v}" for k, v in out_headers.items()]
                writer.write(("\r\n".join(head_out) + "\r\n\r\n").encode("latin-1"))
                if method != "HEAD" and body:
                    writer.write(body)
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (ConnectionError, ValueError):
            pass
        finally:
            writer.close()


async def serve(args: argparse.Namespace) -> None:
    started = time.monotonic()
    pages = Pages(args.pages, seed=args.seed)
    server = Server(pages, conditional=not args.no_conditional, latency=args.latency)
    srv = await asyncio.start_server(server.handle, args.bind, args.port, backlog=1024, limit=1 << 16)
    port = srv.sockets[0].getsockname()[1]
    base = f"http://{args.bind}:{port}"
    print(f"{base} serving {args.pages} pages (built in {time.monotonic() - started:.1f} s)", flush=True)
    if args.ready_file:
        Path(args.ready_file).write_text(base)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await asyncio.wait_for(stop.wait(), timeout=args.max_seconds)
    except asyncio.TimeoutError:
        print("site: --max-seconds reached, stopping", file=sys.stderr)
    srv.close()


def write_registry(path: Path, base_url: str, n: int) -> None:
    """A sources file of n statements on the loopback site (profiles named, no baselines)."""
    path.write_text(registry_text([(base_url, n)]), encoding="utf-8")


def registry_text(sites: list[tuple[str, int]], *, shards: int = 0) -> str:
    """The sources file of n statements on each (base URL, n) site; names bench-<i> on the first
    site, bench-<k>-<i> on the k-th after it. `shards`: the k-th site's sources also carry the tag
    shard-<k mod shards> (a worker's share of the hosts)."""
    lines = ["# written by bench/site.py: loopback statement pages for the benchmarks", "version = 1", ""]
    for k, (base_url, n) in enumerate(sites):
        tags = ("bench", f"shard-{k % shards}") if shards else ("bench",)
        lines += source_entries(base_url, n, "bench-" if k == 0 else f"bench-{k}-", tags)
    return "\n".join(lines)


def source_entries(base_url: str, n: int, prefix: str, tags: tuple[str, ...] = ("bench",)) -> list[str]:
    lines = []
    for i in range(n):
        t = template_of(i)
        lines += ["[[source]]", f'name = "{prefix}{i:05d}"', f'url = "{base_url}{page_path(i)}"',
                  f'title = "Bench statement {i}"', 'date = "2024-05-17 19:30"',
                  f'language = "{LANGUAGE[t]}"', f'profile = "{t}"', f"tags = {list(tags)!r}".replace("'", '"'), ""]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--bind", default="127.0.0.1", help="a loopback address: 127.0.0.2 is another host")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument("--no-conditional", action="store_true", help="no ETag/Last-Modified, never 304")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--ready-file", help="write the base URL here once listening")
    parser.add_argument("--max-seconds", type=float, default=4 * 3600)
    args = parser.parse_args(argv)
    asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
