"""An archive to browse, made the way production makes one: the monitor checks the
five seed statements on a loopback site twice (one wording change, one alert), and
a statement that is withdrawn (removed), and a hostile page whose title and text carry script and HTML payloads, and whose raw
HTML would call back to a "beacon" on the live site if anything in it ran or loaded.

Used by test_web, test_archive_cli, test_pywb and test_browser (not a conftest
fixture: each module builds it once, with the scope it needs).
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import anyio
import httpx

from redline.store.sqlite import Archive
from redline.demo.run import write_demo_registry
from redline.demo.loopback import loopback_path
from redline.ingest.fetch import Fetcher
from redline.demo.loopback import LoopbackSite
from redline.core.model import Source
from redline.monitor.check import check_batch, check_source
from redline.monitor.select import prepare_archive
from redline.demo.listing_pages import placeholder_page
from redline.demo.pages import seed_page
from redline.registry.load import load_registry

PROJECT = Path(__file__).resolve().parents[2]
WORDING = ("should play a leading role", "should play a central role")

HOSTILE = "hostile-page"
WITHDRAWN = "withdrawn-statement"   # answered, then the site's "page not found" placeholder (HTTP 200): removed
HOSTILE_TITLE = '<script>document.title="PWNED"</script><b onmouseover=alert(1)>Bold</b> & "quoted"'
HOSTILE_LINE = "<img src=x onerror=alert(2)> <iframe src=javascript:alert(3)></iframe> </textarea><svg onload=alert(4)>"


def hostile_page(beacon: str, version: int) -> bytes:
    """A page with payloads as text (escaped in its HTML, so they become the text) and as live markup
    (scripts, a meta refresh, images, a stylesheet, a form) that reach `beacon` if anything runs or loads."""
    esc = (HOSTILE_TITLE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;"))
    line = HOSTILE_LINE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    words = "The delegation reaffirmed its position" if version == 1 else "The delegation revised its position"
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{esc}</title>
<meta http-equiv="refresh" content="0; url={beacon}/refresh">
<link rel="stylesheet" href="{beacon}/style.css">
<script src="{beacon}/script.js"></script>
<script>fetch("{beacon}/fetch"); document.title = "PWNED"; top.location = "{beacon}/top";</script>
<base href="{beacon}/base/">
</head><body onload="fetch('{beacon}/onload')">
<h1>{esc}</h1>
<p>{line}</p>
<p>{words} on the rules-based order in cyberspace.</p>
<img src="{beacon}/image.png" alt="">
<form action="{beacon}/form" method="post"><input name="q"><button>go</button></form>
<iframe src="{beacon}/frame.html"></iframe>
<object data="{beacon}/object.swf"></object>
</body></html>""".encode("utf-8")


@dataclass
class BrowseStack:
    root: Path
    archive: Archive
    site: LoopbackSite           # stands in for the live sites (and the beacon)
    changed: str                 # the seed source whose wording changed (one alert)
    revisited: str               # a seed source last answered 200 with the same bytes (a WARC revisit record)
    alert_id: int
    hostile_alert_id: int
    removed_alert_id: int

    @property
    def beacon(self) -> str:
        return self.site.url("/beacon")

    def beacon_hits(self) -> list[str]:
        return [path for path, _ in self.site.requests if path.startswith("/beacon")]


@contextmanager
def browse_stack(root: Path, *, spaced: bool = False) -> Iterator[BrowseStack]:
    """Build the archive under root; the loopback site stays up until the block ends.

    spaced: a second between the checks, so no two captures of a page share a WARC-Date
    (which has whole seconds, as do replay tools' timestamps)."""
    seed_registry = load_registry(PROJECT / "seeds" / "sources.toml")
    with LoopbackSite() as site:
        write_demo_registry(root / "sources.toml", seed_registry, site.base_url)
        registry = load_registry(root / "sources.toml")
        archive = Archive(root / "archive")
        try:
            prepare_archive(archive, registry)
            seeds = {s.name: (seed_registry.path.parent / s.baseline).read_text(encoding="utf-8")
                     for s in seed_registry.statements()}

            def serve(name: str, text: str) -> None:
                source = seed_registry.by_name(name)
                site.put(loopback_path(source.url), seed_page(text, template=source.profile))

            for name, text in seeds.items():
                serve(name, text)
            changed = next(n for n, t in seeds.items() if WORDING[0] in t)
            revisited = next(n for n in seeds if n != changed)
            hostile = Source(name=HOSTILE, url=site.url("/hostile.html"), title=HOSTILE_TITLE,
                             tags=("test",), profile="generic")
            withdrawn = Source(name=WITHDRAWN, url=site.url("/withdrawn.html"), title="A statement later withdrawn",
                               tags=("test",), profile="mfa_en_legacy")
            archive.sync_sources([hostile, withdrawn])
            beacon = site.url("/beacon")
            with Fetcher(per_host_delay=0, retries=0, timeout=5, allow_private="loopback") as fetcher:
                site.put("/hostile.html", hostile_page(beacon, 1))
                site.put("/withdrawn.html", seed_page("A statement later withdrawn\nThe parties met in Beijing and "
                                                      "agreed to talk again.", template="mfa_en_legacy"))
                check_batch([*registry.statements(), hostile, withdrawn], archive=archive, fetcher=fetcher,
                            run_id="one")
                if spaced:
                    time.sleep(1.05)
                serve(changed, seeds[changed].replace(*WORDING))
                site.put("/hostile.html", hostile_page(beacon, 2))
                site.put("/withdrawn.html", placeholder_page())
                out = {o.source: o for o in check_batch([*registry.statements(), hostile, withdrawn], archive=archive,
                                                        fetcher=fetcher, run_id="two")}
                if spaced:
                    time.sleep(1.05)
                check_source(hostile, archive=archive, fetcher=fetcher, run_id="three")  # a 304
                site.conditional = False   # the same bytes again, without a 304: a revisit record
                again = check_source(registry.by_name(revisited), archive=archive, fetcher=fetcher, run_id="three")
                site.conditional = True
            assert again.status == 200 and not again.new_version
            assert out[changed].alert_id and out[HOSTILE].alert_id, out
            assert out[WITHDRAWN].change == "removed" and out[WITHDRAWN].alert_id, out
            assert not [p for p, _ in site.requests if p.startswith("/beacon")]
            yield BrowseStack(root=root, archive=archive, site=site, changed=changed, revisited=revisited,
                              alert_id=out[changed].alert_id, hostile_alert_id=out[HOSTILE].alert_id,
                              removed_alert_id=out[WITHDRAWN].alert_id)
        finally:
            archive.close()


class Client:
    """A synchronous httpx client over the ASGI app (no server, no network)."""

    def __init__(self, app) -> None:
        self.app = app

    def request(self, method: str, url: str, **kwargs) -> httpx.Response:
        async def go() -> httpx.Response:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app),
                                         base_url="http://testserver") as client:
                return await client.request(method, url, **kwargs)
        return anyio.run(go)

    def get(self, url: str) -> httpx.Response:
        return self.request("GET", url)

    def post(self, url: str, **kwargs) -> httpx.Response:
        return self.request("POST", url, **kwargs)
