"""`redline history / show / diff / export` on an archive the monitor made."""
from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from support.browse_stack import browse_stack
from redline.cli.main import main


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    with browse_stack(tmp_path_factory.mktemp("cli")) as bs:
        yield bs


def run(bs, capsys, *argv: str) -> tuple[int, str, str]:
    code = main([*argv, "--archive", str(bs.archive.root)])
    out, err = capsys.readouterr()
    return code, out, err


def ids(bs, name: str) -> list[int]:
    return [v.id for v in bs.archive.versions(name)]


def numbers(bs, name: str) -> list[int]:
    """The versions' numbers within their source (v1, v2, ...): what every command takes."""
    return [v.seq for v in bs.archive.versions(name)]


def test_history_lists_every_version_with_its_change_alert_and_capture(built, capsys) -> None:
    code, out, _ = run(built, capsys, "history", built.changed)
    old, new = ids(built, built.changed)
    assert code == 0
    capture = built.archive.version(new).capture_id
    assert "baseline" in out and "substantive" in out and f"#{built.alert_id}" in out and f"#{capture} (200)" in out
    assert "2 versions, 2 captures, 1 alert" in out
    code, out, _ = run(built, capsys, "history", built.changed, "--json")
    data = json.loads(out)
    assert [v["id"] for v in data["versions"]] == [old, new] and data["versions"][1]["change"] == "substantive"
    code, out, _ = run(built, capsys, "history", built.changed, "--json", "--limit", "1")
    assert [v["id"] for v in json.loads(out)["versions"]] == [new]


def test_show_prints_the_latest_text_or_the_version_asked_for(built, capsys) -> None:
    old, new = numbers(built, built.changed)
    latest = run(built, capsys, "show", built.changed)[1]
    assert latest == built.archive.get_text(built.archive.version(ids(built, built.changed)[1]).text_sha256) + "\n"
    assert "should play a central role" in latest
    assert "should play a leading role" in run(built, capsys, "show", built.changed, "--version", str(old))[1]


def test_show_at_a_date_picks_the_version_current_then(built, capsys) -> None:
    # the baseline is dated by the statement (2020-12-16 22:36); the changed wording was first seen today
    assert "leading role" in run(built, capsys, "show", built.changed, "--at", "2021-01-01")[1]
    assert "leading role" in run(built, capsys, "show", built.changed, "--at", "2020-12-16")[1]   # end of that day
    assert "central role" in run(built, capsys, "show", built.changed, "--at", "2999-01-01T00:00Z")[1]
    code, out, err = run(built, capsys, "show", built.changed, "--at", "2020-12-16T22:00+00:00")
    assert code == 1 and out == "" and "no version at 2020-12-16T22:00" in err and len(err.splitlines()) == 1


def test_show_refuses_a_date_it_cannot_read(built, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["show", built.changed, "--at", "last tuesday", "--archive", str(built.archive.root)])
    assert exit_.value.code == 2 and "is not a date" in capsys.readouterr().err


def test_diff_in_text_html_and_unified_formats(built, capsys) -> None:
    old, new = (str(i) for i in numbers(built, built.changed))
    code, text, _ = run(built, capsys, "diff", built.changed, old, "v" + new)   # 3 and v3 both name v3
    assert code == 0 and "[-leading-]{+central+}" in text and "\x1b[" not in text   # no colour when piped
    html = run(built, capsys, "diff", built.changed, old, new, "--format", "html")[1]
    assert '<div class="hunk"' in html and "<del>leading</del><ins>central</ins>" in html
    unified = run(built, capsys, "diff", built.changed, old, new, "--format", "unified")[1].splitlines()
    assert unified[0].startswith(f"--- {built.changed} v{old} ") and unified[1].startswith(f"+++ {built.changed} v{new} ")
    assert [l[:1] for l in unified if "play a" in l] == ["-", "+"]


def test_a_version_number_the_source_does_not_have_fails_in_one_line(built, capsys) -> None:
    code, out, err = run(built, capsys, "diff", built.changed, "1", "9")
    assert code == 1 and out == "" and len(err.strip().splitlines()) == 1
    assert "has no version 9 (it has v1 to v2)" in err


def test_commands_take_the_per_source_version_numbers_history_shows(built, capsys) -> None:
    # the archive's ids of the two versions are not 1 and 2 (other sources' versions came first)
    assert ids(built, built.changed) != [1, 2] and numbers(built, built.changed) == [1, 2]
    code, out, _ = run(built, capsys, "history", built.changed)
    assert code == 0 and out.splitlines()[-2].startswith("v1\t") and out.splitlines()[-1].startswith("v2\t")
    assert run(built, capsys, "diff", built.changed, "1", "2")[0] == 0
    assert "leading role" in run(built, capsys, "show", built.changed, "--version", "v1")[1]


def test_unknown_source_and_missing_archive_fail_in_one_line_and_create_nothing(built, capsys, tmp_path) -> None:
    code, _, err = run(built, capsys, "history", "no-such-source")
    assert code == 1 and "no source named 'no-such-source'" in err
    code = main(["show", built.changed, "--archive", str(tmp_path / "nowhere")])
    err = capsys.readouterr().err
    assert code == 1 and "no archive at" in err and not (tmp_path / "nowhere").exists()


def test_export_warc_writes_one_valid_warc_with_every_capture(built, capsys, tmp_path) -> None:
    out = tmp_path / "evidence.warc.gz"
    code, said, _ = run(built, capsys, "export", built.changed, "--warc", "--out", str(out))
    assert code == 0 and str(out) in said
    check = subprocess.run([str(Path(sys.executable).with_name("warcio")), "check", str(out)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    with open(out, "rb") as fh:
        records = [(r.rec_type, r.rec_headers.get_header("WARC-Record-ID")) for r in ArchiveIterator(fh)]
    captures = built.archive.query("SELECT warc_record_id FROM captures WHERE source=? AND warc_path IS NOT NULL",
                                   (built.changed,))
    assert records[0][0] == "warcinfo"
    assert {c["warc_record_id"] for c in captures} <= {rid for _, rid in records}
    assert [t for t, _ in records].count("request") == len(captures) == 2


def test_export_text_writes_a_zip_with_a_file_per_version_and_a_manifest(built, capsys, tmp_path) -> None:
    out = tmp_path / "texts.zip"
    assert run(built, capsys, "export", built.changed, "--text", "--out", str(out))[0] == 0
    with zipfile.ZipFile(out) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        files = [v["file"] for v in manifest["versions"]]
        assert sorted(zf.namelist()) == sorted([*files, "manifest.json"])
        texts = [zf.read(f).decode("utf-8") for f in files]
    assert files[0].startswith("v0001_20201216T223600Z_id") and manifest["source"]["name"] == built.changed
    assert [built.archive.get_text(v.text_sha256) for v in built.archive.versions(built.changed)] == texts


def test_browse_serves_the_archive_read_only_on_loopback_until_interrupted(built) -> None:
    import os
    import signal

    import httpx

    redline = str(Path(sys.executable).with_name("redline"))
    proc = subprocess.Popen([redline, "browse", "--port", "0", "--archive", str(built.archive.root)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"})
    try:
        line = proc.stdout.readline()
        url = line.split()[2]
        assert url.startswith("http://127.0.0.1:") and "read-only" in line, line
        data = httpx.get(url + "api/sources", timeout=10).json()
        assert len(data["sources"]) == 7
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0, proc.stderr.read()
