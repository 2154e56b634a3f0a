"""The watched topic: weighted English and Chinese terms, and how related a title is to them.

A statement found on a listing is *related* when the terms its title mentions
weigh at least the profile's threshold. The built-in profile was drawn from the
seed statements (cyberspace, cyber security, ICT, data security, cross-border
data, AI governance, digital economy, 网络空间, 网络安全, 数据安全, ...); an
operator file replaces or extends it:

    # topic.toml (next to the sources file, or $REDLINE_TOPIC, or --topic FILE)
    version = 1
    threshold = 3              # optional; the built-in is 2
    include_defaults = true    # optional; false: only the terms below
    [terms]
    "semiconductor*" = 2       # a trailing * matches any ending: semiconductors
    "regular press conference" = -1
    "digital" = 0              # 0 removes a built-in term
    [body]                     # optional: reading a candidate whose title is inconclusive
    margin = 1                 # title scores this close to the threshold are inconclusive
    max_reads = 3              # candidate pages read per listing per cycle (0: never)
    paragraphs = 3             # opening paragraphs scored
    weight = 1                 # what the paragraphs' score counts beside the title's

Matching: case, width (NFKC), hyphens and spacing are ignored; an English term
matches whole words (a plural "s" too); a term with Chinese characters matches
anywhere. Terms never overlap: where "data security" matches, "data" does not
count again (longer terms are matched first).
"""
from __future__ import annotations

import json
import os
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from redline.core.errors import ConfigError

ENV_TOPIC = "REDLINE_TOPIC"
TOPIC_FILE = "topic.toml"
SCHEMA_VERSION = 1
DEFAULT_THRESHOLD = 2.0
MAX_WEIGHT = 100.0

# The built-in topic, drawn from the seed statements' titles and texts.
DEFAULT_TERMS: dict[str, float] = {
    # cyberspace and security: one of these alone makes a statement related
    "cyberspace": 3, "cybersecurity": 3, "cyber security": 3, "cyber": 3, "cyberattack": 3, "cyber attack": 3,
    "cybercrime": 3, "network security": 3, "information security": 3, "data security": 3,
    "cross-border data": 3, "data flows": 3, "ICT": 3, "information and communications technology": 3,
    "information and communication technology": 3, "internet governance": 3, "digital governance": 3,
    "AI governance": 3, "artificial intelligence governance": 3, "global data security initiative": 3,
    "网络空间": 3, "网络安全": 3, "数据安全": 3, "网信": 3, "跨境数据": 3, "数据跨境": 3, "互联网治理": 3,
    "数字治理": 3, "人工智能治理": 3, "信息安全": 3, "网络主权": 3, "网络犯罪": 3, "网络攻击": 3,
    # closely related: related alone at the default threshold
    "digital economy": 2, "artificial intelligence": 2, "AI": 2, "data governance": 2, "personal information": 2,
    "telecommunications": 2, "数字经济": 2, "人工智能": 2, "信息通信": 2, "个人信息": 2, "数据治理": 2,
    # weak evidence: two of them are needed
    "digital": 1, "internet": 1, "data": 1, "technology": 1, "5G": 1, "online": 1,
    "数字": 1, "互联网": 1, "数据": 1, "科技": 1, "信息化": 1,
}

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")
_TERM_OK = re.compile(r"^[\w\s\-'’./&+]+\*?$")
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—_/]+")


def _fold(text: str, *, lower: bool = True) -> str:
    """Text as terms see it: NFKC, lower case, hyphens and spacing as one space."""
    text = unicodedata.normalize("NFKC", text)
    return _SEPARATORS.sub(" ", text.lower() if lower else text).strip()


def _is_acronym(term: str) -> bool:
    """"AI", "ICT", "5G": capitals (and digits), matched with their case so "ai" or "ict" in
    other words' company never count."""
    return term.isupper() and len(term) <= 6 and term.isalnum()


def _pattern(term: str) -> re.Pattern[str]:
    folded = _fold(term, lower=not _is_acronym(term))
    if _CJK.search(folded):
        return re.compile(re.escape(folded.replace(" ", "")))
    wildcard = folded.endswith("*")
    words = folded.rstrip("*").split(" ")
    body = r" ".join(re.escape(w) for w in words)
    tail = r"\w*" if wildcard else r"(?:s|es)?"
    return re.compile(rf"(?<!\w){body}{tail}(?!\w)")


@dataclass(frozen=True)
class Term:
    text: str
    weight: float
    pattern: re.Pattern[str]

    @property
    def cased(self) -> bool:
        return _is_acronym(self.text)


@dataclass(frozen=True)
class Score:
    score: float
    terms: tuple[str, ...]  # the matched terms, strongest first
    reason: str             # one line, e.g. 'title mentions "cyberspace" (+3), "data" (+1): 4 ≥ 2'
    related: bool


def _fmt(x: float) -> str:
    return f"{x:g}"


@dataclass(frozen=True)
class BodyReading:
    """When and how a candidate's opening paragraphs are read (redline.discovery.bodyscore):
    a title scoring within `margin` of the threshold is inconclusive; at most `max_reads`
    candidate pages are read per listing per cycle; the first `paragraphs` paragraphs are
    scored and count `weight` times beside the title's score."""

    margin: float = 1.0
    max_reads: int = 3
    paragraphs: int = 3
    weight: float = 1.0


_BODY_LIMITS = {"margin": (0.0, MAX_WEIGHT), "max_reads": (0, 50), "paragraphs": (1, 50), "weight": (0.0, 10.0)}


@dataclass(frozen=True)
class TopicProfile:
    terms: tuple[Term, ...]
    threshold: float = DEFAULT_THRESHOLD
    origin: str = "built-in"
    body: BodyReading = BodyReading()

    @classmethod
    def from_weights(cls, weights: Mapping[str, float], *, threshold: float = DEFAULT_THRESHOLD,
                     origin: str = "built-in", body: BodyReading = BodyReading()) -> "TopicProfile":
        terms = tuple(Term(t, float(w), _pattern(t)) for t, w in weights.items() if w)
        # longest first: "data security" claims its words before "data" is tried
        terms = tuple(sorted(terms, key=lambda t: (-len(_fold(t.text).rstrip("*")), t.text)))
        return cls(terms=terms, threshold=float(threshold), origin=origin, body=body)

    def score(self, title: str) -> Score:
        """How related a title is: the weights of the terms it mentions, each counted once,
        no two overlapping; related when the sum reaches the threshold."""
        text, cased = _fold(title), _fold(title, lower=False)  # same length: str.lower keeps positions
        compact = text.replace(" ", "") if _CJK.search(text) else None
        claimed: list[tuple[int, int]] = []
        claimed_cjk: list[tuple[int, int]] = []
        hits: list[Term] = []
        for term in self.terms:
            if _CJK.search(term.text):
                haystack, spans = compact, claimed_cjk
            else:
                haystack, spans = (cased if term.cased else text), claimed
            if haystack is None:
                continue
            for m in term.pattern.finditer(haystack):
                if not any(m.start() < e and s < m.end() for s, e in spans):
                    spans.append((m.start(), m.end()))
                    hits.append(term)
                    break
        total = sum(t.weight for t in hits)
        hits.sort(key=lambda t: (-t.weight, t.text))
        related = total >= self.threshold
        sign = "≥" if related else "<"
        if hits:
            listed = ", ".join(f"{json.dumps(t.text, ensure_ascii=False)} ({t.weight:+g})" for t in hits)
            reason = f"title mentions {listed}: {_fmt(total)} {sign} {_fmt(self.threshold)}"
        else:
            reason = f"title mentions no topic term: 0 {sign} {_fmt(self.threshold)}"
        return Score(score=total, terms=tuple(t.text for t in hits), reason=reason, related=related)


def default_topic() -> TopicProfile:
    return TopicProfile.from_weights(DEFAULT_TERMS)


# --------------------------------------------------------------------------- the operator's file
_KEYS = ("version", "threshold", "include_defaults", "terms", "body")


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def parse_topic(text: str, *, path: str = "<string>") -> TopicProfile:
    """A topic file's text -> the profile; ConfigError naming the file and every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: TOML syntax error: {exc}") from None
    problems: list[str] = []
    for key in data:
        if key not in _KEYS:
            problems.append(f"unknown key {json.dumps(key)} (expected: {', '.join(_KEYS)})")
    if "version" in data and (type(data["version"]) is not int or data["version"] != SCHEMA_VERSION):
        problems.append(f"version = {data['version']!r} is not supported (this redline reads version "
                        f"{SCHEMA_VERSION})")
    threshold = data.get("threshold", DEFAULT_THRESHOLD)
    if not _number(threshold) or not 0 < threshold <= MAX_WEIGHT:
        problems.append(f"threshold = {threshold!r} must be a number above 0 and at most {MAX_WEIGHT:g}")
    include = data.get("include_defaults", True)
    if not isinstance(include, bool):
        problems.append(f"include_defaults = {include!r} must be true or false")
    terms = data.get("terms", {})
    if not isinstance(terms, dict):
        problems.append('"terms" must be a table, written [terms], of "term" = weight')
        terms = {}
    for term, weight in terms.items():
        shown = json.dumps(term, ensure_ascii=False)
        if "*" in term.strip()[:-1]:
            problems.append(f"term {shown}: * may only end a term")
        elif not term.strip() or not (_TERM_OK.match(term.strip()) or _CJK.search(term)):
            problems.append(f"term {shown} must be words (letters, digits, spaces, hyphens), "
                            "optionally ending in *")
        if not _number(weight) or abs(weight) > MAX_WEIGHT:
            problems.append(f"term {shown} = {weight!r}: the weight must be a number from "
                            f"-{MAX_WEIGHT:g} to {MAX_WEIGHT:g} (0 removes a built-in term)")
    body = _body_reading(data.get("body", {}), problems)
    if not problems and not include and not any(w for w in terms.values()):
        problems.append("no terms: add [terms] or set include_defaults = true")
    if problems:
        raise ConfigError(f"{path}: " + "; ".join(problems))
    weights: dict[str, float] = dict(DEFAULT_TERMS) if include else {}
    folded = {_fold(t): t for t in weights}
    for term, weight in terms.items():
        weights.pop(folded.get(_fold(term), term), None)  # the file's spelling and weight win
        weights[term.strip()] = float(weight)
    return TopicProfile.from_weights(weights, threshold=float(threshold), origin=path, body=body)


def _body_reading(table: object, problems: list[str]) -> BodyReading:
    """The [body] table -> BodyReading; each problem appended to `problems`."""
    if not isinstance(table, dict):
        problems.append('"body" must be a table, written [body], of margin, max_reads, paragraphs, weight')
        return BodyReading()
    values: dict[str, float | int] = {}
    for key, value in table.items():
        if key not in _BODY_LIMITS:
            problems.append(f"unknown key body.{key} (expected: {', '.join(_BODY_LIMITS)})")
            continue
        low, high = _BODY_LIMITS[key]
        whole = isinstance(low, int) and not isinstance(low, float)
        if not _number(value) or (whole and not isinstance(value, int)) or not low <= value <= high:
            problems.append(f"body.{key} = {value!r} must be {'a whole number' if whole else 'a number'} "
                            f"from {low:g} to {high:g}")
            continue
        values[key] = int(value) if whole else float(value)
    return BodyReading(**values)  # type: ignore[arg-type]


def topic_path(sources_file: Path | None, env: Mapping[str, str] | None = None,
               given: str | Path | None = None) -> Path | None:
    """Which topic file applies: the given one, else $REDLINE_TOPIC, else topic.toml next to
    the sources file when there is one; None means the built-in profile."""
    env = os.environ if env is None else env
    if given:
        return Path(given).expanduser().resolve()
    if env.get(ENV_TOPIC):
        return Path(env[ENV_TOPIC]).expanduser().resolve()
    if sources_file is not None:
        beside = Path(sources_file).parent / TOPIC_FILE
        if beside.is_file():
            return beside.resolve()
    return None


def load_topic(path: Path | str | None) -> TopicProfile:
    """The profile in a topic file (None: the built-in one). A missing or bad file is a ConfigError."""
    if path is None:
        return default_topic()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: topic file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the topic file: {exc}") from None
    return parse_topic(text, path=str(path))
