"""`redline rebuild-index` and what every command says of an archive that lost its index (issue 17, 13 and 16)."""
from __future__ import annotations

import pytest

from redline.alerts.channels import Sinks
from redline.alerts.sinks import JsonlSink
from redline.cli.main import main
from redline.monitor.cycle import check_host, finish_cycle

WORDING = ("should play a leading role", "should play a central role")


@pytest.fixture
def lost(stack):
    """An archive with a change alert whose index.sqlite was deleted."""
    sinks = Sinks({"alert-log": JsonlSink(stack.archive.alerts_log, name="alert-log")}, {})
    name = next(n for n, t in stack.seeds.items() if WORDING[0] in t)
    for text in (stack.seeds[name], stack.seeds[name].replace(*WORDING)):
        stack.serve(name, text)
        check_host(stack.archive, stack.registry.statements(), fetcher=stack.fetcher, sinks=sinks, run_id=text[:8],
                   failure_threshold=3)
    finish_cycle(stack.archive, sinks)
    stack.archive.close()
    for path in stack.archive.root.glob("index.sqlite*"):
        path.unlink()
    return stack


@pytest.mark.parametrize("command", [["run"], ["status"], ["verify"], ["history", "x"], ["sources", "list"]])
def test_every_command_on_an_archive_that_lost_its_index_says_so_in_one_line(lost, capsys, command) -> None:
    root = lost.archive.root
    code = main([*command, "--archive", str(root), *(["--sources", str(lost.registry.path)]
                                                     if command[0] in ("run", "sources") else [])])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code != 0 and len(lines) == 1, err
    assert "no index.sqlite" in lines[0] and "redline rebuild-index" in lines[0] and "Traceback" not in err
    assert not (root / "index.sqlite").exists()


def test_rebuild_index_prints_what_it_rebuilt_and_verify_is_clean_after(lost, capsys) -> None:
    root = lost.archive.root
    assert main(["rebuild-index", "--archive", str(root), "--sources", str(lost.registry.path)]) == 0
    out = capsys.readouterr().out
    assert "rebuilt" in out and "1 alerts from the logs" in out and "redline verify" in out
    assert main(["verify", "--archive", str(root)]) == 0
    assert "0 error(s), 0 warning(s)" in capsys.readouterr().out
    assert main(["rebuild-index", "--archive", str(root)]) != 0       # a good index is not replaced ...
    err = capsys.readouterr().err
    assert "reads fine" in err and len(err.strip().splitlines()) == 1
    assert main(["rebuild-index", "--force", "--archive", str(root)]) == 0   # ... unless asked
    assert "kept as index.sqlite.old-" in capsys.readouterr().out
