"""Rendering a diff for people: [-deleted-]{+inserted+} text, ANSI colours on a terminal, <del>/<ins> HTML, unified diffs. Pure."""
from __future__ import annotations

import difflib
import html
from collections.abc import Callable

from redline.text.diff import DELETE, INSERT, Hunk, TextDiff


_RED_STRIKE, _GREEN, _DIM, _RESET = "\x1b[31;9m", "\x1b[32;4m", "\x1b[2m", "\x1b[0m"


def _render_hunk(hunk: Hunk, *, plain: Callable[[str], str], deleted: Callable[[str], str],
                 inserted: Callable[[str], str]) -> str:
    body = [plain(hunk.before.lstrip())]
    for op, text in hunk.ops:
        body.append(deleted(text) if op == DELETE else inserted(text) if op == INSERT else plain(text))
    body.append(plain(hunk.after.rstrip()))
    return "".join(body)


def render_text(d: TextDiff) -> str:
    """Plain text: each hunk as context with [-deleted-]{+inserted+}; hunks separated by a line "…"."""
    return "\n…\n".join(_render_hunk(h, plain=str, deleted=lambda t: f"[-{t}-]", inserted=lambda t: f"{{+{t}+}}")
                         for h in d.hunks)


def _ansi(start: str) -> Callable[[str], str]:
    # re-open the colour after each newline: pagers and some terminals reset at line ends
    return lambda t: start + t.replace("\n", f"{_RESET}\n{start}") + _RESET


def render_terminal(d: TextDiff, *, color: bool = True) -> str:
    """For a terminal: deletions red and struck through, insertions green and underlined.

    Without color, the same as render_text."""
    if not color:
        return render_text(d)
    return f"\n{_DIM}…{_RESET}\n".join(_render_hunk(h, plain=str, deleted=_ansi(_RED_STRIKE),
                                                   inserted=_ansi(_GREEN)) for h in d.hunks)


def _html(text: str) -> str:
    return html.escape(text).replace("\n", "<br>\n")


def render_html(d: TextDiff) -> str:
    """An HTML fragment: a <div class="hunk"> per hunk, <del>/<ins> for changes, all text escaped."""
    out = []
    for hunk in d.hunks:
        body = _render_hunk(hunk, plain=_html, deleted=lambda t: f"<del>{_html(t)}</del>",
                            inserted=lambda t: f"<ins>{_html(t)}</ins>")
        out.append(f'<div class="hunk" data-line="{hunk.line}">{body}</div>')
    return "\n".join(out)


def render_unified(a: str, b: str, *, a_label: str = "a", b_label: str = "b", n: int = 3) -> str:
    """A unified diff by line (difflib), "\\ No newline at end of file" where due."""
    out = []
    for line in difflib.unified_diff(a.splitlines(keepends=True), b.splitlines(keepends=True),
                                     fromfile=a_label, tofile=b_label, n=n):
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)
