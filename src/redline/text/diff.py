"""Word-level diffs of two statement texts (character-level for CJK): pure, no I/O.

How: each text is cut into tokens — a run of letters/digits (non-CJK), a single
CJK / kana / Hangul character, a whitespace run, or one other character — and
every distinct token is mapped to one private-use code point (the
diff-match-patch "lines to chars" trick, applied to tokens). The encoded
strings are diffed by diff-match-patch's diff_main (the C++
``fast_diff_match_patch`` when installed, else the pure-Python
``diff_match_patch``; both give the same ops) under a time limit, and decoded
back. So an edit never splits a word ("[-role-]{+roles+}", not "role{+s+}"),
while Chinese text is compared character by character.

Cleanup: diff-match-patch's semantic cleanup, done here rather than by the
engine, identically for both engines: (1) equality elimination on the encoded
ops, with each op weighed by its length in characters (the engines would count
tokens, merging "opposes" between two one-word insertions); (2) diff_cleanupMerge
on the encoded ops (so no common prefix is split off a word); (3) after
decoding, diff_cleanupSemanticLossless, which slides an edit along repeated
text to the best word/line boundary (on encoded private-use characters every
boundary would score alike). The overlap step ("abcxxx" -> "xxxdef") is left out.

``timed_out`` is measured: the diff took at least ``timeout`` seconds, so the
engine may have given up on finding a minimal diff (the result is still a
valid diff, just coarser).
"""
from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

__all__ = ["DiffStats", "Hunk", "TextDiff", "ENGINES", "diff_texts", "diff_tokens", "tokenize", "count_words"]

# CJK ideographs (+ extensions, compatibility), radicals, kana, bopomofo, Hangul: one token per character.
CJK_RANGES = ("\u1100-\u11ff\u2e80-\u2fdf\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
              "\ua960-\ua97f\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f")
_TOKEN = re.compile(rf"[{CJK_RANGES}]|[^\W_{CJK_RANGES}]+|\s+|.", re.S)
_WORD = re.compile(rf"[{CJK_RANGES}]|[^\W_{CJK_RANGES}]+")
_WORDISH = re.compile(rf"[^\W_{CJK_RANGES}]")      # a character that may continue a spaced-script word
_NON_WORDISH = re.compile(rf"[\W_{CJK_RANGES}]")

DELETE, EQUAL, INSERT = -1, 0, 1
Op = tuple[int, str]

# Code points the tokens are encoded as: private use first (never a letter or a space to either
# engine), then, for texts with more distinct tokens than that, supplementary planes 2-13.
_CODE_RANGES = ((0xE000, 0xF900), (0xF0000, 0xFFFFE), (0x100000, 0x10FFFE), (0x20000, 0xE0000))


@dataclass(frozen=True)
class DiffStats:
    inserted_words: int = 0      # words in inserted text (a CJK character counts as one word)
    deleted_words: int = 0
    insertions: int = 0          # insert ops
    deletions: int = 0           # delete ops
    hunks: int = 0               # places changed (nearby changes make one place)
    inserted_chars: int = 0
    deleted_chars: int = 0

    @property
    def changed_chars(self) -> int:
        return self.inserted_chars + self.deleted_chars


@dataclass(frozen=True)
class Hunk:
    before: str                      # context before the first change (equal text)
    ops: tuple[Op, ...]              # the changes and the short equal runs between them
    after: str                       # context after the last change
    line: int = 1                    # 1-based line (paragraph) of the first change in the old text
    line_b: int = 1                  # ... and in the new text
    a_start: int = 0                 # character offset of the first change in the old text
    b_start: int = 0                 # ... and in the new text


@dataclass(frozen=True)
class TextDiff:
    ops: tuple[Op, ...]              # -1 delete, 0 equal, 1 insert; joins back to both texts
    hunks: tuple[Hunk, ...]
    stats: DiffStats
    timed_out: bool = False
    engine: str = ""                 # "fast" | "python" | "" (texts equal, no engine run)

    @property
    def changed(self) -> bool:
        return any(op != EQUAL for op, _ in self.ops)

    def old_text(self) -> str:
        return "".join(text for op, text in self.ops if op != INSERT)

    def new_text(self) -> str:
        return "".join(text for op, text in self.ops if op != DELETE)


# --------------------------------------------------------------------------- tokens

def tokenize(text: str) -> list[str]:
    """Word runs, single CJK characters, whitespace runs and single other characters; joins back to text."""
    return _TOKEN.findall(text)


def count_words(text: str) -> int:
    """Words in text; each CJK character counts as one."""
    return len(_WORD.findall(text))


def _code_points() -> Iterator[int]:
    for lo, hi in _CODE_RANGES:
        yield from range(lo, hi)


class _Codec:
    """Token <-> single character, shared by the two sides of one diff."""

    def __init__(self) -> None:
        self._chars: dict[str, str] = {}
        self._tokens: dict[str, str] = {}
        self._free = _code_points()

    def encode(self, tokens: Iterable[str]) -> str:
        tokens = list(tokens)
        chars = self._chars
        for token in dict.fromkeys(tokens):            # new tokens, in order of first appearance
            if token not in chars:
                try:
                    char = chr(next(self._free))
                except StopIteration:  # > ~1 million distinct tokens: not a statement
                    raise ValueError("diff: too many distinct tokens") from None
                chars[token] = char
                self._tokens[char] = token
        return "".join(map(chars.__getitem__, tokens))

    def tokens(self, encoded: str) -> list[str]:
        return list(map(self._tokens.__getitem__, encoded))

    def decode(self, encoded: str) -> str:
        return "".join(map(self._tokens.__getitem__, encoded))

    def length(self, encoded: str) -> int:
        """Characters in the decoded text."""
        return len(self.decode(encoded))


# --------------------------------------------------------------------------- engines

_FAST_OPS = {"-": DELETE, "=": EQUAL, "+": INSERT}


def _engine_fast(a: str, b: str, timeout: float) -> list[Op]:
    import fast_diff_match_patch

    raw = fast_diff_match_patch.diff(a, b, timelimit=max(timeout, 0.0), checklines=False, cleanup="No",
                                     counts_only=False)
    return [(_FAST_OPS[op], text) for op, text in raw]


def _engine_python(a: str, b: str, timeout: float) -> list[Op]:
    from diff_match_patch import diff_match_patch

    dmp = diff_match_patch()
    dmp.Diff_Timeout = max(timeout, 0.0)
    return [(int(op), text) for op, text in dmp.diff_main(a, b, checklines=False)]


ENGINES: dict[str, Callable[[str, str, float], list[Op]]] = {"fast": _engine_fast, "python": _engine_python}


def _pick_engine(engine: str) -> str:
    if engine == "auto":
        try:
            import fast_diff_match_patch  # noqa: F401
        except ImportError:
            return "python"
        return "fast"
    if engine not in ENGINES:
        raise ValueError(f"diff: unknown engine {engine!r} (auto, fast, python)")
    return engine


def _diff_encoded(codec: _Codec, a: Iterable[str], b: Iterable[str], timeout: float,
                  engine: str) -> tuple[list[Op], bool, str]:
    name = _pick_engine(engine)
    ea, eb = codec.encode(a), codec.encode(b)
    started = time.monotonic()
    ops = ENGINES[name](ea, eb, timeout)
    return ops, timeout > 0 and time.monotonic() - started >= timeout, name


def _eliminate_equalities(ops: list[Op], weight: Callable[[str], int]) -> bool:
    """diff-match-patch's semantic cleanup, first step, with lengths measured by weight().

    An equality no longer than the edits on both sides of it becomes a deletion and an insertion."""
    changed = False
    equalities: list[int] = []          # indices of equalities still in play
    last_equality: str | None = None
    last_weight = 0
    pointer = 0
    ins1 = del1 = ins2 = del2 = 0       # edit weights before / after the last equality
    while pointer < len(ops):
        op, text = ops[pointer]
        if op == EQUAL:
            equalities.append(pointer)
            ins1, del1, ins2, del2 = ins2, del2, 0, 0
            last_equality, last_weight = text, weight(text)
        else:
            if op == INSERT:
                ins2 += weight(text)
            else:
                del2 += weight(text)
            if last_equality and last_weight <= min(max(ins1, del1), max(ins2, del2)):
                at = equalities.pop()
                ops[at:at + 1] = [(DELETE, last_equality), (INSERT, last_equality)]
                if equalities:
                    equalities.pop()        # the previous equality needs another look
                pointer = equalities[-1] if equalities else -1
                ins1 = del1 = ins2 = del2 = 0
                last_equality = None
                changed = True
        pointer += 1
    return changed


def _cleanup(ops: list[Op], codec: _Codec) -> list[Op]:
    """Semantic cleanup that keeps tokens whole and weighs them by their length in characters.

    Equalities are eliminated on the encoded ops (weights = decoded lengths), edits merged there,
    then decoded; edges are shifted to word/line boundaries on the decoded text."""
    from diff_match_patch import diff_match_patch

    dmp = diff_match_patch()
    ops = list(ops)
    if _eliminate_equalities(ops, codec.length):
        dmp.diff_cleanupMerge(ops)
    decoded = [(op, codec.decode(text)) for op, text in ops]
    dmp.diff_cleanupSemanticLossless(decoded)
    return decoded


# --------------------------------------------------------------------------- diff

def diff_texts(a: str, b: str, *, timeout: float = 2.0, context: int = 60, engine: str = "auto") -> TextDiff:
    """Diff old text a against new text b: ops, hunks with ``context`` characters each side, stats.

    timeout: seconds the engine may spend (0 or less: no limit); engine: "auto", "fast" or "python"."""
    if a == b:
        return TextDiff(ops=((EQUAL, a),) if a else (), hunks=(), stats=DiffStats())
    codec = _Codec()
    encoded_ops, timed_out, name = _diff_encoded(codec, tokenize(a), tokenize(b), timeout, engine)
    ops = _merge(_cleanup(encoded_ops, codec))
    hunks = tuple(_hunks(ops, context))
    return TextDiff(ops=ops, hunks=hunks, stats=_stats(ops, len(hunks)), timed_out=timed_out, engine=name)


def diff_tokens(a: Sequence[str], b: Sequence[str], *, timeout: float = 2.0,
                engine: str = "auto") -> list[tuple[int, tuple[str, ...]]]:
    """Diff two sequences of strings, each item compared whole (words, paragraphs...); no cleanup.

    Returns (op, items) pairs, op -1 delete, 0 equal, 1 insert."""
    codec = _Codec()
    ops, _, _ = _diff_encoded(codec, a, b, timeout, engine)
    return [(op, tuple(codec.tokens(text))) for op, text in ops if text]


def _merge(ops: Iterable[Op]) -> tuple[Op, ...]:
    """Drop empty ops and join neighbours of the same kind."""
    out: list[Op] = []
    for op, text in ops:
        if not text:
            continue
        if out and out[-1][0] == op:
            out[-1] = (op, out[-1][1] + text)
        else:
            out.append((op, text))
    return tuple(out)


def _stats(ops: tuple[Op, ...], hunks: int) -> DiffStats:
    ins = [text for op, text in ops if op == INSERT]
    dels = [text for op, text in ops if op == DELETE]
    return DiffStats(inserted_words=sum(map(count_words, ins)), deleted_words=sum(map(count_words, dels)),
                     insertions=len(ins), deletions=len(dels), hunks=hunks,
                     inserted_chars=sum(map(len, ins)), deleted_chars=sum(map(len, dels)))


ELLIPSIS = "…"
# where a sentence (or clause, in Chinese) ends: an excerpt may start after one and end at one
_SENTENCE_END = re.compile(r"[.!?;:](?=\s)|[。！？；：]")


def _context_before(text: str, n: int) -> str:
    """Up to the last n characters of text, starting where a reader can start: a paragraph, else a
    sentence (or a Chinese clause), else a word; "…" marks a start inside a sentence."""
    if len(text) <= n and (not text or "\n" in text or len(text) == len(text.lstrip())):
        return text
    if n <= 0:
        return ""
    cut = text[-n:]
    line = cut.rfind("\n")
    if line >= 0:
        return cut[line + 1:]                      # the paragraph's own start
    if len(text) <= n:
        return text
    ends = [m.end() for m in _SENTENCE_END.finditer(cut)]
    if ends and ends[-1] < len(cut):
        return cut[ends[-1]:].lstrip()             # the sentence's start
    if text[-n - 1] == "\n":
        return cut                                 # it starts its paragraph already
    if _WORDISH.match(text[-n - 1]) and _WORDISH.match(cut[0]):
        m = _NON_WORDISH.search(cut)
        if m:
            cut = cut[m.start():]
    return ELLIPSIS + cut.lstrip()


def _context_after(text: str, n: int) -> str:
    """Up to the first n characters of text, ending where a reader can stop: the paragraph's end, else
    a sentence's (or a Chinese clause's), else a word's, then "…"."""
    if n <= 0:
        return ""
    cut = text[:n]
    line = cut.find("\n")
    if line >= 0:
        return cut[:line]                          # to the paragraph's end
    if len(text) <= n:
        return text
    ends = [m.end() for m in _SENTENCE_END.finditer(cut)]
    if ends:
        return cut[:ends[-1]]                      # to a sentence's end
    if _WORDISH.match(text[n]) and _WORDISH.match(cut[-1]):
        ends = [m.end() for m in _NON_WORDISH.finditer(cut)]
        if ends:
            cut = cut[:ends[-1]]
    return cut.rstrip() + ELLIPSIS


def _hunks(ops: tuple[Op, ...], context: int) -> Iterator[Hunk]:
    """Group changes whose equal text in between is at most 2*context long; add context either side."""
    context = max(context, 0)
    group: list[Op] = []
    before, start = "", (1, 1, 0, 0)
    line_a = line_b = 1
    pos_a = pos_b = 0
    for i, (op, text) in enumerate(ops):
        if op == EQUAL:
            last = i == len(ops) - 1
            if group and not last and len(text) <= 2 * context:
                group.append((op, text))
            else:
                if group:
                    yield Hunk(before, tuple(group), _context_after(text, context), *start)
                    group = []
                before = _context_before(text, context)
        else:
            if not group:
                start = (line_a, line_b, pos_a, pos_b)
            group.append((op, text))
        newlines = text.count("\n")
        if op != INSERT:
            line_a += newlines
            pos_a += len(text)
        if op != DELETE:
            line_b += newlines
            pos_b += len(text)
    if group:
        yield Hunk(before, tuple(group), "", *start)
