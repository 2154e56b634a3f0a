"""Watched formulations: a monitor's list of official phrases, and where a text holds them. Pure, no I/O.

A watch entry (``[[watch]]`` in redline.toml or a watch file, checked by
``parse_watch_list``) names a phrase, its variants and/or a regex, a language and tags:

    [[watch]]
    phrase = "a community with a shared future in cyberspace"
    variants = ["community of shared future in cyberspace"]
    regex = 'community (?:with|of) (?:a )?shared future in cyber ?space'   # optional
    language = "en"                  # en | zh; default: zh when the phrase has CJK characters
    tags = ["cyber"]

Matching is within one line (a normalized text has one paragraph a line):

- English: case-insensitive, any run of spaces between words is one space, whole words
  ("the UN" is not in "the UNESCO"); the regex runs case-insensitively too;
- Chinese: exactly as written (Chinese needs no spaces; 构建网络空间命运共同体 holds
  网络空间命运共同体);
- the phrase, each variant and the regex are alternatives: the text holds the entry when any
  of them is found, and the longest match found first is what is reported.

A regex is operator input: it runs on the ``regex`` engine with a time limit
(REGEX_SECONDS per line); one that runs out counts as not found on that line.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import regex

from redline.text.diff import CJK_RANGES

__all__ = ["LANGUAGES", "WATCH_KEYS", "Watch", "Found", "parse_watch_list", "fold", "find", "find_each", "holds",
           "changes"]

LANGUAGES = ("en", "zh")
WATCH_KEYS = ("phrase", "variants", "regex", "language", "tags")
REGEX_SECONDS = 0.5
_CJK = re.compile(f"[{CJK_RANGES}]")
_LATIN = "0-9A-Za-z\u00c0-\u024f"


@dataclass(frozen=True)
class Found:
    line: int           # 1-based line of the text
    text: str           # the words matched, as the text writes them


@dataclass(frozen=True)
class Watch:
    phrase: str
    variants: tuple[str, ...] = ()
    regex: str | None = None
    language: str = "en"
    tags: tuple[str, ...] = ()
    _patterns: tuple[Any, ...] = field(default=(), compare=False, repr=False)   # re (ours), regex (theirs)
    _needles: tuple[str, ...] = field(default=(), compare=False, repr=False)    # the literals, as fold() writes

    @classmethod
    def make(cls, phrase: str, *, variants: Sequence[str] = (), pattern: str | None = None,
             language: str | None = None, tags: Sequence[str] = ()) -> "Watch":
        """An entry with its patterns compiled; ValueError for a bad regex or language."""
        language = language or ("zh" if _CJK.search(phrase) else "en")
        if language not in LANGUAGES:
            raise ValueError(f"language {language!r} is not one of {', '.join(LANGUAGES)}")
        en = language == "en"
        literals = sorted(dict.fromkeys([phrase, *variants]), key=len, reverse=True)   # longest first
        compiled: list[Any] = [re.compile("|".join(_literal(text, language) for text in literals),
                                          re.IGNORECASE if en else 0)]
        if pattern is not None:
            try:
                compiled.append(regex.compile(pattern, regex.IGNORECASE if en else 0))
            except regex.error as exc:
                raise ValueError(f"regex {pattern!r} is not a valid regular expression: {exc}") from None
            if compiled[-1].search(""):
                raise ValueError(f"regex {pattern!r} matches the empty text: it would be found everywhere")
        needles = tuple(fold(text) if en else text for text in literals)
        return cls(phrase, tuple(variants), pattern, language, tuple(tags), tuple(compiled), needles)

    def to_json(self) -> dict[str, object]:
        return {"phrase": self.phrase, "variants": list(self.variants), "regex": self.regex,
                "language": self.language, "tags": list(self.tags)}


def _literal(text: str, language: str) -> str:
    """A phrase as a pattern: English words with any spacing and whole-word ends; Chinese as written."""
    if language == "zh":
        return re.escape(text)
    body = r"[^\S\n]+".join(re.escape(word) for word in text.split())
    head = f"(?<![{_LATIN}])" if re.match(f"[{_LATIN}]", text.strip()) else ""
    tail = f"(?![{_LATIN}])" if re.search(f"[{_LATIN}]$", text.strip()) else ""
    return head + body + tail


def fold(text: str) -> str:
    """Lower case, one space between words: where an English literal is looked for first."""
    return " ".join(text.lower().split())


def find(watch: Watch, text: str, *, folded: str | None = None) -> list[Found]:
    """Every place `text` holds the entry: one Found per line that does (its longest first match).
    `folded`: fold(text), when the caller has it (find_each)."""
    if watch.regex is None:   # most texts hold most entries nowhere: a substring test says so, fast
        hay = text if watch.language == "zh" else (fold(text) if folded is None else folded)
        if not any(needle in hay for needle in watch._needles):
            return []
    elif not any(_search(pattern, text) for pattern in watch._patterns):
        return []
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        best: tuple[int, int] | None = None
        for pattern in watch._patterns:
            m = _search(pattern, line)
            if m and m.end() > m.start() and (best is None or (m.start(), -m.end()) < (best[0], -best[1])):
                best = m.span()
        if best is not None:
            out.append(Found(number, line[best[0]:best[1]]))
    return out


def _search(pattern: Any, text: str) -> Any:
    """The first match (None: none, or an operator's regex ran out of time)."""
    if isinstance(pattern, re.Pattern):     # ours: a literal alternation, no backtracking to fear
        return pattern.search(text)
    try:
        return pattern.search(text, timeout=REGEX_SECONDS)
    except TimeoutError:
        return None


def find_each(watch_list: Sequence[Watch], text: str) -> list[list[Found]]:
    """find() of each entry in one text (folded once)."""
    folded = fold(text)
    return [find(watch, text, folded=folded) for watch in watch_list]


def holds(watch_list: Iterable[Watch], text: str) -> list[tuple[Watch, Found]]:
    """The entries `text` holds, each with its first place, in watch-list order."""
    watch_list = list(watch_list)
    return [(watch, found[0]) for watch, found in zip(watch_list, find_each(watch_list, text)) if found]


def changes(before: str, after: str, watch_list: Iterable[Watch]) -> list[tuple[Watch, Found | None, Found | None]]:
    """(entry, where `before` held it, where `after` holds it) for each entry one of the texts holds
    and the other does not: (w, found, None) dropped, (w, None, found) added."""
    watch_list = list(watch_list)
    return [(watch, was[0] if was else None, now[0] if now else None)
            for watch, was, now in zip(watch_list, find_each(watch_list, before), find_each(watch_list, after))
            if bool(was) != bool(now)]


def _strings(value: object, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"{key} must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def parse_watch_list(entries: object, *, where: str) -> tuple[Watch, ...]:
    """`[[watch]]` entries (a list of tables) checked and compiled; ValueError, one line naming
    `where` (the file) and the entry, for an unknown key, a missing phrase, a bad regex..."""
    if not isinstance(entries, list):
        raise ValueError(f"{where}: watch must be a list of tables, written [[watch]]")
    out: list[Watch] = []
    seen: dict[str, int] = {}
    for n, entry in enumerate(entries, 1):
        label = f"[[watch]] entry {n}"
        if not isinstance(entry, Mapping):
            raise ValueError(f"{where}: {label} must be a table (phrase = \"...\")")
        phrase = entry.get("phrase")
        if isinstance(phrase, str) and phrase.strip():
            label += f" ({phrase.strip()!r})"
        try:
            unknown = [k for k in entry if k not in WATCH_KEYS]
            if unknown:
                raise ValueError(f"unknown key {unknown[0]!r} (keys: {', '.join(WATCH_KEYS)})")
            if not isinstance(phrase, str) or not phrase.strip():
                raise ValueError("needs a phrase: phrase = \"cyber sovereignty\"")
            pattern = entry.get("regex")
            if pattern is not None and (not isinstance(pattern, str) or not pattern):
                raise ValueError("regex must be a regular expression, as a string")
            language = entry.get("language")
            if language is not None and not isinstance(language, str):
                raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
            watch = Watch.make(" ".join(phrase.split()) if not _CJK.search(phrase) else phrase.strip(),
                               variants=_strings(entry.get("variants", []), "variants"), pattern=pattern,
                               language=language, tags=_strings(entry.get("tags", []), "tags"))
        except ValueError as exc:
            raise ValueError(f"{where}: {label}: {exc}") from None
        key = watch.phrase.casefold() if watch.language == "en" else watch.phrase
        if key in seen:
            raise ValueError(f"{where}: {label}: the same phrase as entry {seen[key]}")
        seen[key] = n
        out.append(watch)
    return tuple(out)
