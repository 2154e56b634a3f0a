"""Tables that fit where they are printed: one value, three renderings.

A `Grid` holds a title, columns and rows of plain strings. `print_grid` shows it
- on a terminal: a rich table that fits the console's width. Columns are dropped
  lowest priority first until the rest fit, then the flexible ones are cut with
  an ellipsis; a column that holds URLs is never cut (it is dropped instead), so
  every URL shown can be clicked and copied whole. The dropped columns are named
  in a caption ("--json shows every column");
- piped or redirected (not a terminal): tab-separated lines, a header line first,
  every column, nothing cut or wrapped, so `grep`, `cut` and `awk` work;
- with `--json` (`grid_json`): a list of objects keyed by column name.
The layout is pure (`fit_columns`); only `print_grid` touches a console.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

__all__ = ["Column", "Grid", "fit_columns", "print_grid", "grid_json", "grid_tsv"]

_PAD = 3        # what box.SIMPLE_HEAD puts between two columns (padding and separator)
_MIN_CUT = 8    # a flexible column is never cut narrower than this (unless its Column.min says otherwise)
_COMFORT = 24   # a flexible column this wide still reads well: columns are dropped before it is cut below


@dataclass(frozen=True)
class Column:
    name: str
    priority: int = 1           # 0: always kept; higher numbers are dropped first when space runs out
    flex: bool = False          # may be cut (ellipsis) to fit
    url: bool = False           # holds URLs: never cut, dropped instead
    justify: str = "left"
    min: int | None = None      # a flexible column is never cut narrower (default: 8, or its header)
    key: str | None = None      # its JSON key (default: the name, lower case, spaces as _)

    @property
    def json_key(self) -> str:
        return self.key or self.name.lower().replace(" ", "_").replace(",", "")


@dataclass
class Grid:
    title: str
    columns: Sequence[Column]
    rows: list[tuple[str, ...]] = field(default_factory=list)
    styles: list[str | None] = field(default_factory=list)
    caption: str = ""
    values: list[dict[str, Any]] = field(default_factory=list)   # typed JSON rows, when cells are not enough

    def add(self, *cells: Any, style: str | None = None, value: dict[str, Any] | None = None) -> None:
        if len(cells) != len(self.columns):
            raise ValueError(f"{len(cells)} cells for {len(self.columns)} columns")
        self.rows.append(tuple("" if c is None else str(c) for c in cells))
        self.styles.append(style)
        if value is not None:
            self.values.append(value)


def _natural(grid: Grid, index: int) -> int:
    column = grid.columns[index]
    return max([cell_len(column.name)] + [cell_len(r[index]) for r in grid.rows])


def _blank(grid: Grid, index: int) -> bool:
    return all(row[index].strip() in ("", "-") for row in grid.rows)


def fit_columns(grid: Grid, width: int) -> tuple[list[int], list[int]]:
    """(kept column indexes, their widths) for a console `width` cells wide. Pure."""
    natural = [_natural(grid, i) for i in range(len(grid.columns))]
    keep = [i for i in range(len(grid.columns)) if grid.columns[i].priority == 0 or not _blank(grid, i)]

    def least(i: int) -> int:
        c = grid.columns[i]
        if not c.flex or c.url:
            return natural[i]
        return min(natural[i], c.min if c.min is not None else max(_MIN_CUT, cell_len(c.name)))

    def comfortable(i: int) -> int:
        return natural[i] if not grid.columns[i].flex else max(least(i), min(natural[i], _COMFORT))

    def need(cols: list[int]) -> int:
        return sum(comfortable(i) for i in cols) + _PAD * max(len(cols) - 1, 0)

    droppable = sorted((i for i in keep if grid.columns[i].priority > 0),
                       key=lambda i: (-grid.columns[i].priority, -i))
    while need(keep) > width and droppable:
        keep.remove(droppable.pop(0))
    widths = [natural[i] for i in keep]
    over = sum(widths) + _PAD * max(len(keep) - 1, 0) - width
    flexible = [j for j, i in enumerate(keep) if grid.columns[i].flex and not grid.columns[i].url]
    over = _cut(widths, flexible, lambda j: least(keep[j]), over)
    # still too wide (a narrow terminal): any column but a URL may be cut, as a last resort
    _cut(widths, [j for j, i in enumerate(keep) if not grid.columns[i].url],
         lambda j: max(_MIN_CUT, cell_len(grid.columns[keep[j]].name)), over)
    return keep, widths


def _cut(widths: list[int], candidates: list[int], floor: Callable[[int], int], over: int) -> int:
    """Narrow the widest candidate first, never below its floor, until `over` cells are saved; what is left over."""
    candidates = list(candidates)
    while over > 0 and candidates:
        j = max(candidates, key=lambda k: widths[k])
        if widths[j] <= floor(j):
            candidates.remove(j)
            continue
        step = min(over, widths[j] - floor(j))
        widths[j] -= step
        over -= step
    return over


def grid_tsv(grid: Grid) -> str:
    def clean(cell: str) -> str:
        return " ".join(cell.replace("\t", " ").split())
    lines = ["\t".join(c.name for c in grid.columns)]
    lines += ["\t".join(clean(cell) for cell in row) for row in grid.rows]
    return "\n".join(lines) + "\n"


def grid_json(grid: Grid) -> str:
    if grid.values and len(grid.values) == len(grid.rows):
        data: list[dict[str, Any]] = grid.values
    else:
        data = [{c.json_key: cell for c, cell in zip(grid.columns, row)} for row in grid.rows]
    return json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n"


def print_grid(console: Console, grid: Grid, *, as_json: bool = False, piped: str = "tsv") -> None:
    """Print the grid the way its destination reads it (see the module docstring). `piped="table"`
    keeps the fitted table when not on a terminal (the demo, which people read from a log)."""
    if as_json:
        console.file.write(grid_json(grid))
        return
    if not console.is_terminal and piped == "tsv":
        console.file.write(grid_tsv(grid))
        return
    keep, widths = fit_columns(grid, console.width)
    dropped = [grid.columns[i].name for i in range(len(grid.columns)) if i not in keep and not _blank(grid, i)]
    caption = grid.caption
    if dropped:
        caption = (caption + " · " if caption else "") + f"not shown at this width: {', '.join(dropped)} (--json shows every column)"
    table = Table(title=grid.title or None, caption=caption or None, box=box.SIMPLE_HEAD, show_edge=False,
                  pad_edge=False, caption_justify="left", title_justify="left")
    for i, w in zip(keep, widths):
        c = grid.columns[i]
        table.add_column(c.name, justify=c.justify, no_wrap=True, overflow="ellipsis",  # type: ignore[arg-type]
                         min_width=w, max_width=w)
    for row, style in zip(grid.rows, grid.styles):
        table.add_row(*(Text(row[i]) for i in keep), style=style)  # cells are text, never markup
    console.print(table, highlight=False)
