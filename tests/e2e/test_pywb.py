"""The archive's WARC files in the web archiving world's own tool: pywb indexes them,
and its Wayback server replays every capture (revisits included) byte for byte.

pywb lives in its own venv (.venv-pywb, `make pywb`; `make test` sets it up): its
pins clash with Prefect's. Without it the test skips locally and fails in CI.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from support.browse_stack import PROJECT, browse_stack

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

PYWB_BIN = PROJECT / ".venv-pywb" / "bin"


def pywb_tool(name: str) -> Path:
    tool = PYWB_BIN / name
    if not tool.exists():
        reason = f"pywb is not installed ({tool} is missing): run `make pywb`"
        if os.environ.get("CI"):
            pytest.fail(reason + " (CI must run this test)")
        pytest.skip(reason)
    return tool


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    pywb_tool("cdx-indexer")
    with browse_stack(tmp_path_factory.mktemp("pywb"), spaced=True) as bs:
        yield bs


def stamp(iso: str) -> str:
    return datetime.fromisoformat(iso).strftime("%Y%m%d%H%M%S")


def captures_with_records(bs) -> list:
    return bs.archive.query("SELECT * FROM captures WHERE warc_path IS NOT NULL ORDER BY id")


def test_pywb_indexes_every_capture_and_nothing_else(built) -> None:
    warcs = sorted((built.archive.root / "warc").rglob("*.warc.gz"))
    out = subprocess.run([str(pywb_tool("cdx-indexer")), "-j", *map(str, warcs)], capture_output=True, text=True,
                         timeout=60, cwd=built.archive.root)
    assert out.returncode == 0, out.stderr
    lines = [line.split(" ", 2) for line in out.stdout.splitlines() if line and not line.startswith(" CDX")]
    index = {(json.loads(j)["filename"], int(json.loads(j)["offset"])): (ts, json.loads(j)) for _, ts, j in lines}
    captures = captures_with_records(built)
    # one index line per capture: its response or revisit record; the metadata records are not captures
    assert len(index) == len(captures)
    for c in captures:
        ts, entry = index[(str(Path(c["warc_path"]).name), c["warc_offset"])]
        assert ts == stamp(c["fetched_at"]) and entry["url"] == c["final_url"]
        if c["revisit"]:
            assert entry["mime"] == "warc/revisit"
        else:
            assert entry["status"] == str(c["status"])
            assert entry["mime"] == ("text/html" if c["status"] == 200 else entry["mime"])
    assert any(c["revisit"] for c in captures) and any(c["not_modified"] for c in captures)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def wayback(built, tmp_path_factory):
    """A pywb collection of the archive's WARC files, served by pywb's own `wayback` on loopback."""
    home = tmp_path_factory.mktemp("wayback")
    manager = str(pywb_tool("wb-manager"))
    subprocess.run([manager, "init", "redline"], cwd=home, check=True, capture_output=True, timeout=60)
    warcs = sorted((built.archive.root / "warc").rglob("*.warc.gz"))
    subprocess.run([manager, "add", "redline", *map(str, warcs)], cwd=home, check=True, capture_output=True,
                   timeout=120)
    port = free_port()
    log = open(home / "wayback.log", "wb")
    proc = subprocess.Popen([str(pywb_tool("wayback")), "--bind", "127.0.0.1", "--port", str(port)],
                            cwd=home, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/redline/", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("pywb's wayback did not start: " + (home / "wayback.log").read_text(errors="replace")[-2000:])
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_pywb_replays_every_capture_byte_for_byte(built, wayback) -> None:
    replayed = []
    with httpx.Client(timeout=30) as client:
        for c in captures_with_records(built):
            if c["not_modified"] or c["status"] != 200:
                continue
            url = f"{wayback}/redline/{stamp(c['fetched_at'])}id_/{c['final_url']}"
            r = client.get(url)
            assert r.status_code == 200, (url, r.status_code)
            assert r.headers.get("memento-datetime"), url
            assert r.content == built.archive.raw_body(c["id"]), url   # a revisit replays its original's bytes
            replayed.append(bool(c["revisit"]))
    # first cycle (5 seeds, the hostile page, the withdrawn statement), the two changed pages, the withdrawn
    # statement's placeholder, a revisit
    assert len(replayed) == 7 + 2 + 1 + 1 and replayed.count(True) == 1


def test_pywb_replays_the_changed_wording_at_each_capture_time(built, wayback) -> None:
    rows = built.archive.query("SELECT fetched_at, final_url FROM captures WHERE source=? AND status=200 "
                               "ORDER BY id", (built.changed,))
    with httpx.Client(timeout=30) as client:
        first, second = (client.get(f"{wayback}/redline/{stamp(r['fetched_at'])}mp_/{r['final_url']}").text
                         for r in rows)
    assert "should play a leading role" in first and "should play a central role" in second
    # replay serves only what is archived: the beacon on the "live" site was never asked for
    assert not built.beacon_hits()
