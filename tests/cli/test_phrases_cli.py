"""`redline phrases` and the web view's /phrases on the seed corpus (issue 16, part 2): the archive
is the browse stack's (the five seed statements, one revised so that "the United Nations (UN) should
play a leading role" becomes "... a central role": the watched phrase is dropped in its v2)."""
from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from redline.cli.main import main
from redline.registry.watch import read_watch_file
from redline.text.formulations import holds
from redline.web.app import create_app
from support.browse_stack import WORDING, Client, browse_stack

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
UN = "the UN should play a leading role"
COMMUNITY = "a community with a shared future in cyberspace"


@pytest.fixture(scope="module")
def bs(tmp_path_factory):
    with browse_stack(tmp_path_factory.mktemp("phrases")) as stack:
        yield stack


def redline(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("REDLINE_CONFIG", "REDLINE_SOURCES")}
    return subprocess.run([sys.executable, "-m", "redline.cli.main", *args], capture_output=True, text=True,
                          timeout=120, env=env)


def seed_holders(phrase: str) -> set[str]:
    """The seed statements whose baseline text holds the watched phrase (read from seeds/, not the archive)."""
    from redline.registry.load import load_registry

    watch = {w.phrase: w for w in read_watch_file(SEEDS / "watch.toml")}[phrase]
    return {s.name for s in load_registry(SEEDS / "sources.toml").statements()
            if holds([watch], (SEEDS / s.baseline).read_text(encoding="utf-8"))}


def test_phrases_json_gives_each_seed_phrase_its_sources_first_last_and_dropped_version(bs) -> None:
    out = redline("phrases", "--json", "--archive", str(bs.archive.root))
    assert out.returncode == 0, out.stderr
    by_phrase = {r["phrase"]: r for r in json.loads(out.stdout)}
    assert {w.phrase for w in read_watch_file(SEEDS / "watch.toml")} == set(by_phrase)   # the default list
    [un] = by_phrase[UN]["spans"]
    v1, v2 = bs.archive.versions(bs.changed)[:2]
    assert (un["source"], un["first_seq"], un["last_seq"], un["dropped_seq"], un["stands"]) == (
        bs.changed, v1.seq, v1.seq, v2.seq, False)
    assert un["dropped_seen"] == v2.first_seen and un["text"] == "the United Nations (UN) should play a leading role"
    community = {s["source"]: s for s in by_phrase[COMMUNITY]["spans"]}
    assert set(community) == seed_holders(COMMUNITY) and len(community) >= 3
    for name, span in community.items():
        latest = bs.archive.versions(name)[-1]
        assert span["stands"] and span["dropped_seq"] is None and span["last_seq"] == latest.seq
    assert by_phrase["网络主权"]["spans"] == [] and by_phrase["cyber sovereignty"]["spans"] == []


def test_phrases_piped_is_clean_tab_separated_rows_with_dropped_in(bs) -> None:
    out = redline("phrases", UN, "--archive", str(bs.archive.root))
    assert out.returncode == 0, out.stderr
    assert "\x1b[" not in out.stdout
    header, *rows = out.stdout.splitlines()
    assert header.split("\t") == ["phrase", "source", "first", "last", "dropped in", "as written"]
    [row] = [r.split("\t") for r in rows]
    v2 = bs.archive.versions(bs.changed)[1]
    assert row[:2] == [UN, bs.changed] and row[4] == f"v{v2.seq} {v2.first_seen[:10]}"


def test_any_phrase_asked_for_is_followed_like_a_watched_one(bs, capsys) -> None:
    assert main(["phrases", WORDING[1], "--json", "--archive", str(bs.archive.root)]) == 0
    [report] = json.loads(capsys.readouterr().out)
    [span] = report["spans"]
    assert report["phrase"] == WORDING[1] and span["source"] == bs.changed
    assert span["first_seq"] == bs.archive.versions(bs.changed)[1].seq and span["stands"]


def test_phrases_on_an_80_column_terminal_fit_every_line(bs, capsys, monkeypatch) -> None:
    buffer = io.StringIO()
    monkeypatch.setattr("redline.cli.phrases.console", Console(file=buffer, width=80, force_terminal=True))
    assert main(["phrases", "--archive", str(bs.archive.root)]) == 0
    lines = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", buffer.getvalue()).splitlines()
    assert any(bs.changed[:12] in line for line in lines) and all(len(line) <= 80 for line in lines)


def test_a_bad_watch_file_is_refused_in_one_line_naming_it(bs, tmp_path) -> None:
    bad = tmp_path / "watch.toml"
    bad.write_text('[[watch]]\nphrase = "cyber sovereignty"\nregex = "the (UN"\n', encoding="utf-8")
    out = redline("phrases", "--watch", str(bad), "--archive", str(bs.archive.root))
    assert out.returncode != 0 and "Traceback" not in out.stderr
    [line] = [x for x in out.stderr.splitlines() if x.strip()]
    assert str(bad) in line and "[[watch]] entry 1 ('cyber sovereignty')" in line and "regular expression" in line


def test_the_web_view_shows_the_phrases_and_their_json_twin(bs) -> None:
    client = Client(create_app(bs.archive))
    page = client.get("/phrases")
    assert page.status_code == 200 and 'href="/phrases"' in page.text
    assert UN in page.text and "the United Nations (UN) should play a leading role" in page.text
    v1, v2 = bs.archive.versions(bs.changed)[:2]
    assert f"/sources/{bs.changed}/compare?a={v1.seq}&amp;b={v2.seq}" in page.text     # "dropped in" links the change
    data = client.get(f"/api/phrases?phrase={UN}").json()
    [report] = data["phrases"]
    assert report["phrase"] == UN and report["spans"][0]["dropped_seq"] == v2.seq
    assert client.get("/api/phrases?source=no-such-source").status_code == 404
    assert any(r["html"] == "/phrases" for r in client.get("/api").json()["routes"])
