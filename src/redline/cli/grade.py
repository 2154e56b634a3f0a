"""`redline grade`: how much a change matters (high / medium / low) and why, for any two texts or
pages, or for a file of labelled cases: the grading every change alert carries, from the command line."""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from redline.cli.common import add_json_arg, console, resolve_settings
from redline.core.errors import ConfigError, RedlineError
from redline.core.table import Column, Grid, print_grid

REASON_COLUMNS = (Column("grade", priority=0), Column("kind", priority=0), Column("¶", priority=0, justify="right"),
                  Column("before", priority=0, flex=True, min=12), Column("after", priority=0, flex=True, min=12))
CASE_COLUMNS = (Column("case", priority=0, flex=True, min=16), Column("grade", priority=0),
                Column("reasons", priority=1, flex=True), Column("result", priority=0, flex=True, min=12))
_HTML = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|div|p)\b", re.I | re.S)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LETTER = re.compile(r"[^\W\d_]")


def read_statement(name: str, *, as_: str = "auto") -> str:
    """The normalized text of a file ('-': standard input): an HTML page is normalized as a check
    normalizes it; a text file is taken as it is (one paragraph a line, the title first)."""
    from redline.ingest.charset import decode
    from redline.text.normalize import normalize

    try:
        body = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    except OSError as exc:
        raise RedlineError(f"cannot read {name}: {exc.strerror or exc}; give a text file or a saved page") from None
    text = decode(body, None).text
    if as_ == "html" or (as_ == "auto" and _HTML.match(body[:2048])):
        return normalize(text).text
    return "\n".join(line.strip() for line in text.splitlines())


def guess_language(*texts: str) -> str:
    """"zh" when Chinese characters are at least a third of the letters, else "en"."""
    joined = "".join(texts)
    letters = len(_LETTER.findall(joined))
    return "zh" if letters and len(_CJK.findall(joined)) * 3 >= letters else "en"


def _settings_parts(args: argparse.Namespace) -> tuple[dict[str, str], tuple]:
    from redline.alerts.channels import significance_table
    from redline.registry.watch import load_watch

    settings = resolve_settings(args)
    watch = load_watch(settings, given=args.watch) if args.watch or args.watched else ()
    return significance_table(settings), watch


def _cmd_grade(args: argparse.Namespace) -> int:
    table, watch = _settings_parts(args)
    if args.cases:
        if args.before or args.after:
            raise RedlineError("redline grade: give BEFORE and AFTER, or --cases FILE, not both")
        return _run_cases(Path(args.cases), table=table, watch=watch, as_json=args.json)
    if not (args.before and args.after):
        raise RedlineError("redline grade: give two files, BEFORE and AFTER ('-' for standard input), "
                           "or --cases FILE")
    if args.before == args.after == "-":
        raise RedlineError("redline grade: only one of BEFORE and AFTER can be '-' (standard input)")
    from redline.text.significance import DEFAULT_GRADES, grade_change

    before, after = read_statement(args.before, as_=args.as_), read_statement(args.after, as_=args.as_)
    language = guess_language(before, after) if args.language == "auto" else args.language
    try:
        sig = grade_change(before, after, language=language, table=table, watch=watch)
    except ValueError as exc:   # a mask or table problem: one line
        raise ConfigError(str(exc)) from None
    if args.json:
        print(json.dumps(sig.to_json(), ensure_ascii=False, indent=2))
        return 0
    grid = Grid(f"redline grade: {sig.grade} ({len(sig.reasons)} reason{'s' * (len(sig.reasons) != 1)}, "
                f"{language})", REASON_COLUMNS)
    for r in sig.reasons:
        grid.add({**DEFAULT_GRADES, **table}[r.kind], r.kind + (f" ({r.phrase})" if r.phrase else ""),
                 str(r.paragraph), r.before or "-",
                 r.after or "-", value=r.to_json())
    print_grid(console, grid)
    if not sig.reasons:
        console.print("grade low: no wording changed (only spacing, punctuation or masked text, or nothing)",
                      highlight=False)
    return 0


def _run_cases(path: Path, *, table: dict[str, str], watch: tuple, as_json: bool) -> int:
    from redline.core.config import read_toml
    from redline.text.gradecases import check_case, parse_cases

    try:
        cases = parse_cases(read_toml(path, what="cases file"), where=str(path))
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    results = [check_case(c, table=table, watch=watch) for c in cases]
    passed = sum(r.passed for r in results)
    if as_json:
        print(json.dumps({"cases": len(results), "passed": passed, "results": [r.record() for r in results]},
                         ensure_ascii=False, indent=2))
        return 0 if passed == len(results) else 1
    grid = Grid(f"redline grade --cases {path.name}: {passed} of {len(results)} pass", CASE_COLUMNS)
    for r in results:
        grid.add(r.id, r.significance.grade, ", ".join(r.significance.kinds) or "-", r.problems() or "pass",
                 style=None if r.passed else "red", value=r.record())
    print_grid(console, grid)
    return 0 if passed == len(results) else 1


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("grade", help="how much a change matters (high/medium/low) and why, for two texts or pages",
                       description="Grade the change from BEFORE to AFTER as every change alert is graded: high, "
                                   "medium or low, with its reasons (negation, modality, formulation, entity, "
                                   "number, date, headline, paragraph_added, paragraph_removed, spelling, "
                                   "wording), each with the words before and after and its paragraph. A saved "
                                   "HTML page is normalized first; a text file is one paragraph a line, the title "
                                   "first. The config's [significance] table applies; the watch list (formulation reasons) only with "
                                   "--watched or --watch FILE. With "
                                   "--cases FILE: check a file of labelled [[case]] tables (id, before, after, "
                                   "expect, forbid, grade, language, masks, exact); exit 1 when one fails.")
    p.add_argument("before", nargs="?", help="the old text or page ('-': standard input)")
    p.add_argument("after", nargs="?", help="the new text or page ('-': standard input)")
    p.add_argument("--cases", metavar="FILE", help="check the labelled [[case]] tables of FILE instead")
    p.add_argument("--language", choices=("auto", "en", "zh"), default="auto",
                   help="the statement's language (default: auto, from the characters)")
    p.add_argument("--as", dest="as_", choices=("auto", "text", "html"), default="auto",
                   help="read the files as normalized text or as HTML pages (default: auto, by their start)")
    p.add_argument("--watched", action="store_true",
                   help="add formulation reasons for the configured watch list (as the monitor's alerts do)")
    p.add_argument("--watch", metavar="FILE", help="add formulation reasons for the watch list in FILE ([[watch]] tables)")
    p.add_argument("--archive", metavar="DIR", help="archive folder, for its config (default: $REDLINE_ARCHIVE "
                                                    "or ./archive)")
    p.add_argument("--sources", metavar="FILE", help="sources file (its folder's watch.toml is the default list)")
    add_json_arg(p)
    p.set_defaults(func=_cmd_grade)
