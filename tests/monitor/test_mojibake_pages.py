"""A page that arrives double-encoded is not a rewrite (issue 17, item 9): its mojibake is
repaired before comparing, no version and no alert follow from the encoding alone, and the
capture says it was repaired (its row, its WARC metadata record, the timeline)."""
from __future__ import annotations

import ftfy.bad_codecs  # noqa: F401  (sloppy-windows-1252)

from redline.alerts.channels import Sinks
from redline.alerts.sinks import JsonlSink
from redline.demo.pages import seed_page
from redline.monitor.cycle import check_host
from redline.store.warcscan import scan_warcs
from redline.web.app import create_app
from support.browse_stack import Client


def _mojibake(page: bytes, read_as: str) -> bytes:
    """The page's UTF-8 bytes read upstream as `read_as` and served again as UTF-8."""
    return page.decode("utf-8").encode("utf-8").decode(read_as).encode("utf-8")


def _check(stack, run_id: str) -> dict:
    sinks = Sinks({"alert-log": JsonlSink(stack.archive.alerts_log, name="alert-log")}, {})
    return {o.source: o for o in check_host(stack.archive, stack.registry.statements(), fetcher=stack.fetcher,
                                            sinks=sinks, run_id=run_id, failure_threshold=3)}


def test_every_seed_page_served_with_mojibake_gives_no_version_and_no_alert(stack) -> None:
    _check(stack, "clean")
    versions = {n: stack.archive.latest_version(n).seq for n in stack.seeds}
    non_ascii = [n for n, t in stack.seeds.items() if not t.isascii()]
    assert len(non_ascii) >= 3   # English with curly quotes and dashes, and Chinese
    for i, name in enumerate(stack.seeds):
        source = stack.seed_registry.by_name(name)
        page = seed_page(stack.seeds[name], template=source.profile)
        stack.site.put(stack.path_of(name), _mojibake(page, ("latin-1", "sloppy-windows-1252")[i % 2]))
    outcomes = _check(stack, "mojibake")
    for name in stack.seeds:
        o = outcomes[name]
        assert o.error is None and o.alert_id is None and not o.new_version, (name, o)
        assert stack.archive.latest_version(name).seq == versions[name]
    for name in non_ascii:
        row = stack.archive.query("SELECT repaired FROM captures WHERE source=? ORDER BY id DESC LIMIT 1", (name,))[0]
        assert row["repaired"] and row["repaired"].startswith("mojibake repaired (utf-8 read as"), name
    recorded = [c for c in scan_warcs(stack.archive.root).captures if c.slug in non_ascii]
    assert any("mojibake repaired" in c.meta.get("repaired", "") for c in recorded)   # the record of truth says so


def test_the_timeline_and_the_capture_page_say_the_mojibake_was_repaired(stack) -> None:
    _check(stack, "clean")
    name = next(n for n, t in stack.seeds.items() if not t.isascii())
    page = seed_page(stack.seeds[name], template=stack.seed_registry.by_name(name).profile)
    stack.site.put(stack.path_of(name), _mojibake(page, "latin-1"))
    _check(stack, "mojibake")
    capture = stack.archive.query("SELECT id FROM captures WHERE source=? ORDER BY id DESC LIMIT 1", (name,))[0]["id"]
    client = Client(create_app(stack.archive))
    timeline = client.get(f"/sources/{name}").text
    assert "mojibake repaired" in timeline
    assert "mojibake repaired" in client.get(f"/sources/{name}/captures/{capture}").text
