"""How much does a substantive change matter? Pure, no I/O.

``grade_change(before, after)`` takes two normalized statement texts (one paragraph a
line, the first line with words is the title) and gives a ``Significance``: a grade,
"high", "medium" or "low", and the reasons for it, each a ``Reason(kind, before,
after, paragraph)`` with the short changed span and its 1-based line in `after` (in
`before` for a removed paragraph).

How: mask matches become MASK_TOKEN in both texts (text.masks); lines are compared by
their words (text.classify.words: typography, punctuation and spacing never count);
the titles are compared, then the other lines are aligned (text.diff.diff_tokens) and a
changed line is paired with its most alike counterpart (shared words) or counted as
added/removed. In a changed pair the words are diffed (a CJK character is a word) and
each changed span is looked at with up to 6 words (8 CJK characters) of unchanged
context either side:

- negation: the number of negators differs (whole words: "not", "never", "n't"...;
  "cannot" and "can not" both negate once; Chinese 不/没有/未/非..., not in compounds
  such as 非洲, 无论, 不断);
- modality: the modal words differ (shall/must/will/may..., "is willing to",
  "stands ready to"; 应当/必须/将/愿/能..., not in 会议, 重要, 可持续...);
- formulation: a stock phrase (one-China principle, core interests, 人类命运共同体...);
- entity: the names differ (a gazetteer of countries, bodies, people and treaties in
  both languages, by canonical name, so "US" -> "United States" is none; acronyms of
  2-6 capitals; capitalised multi-word names);
- date (a year 1900-2100, a month, an ISO date or time, 年/月/日) and number (any
  other figure, English number words, Chinese numerals before a measure word);
- spelling: one word for one word, a small edit in a long-ish word (not an inflection,
  same first letter), words joined or split ("cyber space"), or a Chinese character
  often written for another (的/地/得) - and nothing above changed;
- wording: a changed span none of the above fits.

Besides: headline (the title's words changed other than by spelling fixes),
paragraph_added, paragraph_removed; and with a `watch` list (text.formulations), a formulation
reason for each watched phrase one text holds and the other does not (before: the words in `before`,
"" when added; after: likewise; paragraph: its line in `after`, in `before` when dropped). The grade is the highest that DEFAULT_GRADES (or
`table` over it) gives a reason's kind; no reasons (identical texts, only punctuation or
masked text changed) grade "low". At most MAX_REASONS reasons are kept, highest first.
"""
from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from redline.text import lexicon as lx
from redline.text.classify import _WORD_TOKEN, _is_punct, _typography
from redline.text.diff import CJK_RANGES, DELETE, EQUAL, INSERT, diff_tokens
from redline.text.formulations import Watch, changes as watch_changes
from redline.text.masks import MASK_SECONDS, MASK_TOKEN, compile_masks, mask_pair

__all__ = ["KINDS", "GRADES", "DEFAULT_GRADES", "MAX_REASONS", "Reason", "Significance", "grade_change",
           "parse_grade_table"]

KINDS = ("headline", "paragraph_removed", "paragraph_added", "negation", "modality", "formulation", "entity",
         "number", "date", "wording", "spelling")
GRADES = ("low", "medium", "high")
DEFAULT_GRADES: Mapping[str, str] = MappingProxyType({
    "negation": "high", "modality": "high", "entity": "high", "headline": "high", "paragraph_removed": "high",
    "formulation": "high", "number": "medium", "date": "medium", "paragraph_added": "medium",
    "wording": "medium", "spelling": "low"})
MAX_REASONS = 20
SPAN_CHARS = 80            # a reason's before/after is cut to this many characters (+ "…")
_CONTEXT = {False: 6, True: 8}   # unchanged words looked at either side of a span: spaced script, CJK
_DIFF_SECONDS = 2.0

_CJK = re.compile(f"[{CJK_RANGES}]")


@dataclass(frozen=True)
class Reason:
    kind: str
    before: str
    after: str
    paragraph: int       # 1-based line in `after` (in `before` for paragraph_removed)
    phrase: str | None = None   # a watched formulation's phrase (text.formulations), for its reasons

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"kind": self.kind, "before": self.before, "after": self.after,
                                  "paragraph": self.paragraph}
        return out if self.phrase is None else {**out, "phrase": self.phrase}


@dataclass(frozen=True)
class Significance:
    grade: str
    reasons: tuple[Reason, ...] = ()

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.kind for r in self.reasons))

    def to_json(self) -> dict[str, object]:
        return {"grade": self.grade, "reasons": [r.to_json() for r in self.reasons]}


def parse_grade_table(mapping: object, *, where: str) -> dict[str, str]:
    """A ``[significance]`` table (kind -> grade, e.g. {"number": "high"}) checked; ValueError naming
    `where` (the file) and the bad key or grade."""
    if not isinstance(mapping, Mapping):
        raise ValueError(f"{where}: [significance] must be a table of kind = grade, not {type(mapping).__name__}")
    out = {}
    for kind, grade in mapping.items():
        if kind not in KINDS:
            raise ValueError(f"{where}: [significance] key {kind!r} is not a kind of change "
                             f"(kinds: {', '.join(KINDS)})")
        if grade not in GRADES:
            raise ValueError(f"{where}: [significance] {kind} = {grade!r} is not a grade "
                             f"(grades: {', '.join(GRADES)})")
        out[kind] = grade
    return out


# --------------------------------------------------------------------------- lines and words

@dataclass(frozen=True)
class _Line:
    number: int                          # 1-based line in its text
    text: str                            # after typography rules (what the spans index)
    words: tuple[str, ...]               # classify.words(line)
    spans: tuple[tuple[int, int], ...]   # each word's place in text


def _lines(text: str) -> list[_Line]:
    """The lines that have words, each with its words and where they are (as classify.words cuts them)."""
    out = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = _typography(raw)
        found = [(m.group(), m.span()) for m in _WORD_TOKEN.finditer(line)
                 if m.group(1) or not _is_punct(m.group(2))]
        if found:
            out.append(_Line(number, line, tuple(w for w, _ in found), tuple(s for _, s in found)))
    return out


def _regions(ops: list[tuple[int, tuple[str, ...]]]) -> list[tuple[int, int, int, int]]:
    """Changed places of a diff of two sequences as index ranges (a0, a1, b0, b1)."""
    out: list[tuple[int, int, int, int]] = []
    a = b = 0
    current: list[int] | None = None
    for op, items in ops:
        if op == EQUAL:
            if current is not None:
                out.append((current[0], a, current[1], b))
                current = None
            a += len(items)
            b += len(items)
            continue
        if current is None:
            current = [a, b]
        if op == DELETE:
            a += len(items)
        elif op == INSERT:
            b += len(items)
    if current is not None:
        out.append((current[0], a, current[1], b))
    return out


def _alike(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """Share of words two lines have in common (Dice over word counts)."""
    common = sum((Counter(a) & Counter(b)).values())
    return 2 * common / (len(a) + len(b))


def _pairs(old: list[_Line], new: list[_Line]) -> Iterator[tuple[_Line | None, _Line | None]]:
    """Changed lines paired in order with their most alike counterpart; (line, None) removed, (None, line) added."""
    if [w for line in old for w in line.words] == [w for line in new for w in line.words]:
        return                           # paragraphs joined or split, words unchanged
    j = 0
    for line in old:
        best, k = 0.0, j
        for i in range(j, min(len(new), j + 50)):     # the first of the most alike
            score = _alike(line.words, new[i].words)
            if score > best:
                best, k = score, i
        if best < (0.2 if len(old) == len(new) == 1 else 0.5):   # one for one: an edit of that paragraph
            yield line, None
            continue
        for added in new[j:k]:
            yield None, added
        yield line, new[k]
        j = k + 1
    for added in new[j:]:
        yield None, added


# --------------------------------------------------------------------------- a changed pair of lines

def _text(line: _Line, lo: int, hi: int) -> str:
    if hi <= lo:
        return ""
    text = line.text[line.spans[lo][0]:line.spans[hi - 1][1]].replace(MASK_TOKEN, "…")
    return text if len(text) <= SPAN_CHARS else text[:SPAN_CHARS].rstrip() + "…"


def _pair_reasons(old: _Line, new: _Line, timeout: float) -> list[Reason]:
    """Reasons for the changes within one paragraph, in the order they come."""
    if timeout <= 0:
        return [Reason("wording", _text(old, 0, len(old.words)), _text(new, 0, len(new.words)), new.number)]
    regions = _merge_cjk(_regions(diff_tokens(old.words, new.words, timeout=timeout)), old)
    out = []
    for n, (a0, a1, b0, b1) in enumerate(regions):
        cjk = bool(_CJK.search("".join(old.words[a0:a1] + new.words[b0:b1])))
        c = _CONTEXT[cjk]
        lo_a = max(a0 - c, regions[n - 1][1] if n else 0)
        lo_b = max(b0 - c, regions[n - 1][3] if n else 0)
        hi_a = min(a1 + c, regions[n + 1][0] if n + 1 < len(regions) else len(old.words))
        hi_b = min(b1 + c, regions[n + 1][2] if n + 1 < len(regions) else len(new.words))
        kinds = _span_kinds(old, new, (a0, a1, b0, b1), (lo_a, hi_a, lo_b, hi_b))
        if not kinds:
            continue
        if a0 == a1 or b0 == b1 or (cjk and max(a1 - a0, b1 - b0) == 1):
            d = 2 if cjk and (a0 == a1 or b0 == b1) else 1     # a word (CJK: 2 characters) either side
            a0, a1 = max(a0 - d, 0), min(a1 + d, len(old.words))
            b0, b1 = max(b0 - d, 0), min(b1 + d, len(new.words))
        out += [Reason(kind, _text(old, a0, a1), _text(new, b0, b1), new.number) for kind in kinds]
    return out


def _merge_cjk(regions: list[tuple[int, int, int, int]], old: _Line) -> list[tuple[int, int, int, int]]:
    """Changes one CJK character apart are one change (同各方 -> 与各国: not 同->与 and 方->国)."""
    out: list[tuple[int, int, int, int]] = []
    for region in regions:
        if out and region[0] - out[-1][1] == 1 and _CJK.fullmatch(old.words[out[-1][1]]):
            out[-1] = (out[-1][0], region[1], out[-1][2], region[3])
        else:
            out.append(region)
    return out


def _span_kinds(old: _Line, new: _Line, span: tuple[int, int, int, int],
                window: tuple[int, int, int, int]) -> list[str]:
    a0, a1, b0, b1 = span
    lo_a, hi_a, lo_b, hi_b = window
    was, now = old.words[a0:a1], new.words[b0:b1]
    if [w.casefold() for w in was] == [w.casefold() for w in now] and was != now:
        return ["wording"]                # letter case only: may carry meaning ("the Party")
    if not was and not now:
        return []
    wa, wb = old.words[lo_a:hi_a], new.words[lo_b:hi_b]
    ta = old.text[old.spans[lo_a][0]:old.spans[hi_a - 1][1]] if hi_a > lo_a else ""
    tb = new.text[new.spans[lo_b][0]:new.spans[hi_b - 1][1]] if hi_b > lo_b else ""
    kinds = []
    if lx.negations(wa, ta) != lx.negations(wb, tb):
        kinds.append("negation")
    if lx.modals(wa, ta) != lx.modals(wb, tb):
        kinds.append("modality")
    if not kinds and lx.spelling_fix(was, now):
        ea, eb = lx.entities(ta, guessed=False), lx.entities(tb, guessed=False)
        if not (ea and eb and ea != eb):  # "Austria" -> "Australia" is no spelling fix
            return ["spelling"]
    if lx.formulations(" ".join(wa).lower(), ta) != lx.formulations(" ".join(wb).lower(), tb):
        kinds.append("formulation")
    guessed = not (lx.title_case(old.text) or lx.title_case(new.text))
    if lx.entities(ta, guessed=guessed) != lx.entities(tb, guessed=guessed):
        kinds.append("entity")
    figures = (lx.figures(old.text, old.words[a0:a1], old.spans[a0:a1])
               | lx.figures(new.text, new.words[b0:b1], new.spans[b0:b1]))
    kinds += [k for k in ("number", "date") if k in figures]
    return kinds or ["wording"]


# --------------------------------------------------------------------------- the whole change

def _check_table(table: Mapping[str, str] | None) -> dict[str, str]:
    grades = dict(DEFAULT_GRADES)
    if table is not None:
        for kind, grade in table.items():
            if kind not in KINDS:
                raise ValueError(f"significance: unknown kind {kind!r} (kinds: {', '.join(KINDS)})")
            if grade not in GRADES:
                raise ValueError(f"significance: unknown grade {grade!r} for {kind} (grades: {', '.join(GRADES)})")
            grades[kind] = grade
    return grades


def _paragraph(line: _Line) -> str:
    return _text(line, 0, len(line.words))


def grade_change(before: str, after: str, *, language: str = "en", masks: Sequence[str] = (),
                 table: Mapping[str, str] | None = None, mask_seconds: float = MASK_SECONDS,
                 watch: Sequence[Watch] = ()) -> Significance:
    """Grade the change from `before` to `after` (normalized texts, title first) with its reasons.

    language: the statement's language ("en", "zh"...); both English and Chinese word lists apply to
    any text, since statements mix scripts. masks: a source's mask regexes (text.masks). table: kind ->
    grade over DEFAULT_GRADES; ValueError naming an unknown kind or grade. MaskError as in text.masks."""
    grades = _check_table(table)
    if not isinstance(language, str):
        raise ValueError(f"significance: language {language!r} is not a language code")
    for pattern in compile_masks(masks):
        before, after, _ = mask_pair(before, after, pattern, seconds=mask_seconds)
    if before == after:
        return Significance("low", ())
    old, new = _lines(before), _lines(after)
    deadline = time.monotonic() + _DIFF_SECONDS
    reasons = [Reason("formulation", was.text if was else "", now.text if now else "",
                      now.line if now else was.line if was else 0, phrase=w.phrase)
               for w, was, now in watch_changes(before, after, watch)]
    if old and new:
        title = _pair_reasons(old[0], new[0], deadline - time.monotonic()) if old[0].words != new[0].words else []
        if any(r.kind != "spelling" for r in title):
            reasons.append(Reason("headline", _paragraph(old[0]), _paragraph(new[0]), new[0].number))
        reasons += title
        old, new = old[1:], new[1:]
    keys = {w: str(i) for i, w in enumerate(dict.fromkeys([line.words for line in old + new]))}
    ops = diff_tokens([keys[line.words] for line in old], [keys[line.words] for line in new],
                      timeout=_DIFF_SECONDS)
    for a0, a1, b0, b1 in _regions(ops):
        for was, now in _pairs(old[a0:a1], new[b0:b1]):
            if now is None and was is not None:
                reasons.append(Reason("paragraph_removed", _paragraph(was), "", was.number))
            elif was is None and now is not None:
                reasons.append(Reason("paragraph_added", "", _paragraph(now), now.number))
            elif was is not None and now is not None:
                reasons += _pair_reasons(was, now, deadline - time.monotonic())
    return _graded(list(dict.fromkeys(reasons)), grades)


def _graded(reasons: list[Reason], grades: Mapping[str, str]) -> Significance:
    """The highest grade over the reasons; at most MAX_REASONS kept (highest graded first), in order."""
    rank = {r: GRADES.index(grades[r.kind]) for r in reasons}
    grade = GRADES[max(rank.values(), default=0)]
    if len(reasons) > MAX_REASONS:
        keep = set(sorted(reasons, key=lambda r: -rank[r])[:MAX_REASONS])   # stable: earlier first
        reasons = [r for r in reasons if r in keep]
    return Significance(grade, tuple(reasons))
