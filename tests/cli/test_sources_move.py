"""`redline sources move NAME NEW_URL`: a new address for a source, its history kept."""
from __future__ import annotations

import pytest

from redline.cli.main import main
from redline.discovery.cycle import discover_listing
from redline.core.model import Source
from redline.monitor.check import check_source
from redline.monitor.select import prepare_archive, tracked_sources
from redline.demo.pages import seed_page
from redline.demo.listing_pages import Entry, listing_page
from redline.registry.load import load_registry
from redline.discovery.topic import default_topic

NAME = "mfa-china-un-cyber-workshop-2016"
NEW_PATH = "/www.fmprc.gov.cn/eng/wjb/wjbxw/201607/t20160711_1380539.html"


def move(stack, name: str, url: str) -> int:
    return main(["sources", "move", name, url, "--sources", str(stack.registry.path),
                 "--archive", str(stack.archive.root)])


def serve_at_new_address(stack, text: str | None = None) -> str:
    source = stack.seed_registry.by_name(NAME)
    stack.site.put(NEW_PATH, seed_page(text or stack.seeds[NAME], template=source.profile))
    return stack.site.url(NEW_PATH)


def moved_source(stack) -> Source:
    return {s.name: s for s in tracked_sources(stack.archive, stack.registry)}[NAME]


def check(stack, source: Source):
    return check_source(source, archive=stack.archive, fetcher=stack.fetcher, run_id="t", sinks=["log"])


def test_a_moved_source_keeps_its_history_and_is_checked_at_its_new_address(stack, capsys) -> None:
    old_url = stack.registry.by_name(NAME).url
    check(stack, stack.registry.by_name(NAME))
    versions = stack.archive.versions(NAME)
    new_url = serve_at_new_address(stack)
    assert move(stack, NAME, new_url) == 0
    out = capsys.readouterr().out
    assert "moved" in out and old_url in out and new_url in out and "1 version" in out
    source = moved_source(stack)
    assert source.url == new_url
    o = check(stack, source)
    assert (o.status, o.url, o.new_version, o.alert_id) == (200, new_url, False, None)
    assert stack.archive.versions(NAME) == versions  # same text at the new address: no new version
    history = stack.archive.url_history(NAME)
    assert [(h["url"], h["until"] is None) for h in history] == [(old_url, False), (new_url, True)]
    assert {c["url"] for c in stack.archive.query("SELECT url FROM captures WHERE source=?", (NAME,))} == \
        {old_url, new_url}


def test_syncing_the_registry_keeps_the_move_until_the_file_gives_another_address(stack, tmp_path) -> None:
    new_url = serve_at_new_address(stack)
    assert move(stack, NAME, new_url) == 0
    prepare_archive(stack.archive, stack.registry)
    assert stack.archive.source_row(NAME)["url"] == new_url
    edited = tmp_path / "edited.toml"
    text = stack.registry.path.read_text(encoding="utf-8")
    edited.write_text(text.replace(stack.registry.by_name(NAME).url, stack.site.url("/elsewhere.html")),
                      encoding="utf-8")
    prepare_archive(stack.archive, load_registry(edited))
    assert stack.archive.source_row(NAME)["url"] == stack.site.url("/elsewhere.html")


def test_the_old_address_stays_known_so_a_listing_never_offers_it_as_new(stack) -> None:
    old_url = stack.registry.by_name(NAME).url
    assert move(stack, NAME, serve_at_new_address(stack)) == 0
    listing = Source(name="l", url=stack.site.url("/www.fmprc.gov.cn/eng/zy/gb/"), kind="listing")
    stack.archive.sync_sources([listing])
    stack.site.put("/www.fmprc.gov.cn/eng/zy/gb/", listing_page(
        [Entry("China-UN International Workshop on Cyber Security Held in Beijing", old_url)]))
    out = discover_listing(listing, archive=stack.archive, fetcher=stack.fetcher, topic=default_topic(),
                           run_id="t", baseline=False)
    assert [(i.outcome, i.source) for i in out.found] == [("known", NAME)]
    assert stack.archive.alerts() == []


def test_a_removed_statement_moved_to_where_it_went_is_restored_once(stack) -> None:
    check(stack, stack.registry.by_name(NAME))
    stack.site.remove(stack.path_of(NAME))
    assert check(stack, stack.registry.by_name(NAME)).change == "removed"
    new_url = serve_at_new_address(stack)
    assert move(stack, NAME, new_url) == 0
    o = check(stack, moved_source(stack))
    alert = stack.archive.alert(o.alert_id)
    assert (o.change, alert.kind, alert.url) == ("restored", "restored", new_url)
    assert check(stack, moved_source(stack)).alert_id is None


@pytest.mark.parametrize("name, url, message", [
    ("no-such-source", "https://x.org/a.html", "no source named 'no-such-source'"),
    (NAME, "not a url", "is not an http(s) page address"),
    (NAME, "ftp://x.org/a.html", "is not an http(s) page address"),
    (NAME, "SAME", "is already at"),
    (NAME, "OTHER", "is the address of source"),
])
def test_a_move_that_cannot_be_made_is_one_line_and_changes_nothing(stack, capsys, name, url, message) -> None:
    url = {"SAME": stack.registry.by_name(NAME).url,
           "OTHER": stack.registry.statements()[0].url}.get(url, url)
    before = [dict(r) for r in stack.archive.sources()]
    assert move(stack, name, url) == 1
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and err.startswith("error: ")
    assert [dict(r) for r in stack.archive.sources()] == before
