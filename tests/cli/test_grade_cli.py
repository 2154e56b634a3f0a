"""`redline grade`: the change alerts' grading from the command line, for two texts or saved pages,
and for a file of labelled cases (the interface a held-out set is run against)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from redline.cli.grade import guess_language

TESTS = Path(__file__).resolve().parents[1]
FIXTURES = TESTS / "fixtures" / "mfa"
CASES = TESTS / "data" / "significance_cases.toml"


def redline(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("REDLINE_CONFIG", "REDLINE_SOURCES", "REDLINE_ARCHIVE")}
    return subprocess.run([sys.executable, "-m", "redline.cli.main", *args], capture_output=True, text=True,
                          timeout=120, env=env, cwd=cwd, input=stdin)


def write(folder: Path, name: str, text: str) -> str:
    (folder / name).write_text(text, encoding="utf-8")
    return name


def test_grade_prints_the_alerts_significance_as_json(tmp_path) -> None:
    before = write(tmp_path, "a.txt", "Remarks by the Spokesperson\nChina will support the initiative.\n"
                                      "All parties should work together.\n")
    after = write(tmp_path, "b.txt", "Remarks by the Spokesperson\nChina will not support the initiative.\n"
                                     "All parties must work together.\n")
    out = redline("grade", before, after, "--json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    sig = json.loads(out.stdout)
    assert sig["grade"] == "high"
    assert [(r["kind"], r["paragraph"]) for r in sig["reasons"]] == [("negation", 2), ("modality", 3)]
    assert set(sig["reasons"][0]) == {"kind", "before", "after", "paragraph"}
    assert "not" in sig["reasons"][0]["after"] and "not" not in sig["reasons"][0]["before"]


def test_grade_piped_gives_one_row_per_reason_with_its_grade(tmp_path) -> None:
    before = write(tmp_path, "a.txt", "Title\nThe meeting was held in 2023.\n")
    after = write(tmp_path, "b.txt", "Title\nThe meeting was held in 2024.\nA second paragraph was added here.\n")
    out = redline("grade", before, after, cwd=tmp_path)
    rows = [line.split("\t") for line in out.stdout.splitlines()]
    assert rows[0] == ["grade", "kind", "¶", "before", "after"]
    assert [(r[0], r[1]) for r in rows[1:]] == [("medium", "date"), ("medium", "paragraph_added")]


def test_grade_reads_a_saved_page_as_a_check_normalizes_it(tmp_path) -> None:
    page = (FIXTURES / "cw_en_presser_t1624190_2018-12-21_cyber.html").read_bytes()
    html = page.decode("utf-8")
    assert " should " in html
    (tmp_path / "old.html").write_bytes(page)
    (tmp_path / "new.html").write_text(html.replace(" should ", " must ", 1), encoding="utf-8")
    sig = json.loads(redline("grade", "old.html", "new.html", "--json", cwd=tmp_path).stdout)
    assert sig["grade"] == "high" and [r["kind"] for r in sig["reasons"]] == ["modality"]
    same = json.loads(redline("grade", "old.html", "old.html", "--json", cwd=tmp_path).stdout)
    assert same == {"grade": "low", "reasons": []}


def test_grade_takes_one_side_from_standard_input_and_knows_chinese(tmp_path) -> None:
    before = write(tmp_path, "a.txt", "外交部发言人答记者问\n中方支持这一倡议。\n")
    out = redline("grade", before, "-", "--json", cwd=tmp_path, stdin="外交部发言人答记者问\n中方不支持这一倡议。\n")
    sig = json.loads(out.stdout)
    assert sig["grade"] == "high" and [r["kind"] for r in sig["reasons"]] == ["negation"]
    assert guess_language("中方不支持这一倡议。") == "zh" and guess_language("China (中国) will act.") == "en"


def test_grade_cases_runs_the_labelled_set_and_passes(tmp_path) -> None:
    out = redline("grade", "--cases", str(CASES), "--json", cwd=tmp_path)
    report = json.loads(out.stdout)
    assert out.returncode == 0 and report["cases"] == report["passed"] >= 60


def test_grade_cases_names_each_failing_case_and_exits_1(tmp_path) -> None:
    cases = write(tmp_path, "cases.toml", '[[case]]\nid = "wrongly labelled"\nbefore = "T\\nWe will act."\n'
                                          'after = "T\\nWe will not act."\nexpect = ["number"]\ngrade = "low"\n'
                                          '[[case]]\nid = "right"\nbefore = "T\\nWe act."\nafter = "T\\nWe act."\n'
                                          'grade = "low"\n')
    out = redline("grade", "--cases", cases, cwd=tmp_path)
    assert out.returncode == 1
    rows = {r.split("\t")[0]: r.split("\t") for r in out.stdout.splitlines()[1:]}
    assert rows["wrongly labelled"][1:] == ["high", "negation", "grade high, expected low; missing number"]
    assert rows["right"][-1] == "pass"


@pytest.mark.parametrize("content, message", [
    ('[[case]]\nid = "x"\nbefore = "a"\nafter = "b"\nexpect = ["negashun"]\n', "unknown reason kind 'negashun'"),
    ('[[case]]\nid = "x"\nbefore = "a"\nafter = "b"\ncolour = 1\n', "unknown key 'colour'"),
    ('[[case]]\nid = "x"\nafter = "b"\n', "before must be a string"),
    ('[notcase]\n', "no [[case]] tables"),
])
def test_a_bad_cases_file_is_refused_in_one_line_naming_it(tmp_path, content, message) -> None:
    cases = write(tmp_path, "cases.toml", content)
    out = redline("grade", "--cases", cases, cwd=tmp_path)
    assert out.returncode != 0 and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and message in out.stderr and "cases.toml" in out.stderr


def test_grade_without_two_readable_files_says_what_to_give(tmp_path) -> None:
    write(tmp_path, "a.txt", "T\nx\n")
    for args, message in ((("a.txt",), "give two files"), (("a.txt", "missing.txt"), "cannot read missing.txt")):
        out = redline("grade", *args, cwd=tmp_path)
        assert out.returncode != 0 and message in out.stderr and "Traceback" not in out.stderr


def test_grade_adds_formulation_reasons_only_when_the_watch_list_is_asked_for(tmp_path) -> None:
    before = write(tmp_path, "a.txt", "Statement\nWe hold that the UN should play a leading role in this work.\n")
    after = write(tmp_path, "b.txt", "Statement\nWe hold that the UN should play a central role in this work.\n")
    plain = json.loads(redline("grade", before, after, "--json", cwd=tmp_path).stdout)
    watched = json.loads(redline("grade", before, after, "--json", "--watched", cwd=tmp_path).stdout)
    assert plain["grade"] == "medium" and "formulation" not in [r["kind"] for r in plain["reasons"]]
    assert watched["grade"] == "high"
    dropped = [r for r in watched["reasons"] if r["kind"] == "formulation"]
    assert dropped[0]["phrase"] == "the UN should play a leading role" and dropped[0]["after"] == ""
