"""The archive commands read the index through the read model (Archive.query): on either backend
(SQLite, PostgreSQL: tests/store/conftest.py) they show the same record of a wording change."""
from __future__ import annotations

import json

from redline.alerts.channels import Sinks
from redline.alerts.sinks import JsonlSink
from redline.cli.main import main
from redline.monitor.cycle import check_host

WORDING = ("should play a leading role", "should play a central role")


def _change_once(stack) -> str:
    changed = next(n for n, t in stack.seeds.items() if WORDING[0] in t)
    sinks = Sinks({"alert-log": JsonlSink(stack.archive.alerts_log, name="alert-log")}, {})
    for run_id in ("one", "two"):
        check_host(stack.archive, stack.registry.statements(), fetcher=stack.fetcher, sinks=sinks, run_id=run_id,
                   failure_threshold=3)
        stack.serve(changed, stack.seeds[changed].replace(*WORDING))
    return changed


def test_history_show_diff_status_export_and_verify_read_the_same_change(stack, capsys, wide_console, tmp_path) -> None:
    changed = _change_once(stack)
    root = str(stack.archive.root)
    capsys.readouterr()
    assert main(["history", changed, "--archive", root, "--json"]) == 0
    versions = json.loads(capsys.readouterr().out)["versions"]
    assert [v["seq"] for v in versions] == [1, 2]
    assert main(["show", changed, "--version", "1", "--archive", root]) == 0
    assert WORDING[0] in capsys.readouterr().out
    assert main(["show", changed, "--archive", root]) == 0
    assert WORDING[1] in capsys.readouterr().out
    assert main(["diff", changed, "1", "2", "--format", "unified", "--archive", root]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("-") and WORDING[0] in line for line in lines)
    assert any(line.startswith("+") and WORDING[1] in line for line in lines)
    assert main(["status", "--archive", root]) == 0
    assert changed in capsys.readouterr().out
    assert main(["export", changed, "--text", "--out", str(tmp_path / "texts.zip"), "--archive", root]) == 0
    assert (tmp_path / "texts.zip").stat().st_size > 0
    assert main(["verify", "--archive", root]) == 0
    assert "0 error(s)" in capsys.readouterr().out
