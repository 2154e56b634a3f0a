"""A source's masks: operator regexes whose matches never count as a change. Pure, no I/O.

Masks are operator input, so they run on the ``regex`` engine (Python's ``re`` syntax)
with a time limit: a pattern that backtracks for ever on a page (``(a+)+$`` on a long
run of ``a`` then ``b``) raises MaskError after MASK_SECONDS instead of hanging the run.
A Python signal handler cannot stop one long C-level ``re`` match; ``regex`` checks its
timeout inside the match.
"""
from __future__ import annotations

import time
from collections.abc import Sequence

import regex

from redline.core.errors import MaskError

__all__ = ["MASK_TOKEN", "MASK_SECONDS", "mask_problem", "compile_masks", "mask_pair"]

MASK_TOKEN = "\ue000"      # private use: what every mask match becomes (survives NFKC, is no punctuation)
MASK_SECONDS = 1.0         # time limit of one mask on one pair of texts (a date or counter mask takes ms)


def mask_problem(pattern: str) -> str | None:
    """Why `pattern` cannot be a mask ("missing ) at position 9"); None when it compiles."""
    try:
        regex.compile(pattern)
    except regex.error as e:
        return str(e)
    return None


def compile_masks(patterns: Sequence[str]) -> list[regex.Pattern[str]]:
    """Compile a source's mask regexes; ValueError naming the first bad one."""
    compiled = []
    for pattern in patterns:
        if not isinstance(pattern, str):
            raise ValueError(f"mask {pattern!r}: not a string")
        problem = mask_problem(pattern)
        if problem is not None:
            raise ValueError(f"mask {pattern!r}: not a valid regular expression: {problem}")
        compiled.append(regex.compile(pattern))
    return compiled


def mask_pair(a: str, b: str, pattern: regex.Pattern[str], *, seconds: float = MASK_SECONDS) -> tuple[str, str, bool]:
    """Both texts with every match of `pattern` replaced by MASK_TOKEN (empty matches dropped), and
    whether the matches differ between them; MaskError once the pattern has run `seconds` on them."""
    deadline = time.monotonic() + seconds
    out: list[str] = []
    found: list[list[str]] = []
    for text in (a, b):
        matches: list[str] = []
        found.append(matches)

        def token(m: regex.Match[str]) -> str:
            matches.append(m.group())
            return MASK_TOKEN if m.group() else ""
        try:
            out.append(pattern.sub(token, text, timeout=max(deadline - time.monotonic(), 0.001)))
        except TimeoutError:
            raise MaskError(pattern.pattern, seconds) from None
    return out[0], out[1], found[0] != found[1]
