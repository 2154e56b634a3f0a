"""`redline sources list | add | remove | enable | disable | test`."""
from __future__ import annotations

import shutil

import pytest

from redline.cli.main import main
from redline.registry.edit import remove_entry, set_enabled
from redline.registry.load import load_registry


@pytest.fixture
def files(stack, tmp_path):
    """A copy of the loopback sources file that the commands may edit."""
    src = tmp_path / "edit" / "sources.toml"
    src.parent.mkdir()
    shutil.copy(stack.registry.path, src)
    return ["--sources", str(src), "--archive", str(stack.archive.root)], src


def test_add_validates_appends_and_refuses_duplicates(files, capsys) -> None:
    loc, path = files
    before = path.read_text()
    assert main(["sources", "add", "new-one", "https://www.fmprc.gov.cn/eng/xw/zyjh/202601/t20260101_1.html",
                 "--title", "A new speech", "--tag", "mfa", *loc]) == 0
    reg = load_registry(path)
    assert reg.by_name("new-one").origin == "operator" and reg.by_name("new-one").tags == ("mfa",)
    assert path.read_text().startswith(before)  # comments and layout of the rest survive
    after_add = path.read_text()
    assert main(["sources", "add", "new-one", "https://example.org/other.html", *loc]) == 2
    assert main(["sources", "add", "other", "https://www.fmprc.gov.cn/eng/xw/zyjh/202601/t20260101_1.html", *loc]) == 2
    assert main(["sources", "add", "bad-mask", "https://example.org/x", "--mask", "([", *loc]) == 2
    err = capsys.readouterr().err
    assert "duplicate" in err.lower() and "mask" in err.lower() and "Traceback" not in err
    assert path.read_text() == after_add  # refused edits leave the file as it was


def test_disable_enable_and_remove_keep_history(stack, files, capsys, wide_console) -> None:
    loc, path = files
    from redline.monitor.check import check_batch

    check_batch(stack.registry.statements(), archive=stack.archive, fetcher=stack.fetcher, run_id="t")
    name = stack.registry.statements()[0].name
    assert main(["sources", "disable", name, *loc]) == 0
    assert load_registry(path).by_name(name).enabled is False
    assert name not in [s.name for s in load_registry(path).select()]
    assert main(["sources", "enable", name, *loc]) == 0
    assert load_registry(path).by_name(name).enabled is True
    assert main(["sources", "remove", name, *loc]) == 0
    assert name not in load_registry(path).names()
    assert len(stack.archive.versions(name)) == 1  # history kept
    assert main(["sources", "remove", name, *loc]) == 1
    capsys.readouterr()
    assert main(["sources", "list", *loc]) == 0
    out = capsys.readouterr().out
    assert stack.registry.statements()[1].name in out and name not in out


def test_sources_test_shows_text_and_diff_and_writes_nothing(stack, files, capsys, wide_console,
                                                            monkeypatch) -> None:
    monkeypatch.setenv("REDLINE_ALLOW_PRIVATE", "loopback")
    loc, _ = files
    name = next(n for n, t in stack.seeds.items() if "leading role" in t)
    stack.serve(name, stack.seeds[name].replace("leading role", "central role"))
    counts = stack.archive.counts()
    files_before = sorted(p for p in stack.archive.root.rglob("*") if p.is_file() and "locks" not in p.parts)
    assert main(["sources", "test", name, *loc]) == 0
    out = capsys.readouterr().out
    assert "normalized text" in out and "[-leading-]{+central+}" in out and "nothing was written" in out
    assert stack.archive.counts() == counts
    assert sorted(p for p in stack.archive.root.rglob("*") if p.is_file() and "locks" not in p.parts) == files_before


def test_registry_text_edits_touch_only_their_block() -> None:
    text = '# top\n[[source]]\nname = "a"\nurl = "https://a.org/"\n\n[[source]]\nname = "b"\nurl = "https://b.org/"\n'
    assert remove_entry(text, "a") == '# top\n[[source]]\nname = "b"\nurl = "https://b.org/"\n'
    assert 'name = "b"\nurl = "https://b.org/"\nenabled = false\n' in set_enabled(text, "b", False)
    assert set_enabled(set_enabled(text, "a", False), "a", True).count("enabled = true") == 1
