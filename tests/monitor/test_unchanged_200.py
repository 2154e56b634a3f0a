"""A byte-identical 200 from a server without 304s is not normalized again (issue #7): its text
is the current version's. Anything that could change the text (the bytes, the normalizer rules,
the profile, the final URL) normalizes as before."""
from __future__ import annotations

from pathlib import Path

import pytest

import redline.monitor.check as monitor
from redline.store.sqlite import Archive, sha256_text
from redline.ingest.fetch import Fetcher
from redline.demo.loopback import LoopbackSite
from redline.core.model import Source
from redline.monitor.check import check_batch
from redline.text.normalize import normalize as real_normalize

PAGE = ("<html><head><title>S</title></head><body><div id='News_Body_Txt_A' class='content'>"
        "<p>China stands ready to work with all parties on {w} cyberspace governance.</p>"
        "<p>The two sides agreed to continue the dialogue.</p></div></body></html>")


@pytest.fixture
def plain(tmp_path: Path, monkeypatch):
    """A loopback site that never answers 304, an archive, a fetcher, and a normalize call counter."""
    calls: list[str] = []

    def counting(html: str, **kw):
        calls.append(kw.get("url") or "")
        return real_normalize(html, **kw)

    monkeypatch.setattr(monitor, "normalize", counting)
    with LoopbackSite(conditional=False) as site, Archive(tmp_path / "archive") as archive, \
            Fetcher(per_host_delay=0, retries=0, timeout=5, allow_private="loopback") as fetcher:
        site.put("/a.html", PAGE.format(w="global").encode())
        source = Source(name="a", url=site.url("/a.html"), profile="mfa_zh")
        archive.sync_sources([source])

        def run(src: Source = source):
            [o] = check_batch([src], archive=archive, fetcher=fetcher, run_id="t")
            return o

        yield site, archive, source, run, calls


def test_an_identical_200_is_recorded_with_the_current_text_without_normalizing(plain) -> None:
    site, archive, source, run, calls = plain
    first = run()
    assert first.change == "first" and len(calls) == 1
    again = run()
    assert again.error is None and not again.new_version and again.change is None and len(calls) == 1
    last = archive.query("SELECT * FROM captures WHERE source='a' ORDER BY id DESC LIMIT 1")[0]
    assert last["revisit"] == 1 and last["text_sha256"] == archive.latest_version("a").text_sha256
    assert last["profile"] == "mfa_zh" and last["normalizer_version"] == monitor.NORMALIZER_VERSION
    site.put("/a.html", PAGE.format(w="open").encode())
    changed = run()
    assert changed.change == "substantive" and changed.new_version and len(calls) == 2
    assert archive.latest_version("a").text_sha256 == sha256_text(real_normalize(
        PAGE.format(w="open"), profile="mfa_zh").text)


def test_new_normalizer_rules_or_another_profile_normalize_again(plain, monkeypatch) -> None:
    site, archive, source, run, calls = plain
    run()
    run(Source(name="a", url=source.url, profile="generic"))
    assert len(calls) == 2  # the profile asked for is not the one the text was made with
    monkeypatch.setattr(monitor, "NORMALIZER_VERSION", monitor.NORMALIZER_VERSION + 1)
    run()
    assert len(calls) >= 3  # the page, and the latest version re-normalized from its raw capture


def test_an_identical_200_of_an_auto_profile_source_is_not_normalized_again(plain) -> None:
    """Discovered statements have profile "auto": the capture remembers the profile asked for."""
    site, archive, source, run, calls = plain
    auto = Source(name="a", url=source.url, profile="auto")
    run(auto)
    again = run(auto)
    assert len(calls) == 1 and again.error is None and again.change is None
    first, last = archive.query("SELECT * FROM captures WHERE source='a' ORDER BY id")
    assert last["revisit"] == 1 and last["profile_asked"] == first["profile_asked"] == "auto"
    assert last["profile"] == first["profile"] != "auto"  # the profile auto chose, kept
    run(source)  # asked "mfa_zh" now: the text was made asking "auto", so it is made again
    assert len(calls) == 2
    run(source)  # and then kept: asked and used are the same, so nothing is stored beside the profile
    assert len(calls) == 2
    newest = archive.query("SELECT profile, profile_asked FROM captures ORDER BY id DESC LIMIT 1")[0]
    assert (newest["profile"], newest["profile_asked"]) == ("mfa_zh", None)


def test_a_capture_from_before_the_profile_asked_was_kept_normalizes_an_auto_source_again(plain) -> None:
    site, archive, source, run, calls = plain
    auto = Source(name="a", url=source.url, profile="auto")
    run(auto)
    with archive._tx() as db:  # as an index of schema 3 left it
        db.execute("UPDATE captures SET profile_asked = NULL")
    assert archive.query("SELECT profile FROM captures")[0]["profile"] != "auto"
    run(auto)
    assert len(calls) == 2
    run(auto)  # that check kept the profile asked for
    assert len(calls) == 2
