"""`redline status`: one line per source, exit non-zero when a source keeps failing."""
from __future__ import annotations

from redline.cli.main import main
from redline.monitor.check import check_batch


def test_status_is_zero_when_healthy_and_three_when_a_source_keeps_failing(stack, capsys, wide_console) -> None:
    args = ["status", "--archive", str(stack.archive.root), "--sources", str(stack.registry.path)]
    check_batch(stack.registry.statements(), archive=stack.archive, fetcher=stack.fetcher, run_id="t")
    assert main(args) == 0
    out = capsys.readouterr().out
    assert all(s.name in out for s in stack.registry.statements()) and "not served" in out
    broken = stack.registry.statements()[1]
    stack.site.put(stack.path_of(broken.name), b"oops", status=500)
    for _ in range(3):
        check_batch([broken], archive=stack.archive, fetcher=stack.fetcher, run_id="t")
    assert main(args) == 3
    err = capsys.readouterr().err
    assert broken.name in err and "more than 2 checks in a row" in err
    assert main(args + ["--max-failures", "5"]) == 0

def test_status_without_an_archive_is_one_line(tmp_path, capsys) -> None:
    assert main(["status", "--archive", str(tmp_path / "none")]) == 1
    err = capsys.readouterr().err
    assert "no archive at" in err and len(err.strip().splitlines()) == 1
