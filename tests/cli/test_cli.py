"""`redline` on the command line: one clear line for bad input, never a traceback."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from redline.cli.main import build_parser, main

PROJECT = Path(__file__).resolve().parents[2]


def test_bad_sources_file_gives_one_line_per_problem_and_exit_2(tmp_path, capsys) -> None:
    bad = tmp_path / "sources.toml"
    bad.write_text('[[source]]\nname = "a"\nurl = "ftp://x.org/a"\nurll = "typo"\n', encoding="utf-8")
    code = main(["run", "--sources", str(bad), "--archive", str(tmp_path / "archive")])
    err = capsys.readouterr().err
    assert code == 2
    lines = [l for l in err.splitlines() if l.strip()]
    assert len(lines) == 2 and all(l.startswith("error: ") and str(bad) in l for l in lines), err
    assert "Traceback" not in err
    assert not (tmp_path / "archive").exists()


def test_unknown_source_name_is_one_line(tmp_path, capsys) -> None:
    code = main(["run", "--source", "no-such-statement", "--archive", str(tmp_path / "a")])
    err = capsys.readouterr().err
    assert code != 0 and "no-such-statement" in err and len(err.strip().splitlines()) == 1


def test_serve_refuses_a_bad_number_of_check_processes_in_one_line_before_starting_prefect(
        tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("REDLINE_CHECK_PROCESSES", "two")
    code = main(["serve", "--no-ui", "--archive", str(tmp_path / "a")])
    captured = capsys.readouterr()
    assert code == 1 and "Traceback" not in captured.err
    assert captured.err.strip().splitlines() == [
        "error: REDLINE_CHECK_PROCESSES='two' is not a number of processes: set a whole number (0 turns the "
        "check processes off)"]
    assert "starting Prefect" not in captured.out and not (tmp_path / "a" / ".prefect" / "serve.json").exists()


def test_a_command_run_in_process_leaves_the_garbage_collector_alone(tmp_path, capsys) -> None:
    """Only the `redline` process itself, about to exit, freezes its objects (see cli.main)."""
    import gc

    before = gc.get_freeze_count()
    assert main(["run", "--source", "no-such-statement", "--archive", str(tmp_path / "a")]) != 0
    assert gc.get_freeze_count() == before


def test_every_command_has_help_and_is_in_the_readme() -> None:
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for name, parser in sub.choices.items():
        assert parser.description, name
        assert f"redline {name}" in readme, name


@pytest.mark.flow
def test_run_without_network_fails_each_source_in_one_line_and_ends_normally(tmp_path) -> None:
    """The real command on a fresh archive: starts a local Prefect server, checks the five
    seed URLs (no network here), prints the table, exits 0, keeps the baselines."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["COLUMNS"] = "200"
    archive = tmp_path / "archive"
    proc = subprocess.run([str(Path(sys.executable).with_name("redline")), "run", "--archive", str(archive)],
                          capture_output=True, text=True, env=env, cwd=PROJECT, timeout=400,
                          stdin=subprocess.DEVNULL)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "Traceback" not in out and "telemetry" not in out.lower()
    assert "Failed to create the Prefect home directory" not in out, out
    for host in ("www.fmprc.gov.cn", "un.china-mission.gov.cn", "www.china-un.ch", "www.cac.gov.cn"):
        assert host in out
    from redline.store.sqlite import Archive

    with Archive(archive) as a:
        assert a.counts()["versions"] == 5 and a.counts()["alerts"] == 0
        assert all(r["failures"] == 1 and r["last_error"] for r in a.sources() if r["kind"] == "statement")


def test_the_redline_process_itself_freezes_its_objects_after_its_imports() -> None:
    """redline.core.process.settle: gc.freeze in the command's own interpreter only."""
    import subprocess
    import sys

    code = ("import gc; from redline.core import process; process.settle(); a = gc.get_freeze_count(); "
            "process.mark_command_process(); process.settle(); print(a, gc.get_freeze_count() > 0)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["0", "True"]


def test_verify_of_a_folder_with_only_a_readme_says_there_is_no_archive(tmp_path, capsys) -> None:
    from redline.cli.main import main

    (tmp_path / "archive").mkdir()
    (tmp_path / "archive" / "README.md").write_text("# archive/\n")
    code = main(["verify", "--archive", str(tmp_path / "archive")])
    assert code != 0 and "no archive at" in capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "archive").iterdir()) == ["README.md"]  # nothing created
