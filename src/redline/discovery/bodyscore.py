"""When a title is inconclusive, and what a candidate's opening paragraphs add: pure.

A listing item's title score `t` decides alone unless it is *inconclusive*: within the
profile's `body.margin` of the threshold `T`, on either side, and only where reading could
change the decision:

- below: ``T - margin <= t < T`` (the paragraphs' terms can lift it over);
- at or above: ``T <= t <= T + margin``, when the profile has a negative term (only a
  negative term in the paragraphs can pull it under).

The candidate page is then read (redline.discovery.bodyread) and its first
`body.paragraphs` paragraphs (after the title and date lines) are scored like a title:
the weights of the topic terms they mention, each term once, no two overlapping, giving
`b`. The item is related when

    combined = t + weight * b  >=  T        (weight: body.weight, 1 by default)

The reason says both parts, e.g. ``title 1 (near 2) + opening paragraphs 6 = 7 ≥ 2 →
related; paragraphs mention "cyber security" (+3), "cyber" (+3)``.
"""
from __future__ import annotations

import json
from typing import Sequence

from redline.core.textutil import opening_lines
from redline.discovery.topic import Score, TopicProfile

__all__ = ["inconclusive", "opening_paragraphs", "combined_score", "score_item", "PARAGRAPH_JOIN"]

PARAGRAPH_JOIN = " ¶ "  # no term spans two paragraphs (the mark is no word character, CJK included)


def inconclusive(score: Score, topic: TopicProfile) -> bool:
    """Whether the title's score leaves the decision to the opening paragraphs (see above)."""
    body = topic.body
    if body.max_reads <= 0 or body.margin <= 0 or body.weight <= 0:
        return False
    gap = score.score - topic.threshold
    if gap < 0:
        return -gap <= body.margin
    return gap <= body.margin and any(t.weight < 0 for t in topic.terms)


def opening_paragraphs(text: str, *, title: str, count: int) -> list[str]:
    """The first `count` paragraphs of a normalized text, after its title and date lines, whole."""
    return opening_lines(text, title=title, count=count, width=len(text) + 1)


def _fmt(x: float) -> str:
    return f"{round(x, 2):g}"


def combined_score(title: Score, paragraphs: Sequence[str], topic: TopicProfile) -> Score:
    """The title's score with the opening paragraphs' added (the module docstring's formula)."""
    body = topic.score(PARAGRAPH_JOIN.join(paragraphs)) if paragraphs else None
    b = body.score if body else 0.0
    weight = topic.body.weight
    total = title.score + weight * b
    related = total >= topic.threshold
    part = f"opening paragraphs {_fmt(b)}" + (f" × {_fmt(weight)}" if weight != 1 else "")
    reason = (f"title {_fmt(title.score)} (near {_fmt(topic.threshold)}) + {part} = {_fmt(total)} "
              f"{'≥' if related else '<'} {_fmt(topic.threshold)} → {'related' if related else 'unrelated'}")
    if body and body.terms:
        weights = {t.text: t.weight for t in topic.terms}
        listed = ", ".join(f"{json.dumps(t, ensure_ascii=False)} ({weights[t]:+g})" for t in body.terms)
        reason += f"; paragraphs mention {listed}"
    elif not paragraphs:
        reason += "; the page has no paragraphs to read"
    terms = tuple(dict.fromkeys([*title.terms, *(body.terms if body else ())]))
    return Score(score=round(total, 6), terms=terms, reason=reason, related=related)


def score_item(title: str, paragraphs: Sequence[str] | None, topic: TopicProfile) -> Score:
    """What discovery decides for an item whose page, when read, gives these opening paragraphs
    (None: the page cannot be had, so the title decides alone): the title's score, or the
    combined one when the title is inconclusive."""
    score = topic.score(title)
    if paragraphs is None or not inconclusive(score, topic):
        return score
    return combined_score(score, paragraphs, topic)
