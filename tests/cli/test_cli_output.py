"""What the table commands print: readable when piped, at 80 columns, and as JSON; first steps
of someone starting their own sources file."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from redline.cli.main import main
from redline.registry.load import load_registry


def redline(*args: str, env: dict | None = None, cwd=None) -> subprocess.CompletedProcess:
    """The real command, its stdout a pipe (as under cron or `| less`)."""
    return subprocess.run([sys.executable, "-m", "redline.cli.main", *args], capture_output=True, text=True,
                          timeout=120, env={**os.environ, **(env or {})}, cwd=cwd)


def test_sources_list_piped_is_one_tab_separated_line_per_source_with_its_url(stack) -> None:
    out = redline("sources", "list", "--sources", str(stack.registry.path), "--archive", str(stack.archive.root))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split("\t") == ["name", "kind", "origin", "enabled", "tags", "versions", "state", "url"]
    names = [s.name for s in stack.registry.sources]
    assert [line.split("\t")[0] for line in lines[1:]] == names
    assert all(line.split("\t")[7].startswith("http") for line in lines[1:])


def test_status_as_json_names_each_source_and_its_state(stack) -> None:
    out = redline("status", "--json", "--sources", str(stack.registry.path), "--archive", str(stack.archive.root))
    data = json.loads(out.stdout)
    assert {row["source"] for row in data} == {s.name for s in stack.registry.statements()}
    assert all(set(row) >= {"state", "http", "failures", "last_check", "next_run", "last_error"} for row in data)


def test_status_at_80_columns_on_a_terminal_fits_every_line(stack) -> None:
    pytest.importorskip("pty")
    import pty

    env = {**os.environ, "COLUMNS": "80", "LINES": "40", "TERM": "xterm"}
    cmd = [sys.executable, "-m", "redline.cli.main", "status", "--sources", str(stack.registry.path),
           "--archive", str(stack.archive.root)]
    leader, follower = pty.openpty()
    proc = subprocess.Popen(cmd, stdin=follower, stdout=follower, stderr=follower, env=env, close_fds=True)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(leader)
    import re

    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", b"".join(chunks).decode("utf-8", "replace"))
    lines = [line.rstrip("\r") for line in text.splitlines()]
    rows = [line for line in lines if str(stack.archive.root) not in line]   # a path is never broken, like a URL
    assert rows and all(len(line) <= 80 for line in rows), max(len(line) for line in rows)
    for s in stack.registry.statements():
        assert any(line.startswith(s.name) for line in lines), s.name   # names whole, one row each


def test_sources_add_to_a_file_that_does_not_exist_creates_it_with_the_key_comments(tmp_path, capsys) -> None:
    path = tmp_path / "mine.toml"
    assert main(["sources", "add", "my-page", "https://www.example.org/statement.html", "--sources", str(path),
                 "--archive", str(tmp_path / "archive")]) == 0
    out, err = capsys.readouterr()
    assert f"created {path}" in out and "Traceback" not in err
    assert load_registry(path).by_name("my-page").url == "https://www.example.org/statement.html"
    assert path.read_text().startswith("# redline source registry") and "masks" in path.read_text()
    assert main(["sources", "add", "x", "https://www.example.org/x.html", "--sources",
                 str(tmp_path / "no-such-folder" / "s.toml")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_sources_add_of_a_loopback_url_warns_that_checks_will_refuse_it(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("REDLINE_ALLOW_PRIVATE", raising=False)
    path = tmp_path / "mine.toml"
    assert main(["sources", "add", "local", "http://127.0.0.1:8000/page.html", "--sources", str(path)]) == 0
    err = capsys.readouterr().err
    assert "not a public address" in err and "REDLINE_ALLOW_PRIVATE" in err
    monkeypatch.setenv("REDLINE_ALLOW_PRIVATE", "loopback")
    assert main(["sources", "add", "local2", "http://127.0.0.1:8000/other.html", "--sources", str(path)]) == 0
    assert "not a public address" not in capsys.readouterr().err
