"""Tables fit where they are printed: a terminal of any width, a pipe, or --json."""
from __future__ import annotations

import io
import json

from rich.console import Console

from redline.core.table import Column, Grid, fit_columns, print_grid

LONG_NAME = "chairs-statement-on-cooperation-t20261121-11800001"
URL = "https://www.fmprc.gov.cn/mfa_eng/wjb_663304/zzjg_663340/jks_665232/kjfywj_665252/202012/t20201216_599781.html"


def grid() -> Grid:
    g = Grid("sources", (Column("name", priority=0), Column("kind", priority=3), Column("tags", priority=3, flex=True),
                         Column("state", priority=0), Column("error", priority=2, flex=True),
                         Column("url", priority=5, url=True)))
    g.add(LONG_NAME, "statement", "mfa, asean, cyber, digital-governance", "removed",
          "serves the site's 'page not found' placeholder (HTTP 200)", URL, value={"name": LONG_NAME, "n": 1})
    g.add("short", "listing", "", "ok", "", URL + "?x", value={"name": "short", "n": 2})
    return g


def terminal(width: int) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=width, force_terminal=True, color_system=None, soft_wrap=True), out


def test_at_80_columns_every_line_fits_names_stay_whole_and_dropped_columns_are_named() -> None:
    console, out = terminal(80)
    print_grid(console, grid())
    lines = out.getvalue().splitlines()
    assert all(len(line) <= 80 for line in lines), [len(l) for l in lines]
    assert any(LONG_NAME in line for line in lines)               # identifiers are never cut
    assert not any(URL[:40] in line and URL not in line for line in lines)   # a URL is whole or absent
    assert "not shown at this width" in lines[-1] and "url" in lines[-1] and "--json" in lines[-1]
    assert len(lines) < 10                                         # not one letter per line


def test_at_40_columns_the_must_keep_columns_remain_and_lines_do_not_explode() -> None:
    console, out = terminal(40)
    print_grid(console, grid())
    lines = out.getvalue().splitlines()
    assert any("removed" in line for line in lines) and len(lines) < 12


def test_a_wide_terminal_shows_every_column() -> None:
    keep, widths = fit_columns(grid(), 400)
    assert keep == list(range(6)) and widths[5] == len(URL) + 2


def test_piped_output_is_one_tab_separated_line_per_row_with_a_header() -> None:
    out = io.StringIO()
    print_grid(Console(file=out, width=80), grid())            # a StringIO is not a terminal
    lines = out.getvalue().splitlines()
    assert lines[0] == "name\tkind\ttags\tstate\terror\turl"
    assert lines[1].split("\t")[0] == LONG_NAME and lines[1].split("\t")[5] == URL and len(lines) == 3


def test_json_gives_the_typed_rows() -> None:
    out = io.StringIO()
    print_grid(Console(file=out), grid(), as_json=True)
    assert json.loads(out.getvalue()) == [{"name": LONG_NAME, "n": 1}, {"name": "short", "n": 2}]
