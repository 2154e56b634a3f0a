"""serve's forkserver parses the served sources file once, before any run (redline.orchestration.prewarm)."""
from __future__ import annotations

import os
from pathlib import Path

from redline.orchestration import prewarm
from redline.orchestration.warm import forkserver
from redline.registry.load import _parse_once, load_registry

SOURCES = '[[source]]\nname = "s1"\nurl = "https://example.org/a.html"\ntitle = "A"\n'


def _parses_done_here(path: str, out: str) -> None:
    """In a run's process: load the file and say whether it had to be parsed."""
    misses = _parse_once.cache_info().misses
    load_registry(path)
    Path(out).write_text(str(_parse_once.cache_info().misses - misses))


def test_a_process_forked_from_serves_forkserver_finds_the_sources_file_parsed(tmp_path: Path) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text(SOURCES, encoding="utf-8")
    context = forkserver([sources])
    parsed = []
    for text in (None, SOURCES + '\n[[source]]\nname = "s2"\nurl = "https://example.org/b.html"\n'):
        if text:
            sources.write_text(text, encoding="utf-8")   # changed since serve started: parsed again
        child = context.Process(target=_parses_done_here, args=(str(sources), str(tmp_path / "out")))
        child.start()
        child.join(60)
        assert child.exitcode == 0
        parsed.append(int((tmp_path / "out").read_text()))
    assert parsed == [0, 1]
    assert os.environ.get(prewarm.ENV) is None   # set for the forkserver's start only


def test_a_sources_file_that_does_not_parse_is_left_to_the_run(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[[source]]\nname = \n", encoding="utf-8")
    prewarm.warm({prewarm.ENV: os.pathsep.join([str(bad), str(tmp_path / "missing.toml")])})   # no raise
