"""Diffs as HTML for the web view: pure functions, every piece of page text escaped.

- ``inline_html``: the whole new text with deletions and insertions marked in place
  (``<del>``/``<ins>``); the view shows it with ``white-space: pre-wrap``.
- ``side_by_side``: rows of (old, new) paragraphs; a row ends where both texts end a
  line, and whole inserted or deleted paragraphs get rows of their own.
- ``safe_fragment``: re-emits a stored diff fragment (an alert's ``diff_html``) with
  only ``div``/``p``/``del``/``ins``/``br`` kept as markup; anything else becomes visible text.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Iterable

from redline.text.diff import DELETE, EQUAL

Op = tuple[int, str]

__all__ = ["Row", "anchor_hunks", "inline_html", "side_by_side", "safe_fragment"]


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def inline_html(ops: Iterable[Op]) -> str:
    """The new text with changes marked; each change (a run of deletions and insertions) starts
    with an anchor `id="change-N"`, so a page can link to "the change" and to the next one."""
    out = []
    n, in_change = 0, False
    for op, text in ops:
        if op == EQUAL:
            out.append(_esc(text))
            in_change = False
            continue
        anchor = ""
        if not in_change:
            n += 1
            anchor = f' id="change-{n}"'
            in_change = True
        tag = "del" if op == DELETE else "ins"
        out.append(f"<{tag}{anchor}>{_esc(text)}</{tag}>")
    return "".join(out)


def anchor_hunks(fragment: str) -> str:
    """render_html's hunks, each with `id="change-N"` (N from 1) for links to the change."""
    parts = fragment.split('<div class="hunk"')
    return parts[0] + "".join(f'<div class="hunk" id="change-{i}"{rest}' for i, rest in enumerate(parts[1:], start=1))


@dataclass(frozen=True)
class Row:
    old: str            # HTML
    new: str            # HTML
    changed: bool


def side_by_side(ops: Iterable[Op]) -> list[Row]:
    rows: list[Row] = []
    left: list[str] = []
    right: list[str] = []
    changed = False

    def flush() -> None:
        nonlocal changed
        rows.append(Row("".join(left), "".join(right), changed))
        left.clear()
        right.clear()
        changed = False

    for op, text in ops:
        if op == EQUAL:
            for i, part in enumerate(text.split("\n")):
                if i:
                    flush()
                if part:
                    left.append(_esc(part))
                    right.append(_esc(part))
            continue
        tag = "del" if op == DELETE else "ins"
        if not left and not right and not changed and "\n" in text:
            whole, _, text = text.rpartition("\n")   # whole paragraphs: a row each
            for line in whole.split("\n"):
                cell = f"<{tag}>{_esc(line)}</{tag}>" if line else ""
                rows.append(Row(cell, "", True) if op == DELETE else Row("", cell, True))
        if text:
            (left if op == DELETE else right).append(f"<{tag}>{_esc(text)}</{tag}>")
            changed = True
    if left or right or changed:
        flush()
    return rows


class _Sanitizer(HTMLParser):
    ALLOWED = frozenset({"div", "p", "del", "ins", "br"})
    VOID = frozenset({"br"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.ALLOWED:
            self.out.append(_esc(self.get_starttag_text() or f"<{tag}>"))
            return
        keep = "".join(f' {k}="{_esc(v or "")}"' for k, v in attrs
                       if (tag, k) in {("div", "class"), ("div", "data-line")})
        self.out.append(f"<{tag}{keep}>")
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            self.out.append(f"<{tag}>")
        else:
            self.out.append(_esc(self.get_starttag_text() or f"<{tag}/>"))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.open:
            while self.open:
                top = self.open.pop()
                self.out.append(f"</{top}>")
                if top == tag:
                    break
        elif tag not in self.VOID:
            self.out.append(_esc(f"</{tag}>"))

    def handle_data(self, data: str) -> None:
        self.out.append(_esc(data))

    def handle_comment(self, data: str) -> None:
        self.out.append(_esc(f"<!--{data}-->"))

    def handle_decl(self, decl: str) -> None:
        self.out.append(_esc(f"<!{decl}>"))

    def handle_pi(self, data: str) -> None:
        self.out.append(_esc(f"<?{data}>"))

    def unknown_decl(self, data: str) -> None:
        self.out.append(_esc(f"<![{data}]>"))


def safe_fragment(fragment: str) -> str:
    parser = _Sanitizer()
    parser.feed(fragment)
    parser.close()
    parser.out.extend(f"</{tag}>" for tag in reversed(parser.open))
    return "".join(parser.out)
