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


def test_an_archive_brings_the_sources_file_it_was_made_with(tmp_path, capsys, monkeypatch) -> None:
    from redline.core.config import Settings, remember_sources

    monkeypatch.delenv("REDLINE_SOURCES", raising=False)
    monkeypatch.chdir(tmp_path)          # no ./seeds here: the default would be the repository's seeds
    mine, archive = tmp_path / "demo" / "sources.toml", tmp_path / "demo" / "archive"
    mine.parent.mkdir()
    assert main(["sources", "add", "first-page", "https://www.example.org/a.html", "--sources", str(mine)]) == 0
    assert remember_sources(archive, mine) and not remember_sources(archive, tmp_path / "other.toml")
    assert 'sources = "../sources.toml"' in (archive / "redline.toml").read_text()
    assert Settings.resolve(archive=str(archive)).sources == mine.resolve()
    capsys.readouterr()
    # `sources add` and `sources list` given only --archive edit and list that file, not seeds/sources.toml
    assert main(["sources", "add", "second-page", "https://www.example.org/b.html", "--archive", str(archive)]) == 0
    assert [s.name for s in load_registry(mine).sources] == ["first-page", "second-page"]
    capsys.readouterr()
    assert main(["sources", "list", "--archive", str(archive)]) == 0
    listed = [line.split("\t")[0] for line in capsys.readouterr().out.splitlines()[1:]]
    assert listed == ["first-page", "second-page"]
    # an explicit --sources still wins
    assert Settings.resolve(archive=str(archive), sources=str(tmp_path / "x.toml")).sources == tmp_path / "x.toml"


def test_a_bare_redline_prints_the_help() -> None:
    out = redline()
    assert out.returncode == 0 and "usage: redline" in out.stdout and "history" in out.stdout


def test_history_of_an_unknown_source_points_to_sources_list(stack, capsys) -> None:
    assert main(["history", "no-such-source", "--archive", str(stack.archive.root)]) == 1
    err = capsys.readouterr().err
    assert "redline sources list" in err and len(err.strip().splitlines()) == 1


def test_export_refuses_to_overwrite_without_force(stack, tmp_path, capsys) -> None:
    from redline.core.model import Source  # noqa: F401  (the stack's sources are checked once at its start)

    name = stack.registry.statements()[0].name
    out = tmp_path / "x.warc.gz"
    out.write_bytes(b"mine")
    assert main(["export", name, "--out", str(out), "--archive", str(stack.archive.root)]) == 1
    assert "--force" in capsys.readouterr().err and out.read_bytes() == b"mine"


def test_files_redline_writes_honour_the_umask_and_private_ones_stay_private(tmp_path) -> None:
    from redline.core.atomic import atomic_write_bytes, process_umask

    old = os.umask(0o022)
    process_umask.cache_clear()
    try:
        atomic_write_bytes(tmp_path / "feed.xml", b"<feed/>")
        atomic_write_bytes(tmp_path / "secret", b"token", private=True)
    finally:
        os.umask(old)
        process_umask.cache_clear()
    assert (tmp_path / "feed.xml").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "secret").stat().st_mode & 0o777 == 0o600


def test_nothing_prefect_runs_for_redline_reports_usage() -> None:
    from redline.orchestration.api import QUIET_ENV

    # the server's analytics and the client's own usage reporting (DO_NOT_TRACK) are both off
    assert QUIET_ENV["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false" and QUIET_ENV["DO_NOT_TRACK"] == "1"
    code = ("import os; from pathlib import Path; from redline.orchestration.api import quiet_prefect_env; "
            "quiet_prefect_env(Path('ph')); "
            "from prefect._internal.analytics.enabled import is_telemetry_enabled; "
            "print(is_telemetry_enabled())")
    env = {k: v for k, v in os.environ.items() if k not in ("DO_NOT_TRACK", "CI")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert out.stdout.strip() == "False", out.stderr[-500:]


def test_make_serve_runs_serve_with_the_browse_view_and_serve_prints_three_addresses() -> None:
    from pathlib import Path

    from redline.cli.ops import serve_addresses

    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    target = makefile[makefile.index("\nserve: venv"):].split("\n\n")[0]
    assert "$(BIN)/redline serve --browse" in target
    lines = serve_addresses("http://127.0.0.1:4200/api", ui=True, browse=8800, feed=Path("archive/feeds/alerts.xml"))
    assert lines == ["browse view:  http://127.0.0.1:8800/",
                     "Prefect UI:   http://127.0.0.1:4200/  (runs, Quick run, pause a schedule)",
                     "alert feed:   http://127.0.0.1:8800/alerts/feed.xml"]
    assert serve_addresses("http://x/api", ui=False, browse=None, feed=Path("f.xml"))[0] == "Prefect API:  http://x/api"


def test_a_long_url_or_path_is_never_broken_across_lines(tmp_path) -> None:
    long_dir = tmp_path / ("a-folder-with-a-rather-long-name-" * 3)
    long_dir.mkdir()
    url = "https://www.fmprc.gov.cn/mfa_eng/wjb_663304/zzjg_663340/jks_665232/kjfywj_665252/202012/t20201216_599781.html"
    out = redline("sources", "add", "long-one", url, "--sources", str(long_dir / "s.toml"), env={"COLUMNS": "40"})
    assert out.returncode == 0, out.stderr
    assert str(long_dir / "s.toml") in out.stdout            # whole, on one line, though far wider than 40
