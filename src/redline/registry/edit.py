"""Edit a sources file as text (pure): comments and layout of the rest of the file survive.

Every edit returns new text; the caller validates it with sources.parse_registry
before writing it (atomically), so an edit can never leave a broken file.
"""
from __future__ import annotations

import json
import re
from typing import Mapping, Sequence

from redline.core.errors import ConfigError

_HEADER = re.compile(r"^\s*\[\[\s*source\s*\]\]\s*(#.*)?$")
_TABLE = re.compile(r"^\s*\[")
_NAME = re.compile(r"^\s*name\s*=\s*(['\"])(?P<name>[^'\"]*)\1")
_ENABLED = re.compile(r"^\s*enabled\s*=")


NEW_FILE = """# redline source registry: the pages redline watches.
#
# Every [[source]] table is one page. Keys (only `name` and `url` are required):
#
#   name      slug: lowercase letters, digits and "-", 1-80 characters. It names the
#             source's folder, files and feed, so keep it stable once in use.
#   url       the page's address; http:// or https:// only.
#   title     the statement's title as published.
#   date      publication date as the page gives it: "2020-12-16 22:36", "2016-07-11", "2017-03".
#   language  "en", "zh", ... (the language of the page text).
#   profile   how to cut the text out of the page: auto, generic, mfa_en_legacy,
#             mfa_en_2024, mfa_zh, un_mission, cac.
#   tags      labels for `redline run --tag TAG` (lowercase, digits, "-", "_").
#   kind      "statement" (default): a page whose wording is watched;
#             "listing": an index page watched for new statements.
#   masks     regular expressions (Python syntax); a change only inside matches of
#             these is trivial and never alerts (e.g. a visitor counter).
#             Write them as TOML literal strings: masks = ['Visits: \\d+'].
#   baseline  a text capture of the statement, relative to this file; the first
#             fetch is compared with it, so a change since then is noticed.
#   enabled   true (default) or false: a disabled source is kept but not checked.
#   origin    "seed" (default), "operator" or "discovered".
#
# Check this file with: redline sources list --sources THIS_FILE

version = 1
"""


def new_registry_text() -> str:
    """The text of a new, empty sources file: what the keys mean, then `version = 1`."""
    return NEW_FILE


def _quote(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string


def render_entry(fields: Mapping[str, object]) -> str:
    """A [[source]] block for the given keys (strings, bools, lists of strings)."""
    lines = ["[[source]]"]
    for key, value in fields.items():
        if value is None or value == "" or value == [] or value == ():
            continue
        if isinstance(value, bool):
            rendered = "true" if value else "false"
        elif isinstance(value, (list, tuple)):
            rendered = "[" + ", ".join(_quote(str(v)) for v in value) + "]"
        else:
            rendered = _quote(str(value))
        lines.append(f"{key} = {rendered}")
    return "\n".join(lines) + "\n"


def append_entry(text: str, fields: Mapping[str, object]) -> str:
    sep = "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
    return text + sep + render_entry(fields)


def _block(lines: Sequence[str], name: str, path: str) -> tuple[int, int]:
    """(start, end) line indexes of the [[source]] block whose name is `name`."""
    starts = [i for i, line in enumerate(lines) if _HEADER.match(line)]
    for n, start in enumerate(starts):
        end = next((i for i in range(start + 1, len(lines)) if _TABLE.match(lines[i])), len(lines))
        for line in lines[start + 1:end]:
            m = _NAME.match(line)
            if m and m.group("name") == name:
                return start, end
    raise ConfigError(f"{path}: no [[source]] named {name!r} (see `redline sources list`)")


def remove_entry(text: str, name: str, *, path: str = "<sources>") -> str:
    lines = text.splitlines(keepends=True)
    start, end = _block(lines, name, path)
    while end < len(lines) and not lines[end].strip():
        end += 1  # the blank lines after it go too
    return "".join(lines[:start] + lines[end:])


def set_enabled(text: str, name: str, enabled: bool, *, path: str = "<sources>") -> str:
    lines = text.splitlines(keepends=True)
    start, end = _block(lines, name, path)
    value = f"enabled = {'true' if enabled else 'false'}\n"
    for i in range(start + 1, end):
        if _ENABLED.match(lines[i]):
            lines[i] = value
            return "".join(lines)
    last = max(i for i in range(start, end) if lines[i].strip())  # after the block's last key
    if not lines[last].endswith("\n"):
        lines[last] += "\n"
    lines.insert(last + 1, value)
    return "".join(lines)
