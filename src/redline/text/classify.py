"""Is a change between two versions of a statement worth an alert? Pure, no I/O.

``classify(a, b)`` gives a ``Classification``:

- "none": the texts are identical.
- "trivial": they differ only in
    * whitespace: spaces, line breaks, paragraphs joined or split, spaces next to
      CJK characters (Chinese text has none between words);
    * punctuation/typography: punctuation marks added, dropped or changed, curly vs
      straight quotes, dash and hyphen variants, "…" vs "...", full-width vs
      half-width forms ("，" vs ","), NBSP, zero-width characters (NFKC and a few
      mappings); punctuation between digits stays significant ("1.5" vs "15");
    * text inside a source's mask regexes (date stamps, visitor counters): every
      match is replaced by one fixed token in both texts before comparing. Masks are
      operator input: they run on the ``regex`` engine (Python's syntax) with a time
      limit, and a mask that exceeds it raises MaskError instead of hanging the run.
    * encoding: one text holds mojibake (UTF-8 read as Latin-1 or cp1252 upstream, kept
      in a version archived before redline repaired it at decode time) and, repaired,
      has the other's words (redline.core.mojibake).
  Reasons: "only whitespace", "only punctuation/typography", "only inside masks:
  <pattern>", "only encoding (mojibake repaired)", or, when several apply, each without "only".
- "substantive": the words differ. Letter case counts: "Leading" -> "leading" is
  substantive (reason "letter case"), since capitalisation can carry meaning
  ("the Party", "One China"). Reasons, where easy: "paragraph added", "paragraph
  removed", "wording", "numbers" (a change touching only numbers), "letter case".
"""
from __future__ import annotations

import functools
import re
import time
import unicodedata
from collections.abc import Sequence

from redline.text.diff import CJK_RANGES, DELETE, EQUAL, diff_tokens
from redline.text.masks import MASK_SECONDS, MASK_TOKEN, compile_masks, mask_pair
from redline.core.model import Classification
from redline.core.mojibake import without_mojibake

__all__ = ["classify", "compile_masks", "words", "MASK_TOKEN"]

_DIFF_TIMEOUT = 2.0        # seconds for finding the reasons (they may come out coarser); never changes the kind

_CJK_AND_PUNCT = CJK_RANGES + "\u3000-\u303f\uff00-\uffef"
_SPACES = re.compile(r"\s+")
_SPACE_BY_CJK = re.compile(rf"(?<=[{_CJK_AND_PUNCT}]) | (?=[{_CJK_AND_PUNCT}])")
_WORD_TOKEN = re.compile(rf"(\d+(?:[.,:]\d+)*|[{CJK_RANGES}]|[^\W_{CJK_RANGES}]+)|(\S)")
_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")
_TYPOGRAPHY = str.maketrans({
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u0060\u00b4", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2e3a\u2e3b\ufe58", "-"),
    "\u3002": ".", "\u3001": ",",
    **dict.fromkeys("\u00ad\u200b\u200c\u200d\u2060\ufeff", None),
})


def _whitespace(text: str) -> str:
    """Whitespace runs -> one space, stripped, no spaces next to CJK characters or CJK punctuation."""
    return _SPACE_BY_CJK.sub("", _SPACES.sub(" ", text).strip())


def _typography(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_TYPOGRAPHY)


@functools.lru_cache(maxsize=4096)
def _is_punct(char: str) -> bool:
    return unicodedata.category(char).startswith("P")


def _strip_punct(text: str) -> str:
    return "".join(c for c in text if not _is_punct(c))


def words(text: str) -> list[str]:
    """What classify compares: the words of text after typography rules, punctuation and spacing dropped.

    A word is a number ("1,000", "22:36"), a run of letters/digits, a CJK character or a symbol."""
    return [word or other for word, other in _WORD_TOKEN.findall(_typography(text)) if word or not _is_punct(other)]


def classify(a: str, b: str, *, masks: Sequence[str] = (), mask_seconds: float = MASK_SECONDS) -> Classification:
    """Old text a against new text b: "none", "trivial" or "substantive", with reasons.
    MaskError when a mask runs over `mask_seconds` on the two texts."""
    if a == b:
        return Classification("none")
    masked: list[str] = []
    for pattern in compile_masks(masks):
        a, b, differ = mask_pair(a, b, pattern, seconds=mask_seconds)
        if differ:
            masked.append(pattern.pattern)
    pa, pb = _paragraphs(a), _paragraphs(b)
    kinds = []
    if [w for p in pa for w in p] != [w for p in pb for w in p]:     # the words of a != the words of b
        fa, fb = without_mojibake(a), without_mojibake(b)             # an old version kept with its mojibake
        if (fa, fb) == (a, b) or words(fa) != words(fb):
            return Classification("substantive", _substantive_reasons(pa, pb))
        kinds.append("encoding (mojibake repaired)")
        a, b = fa, fb
    if masked:
        kinds.append("inside masks: " + ", ".join(masked))
    if a != b:
        if _whitespace(a) == _whitespace(b):
            kinds.append("whitespace")
        else:
            if _strip_punct(_typography(a)) != _strip_punct(_typography(b)):
                kinds.append("whitespace")
            kinds.append("punctuation/typography")
    if len(kinds) == 1:
        return Classification("trivial", ("only " + kinds[0],))
    return Classification("trivial", tuple(kinds))


def _paragraphs(text: str) -> list[tuple[str, ...]]:
    """The words of each line that has any (words never span lines)."""
    out = []
    for line in text.splitlines():
        w = tuple(words(line))
        if w:
            out.append(w)
    return out


def _substantive_reasons(pa: list[tuple[str, ...]], pb: list[tuple[str, ...]]) -> tuple[str, ...]:
    """Which kinds of change: paragraphs added/removed whole, wording, numbers, letter case."""
    keys = {p: str(i) for i, p in enumerate(dict.fromkeys(pa + pb))}
    para = {k: p for p, k in keys.items()}
    found: set[str] = set()
    deadline = time.monotonic() + _DIFF_TIMEOUT
    for removed, added in _change_regions(diff_tokens([keys[p] for p in pa], [keys[p] for p in pb],
                                                      timeout=_DIFF_TIMEOUT)):
        left = deadline - time.monotonic()
        if not added:
            found.add("paragraph removed")
        elif not removed:
            found.add("paragraph added")
        elif left <= 0:
            found.add("wording")            # out of time: no closer look
        else:
            old = [w for k in removed for w in para[k]]
            new = [w for k in added for w in para[k]]
            for old_words, new_words in _change_regions(diff_tokens(old, new, timeout=left)):
                found.add(_word_change_kind(old_words, new_words))
    order = ("paragraph added", "paragraph removed", "wording", "numbers", "letter case")
    return tuple(r for r in order if r in found) or ("wording",)


def _change_regions(ops: list[tuple[int, tuple[str, ...]]]) -> list[tuple[list[str], list[str]]]:
    """Consecutive non-equal ops as (removed items, added items)."""
    regions: list[tuple[list[str], list[str]]] = []
    current: tuple[list[str], list[str]] | None = None
    for op, items in ops:
        if op == EQUAL:
            current = None
            continue
        if current is None:
            current = ([], [])
            regions.append(current)
        (current[0] if op == DELETE else current[1]).extend(items)
    return regions


def _word_change_kind(old: list[str], new: list[str]) -> str:
    if all(_NUMBER.fullmatch(w) for w in old + new):
        return "numbers"
    if len(old) == len(new) and all(x.casefold() == y.casefold() for x, y in zip(old, new)):
        return "letter case"
    return "wording"
