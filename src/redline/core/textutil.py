"""Small text helpers shared by the layers: tidy one line, compare titles, find dates, opening lines: pure."""
from __future__ import annotations

import re
import unicodedata
from datetime import date
from urllib.parse import urlsplit

# Characters that change no meaning and that pages scatter through text: soft hyphen, zero-width and
# direction marks, word joiners, BOM. The one definition (text.normalize and the listing reader use it).
INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u061c]")
_MONTHS = {m: i for i, names in enumerate((
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
    ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"),
    ("november", "nov"), ("december", "dec")), start=1) for m in names}
_MONTH_RX = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?<!\d)(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})(?!\d)"), "ymd"),
    (re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"), "ymd"),
    (re.compile(rf"\b({_MONTH_RX})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I), "mdy"),
    (re.compile(rf"\b(\d{{1,2}})\s+({_MONTH_RX})\.?,?\s+(\d{{4}})\b", re.I), "dmy"),
)
_URL_DATES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"/t(\d{4})(\d{2})(\d{2})_\d+\.s?html?$", re.I), "ymd"),
    (re.compile(r"/(\d{4})-(\d{2})/(\d{2})/"), "ymd"),
    (re.compile(r"/(\d{4})/(\d{2})/(\d{2})/"), "ymd"),
    (re.compile(r"/(\d{4})(\d{2})(\d{2})/"), "ymd"),
    (re.compile(r"/(\d{4})(\d{2})/"), "ym"),
)


def tidy(text: str) -> str:
    """One line: NFKC, invisible characters dropped, whitespace collapsed."""
    return " ".join(INVISIBLE.sub("", unicodedata.normalize("NFKC", text or "")).split())


def title_key(title: str) -> str:
    """A title reduced for comparison: case, spacing and punctuation ignored."""
    return "".join(ch for ch in tidy(title).casefold() if ch.isalnum())


def valid_date(y: int, m: int, d: int | None = None) -> bool:
    if not (1990 <= y <= 2100 and 1 <= m <= 12):
        return False
    if d is None:
        return True
    try:
        date(y, m, d)
    except ValueError:
        return False
    return True


def _date_from(match: re.Match[str], order: str) -> str:
    g = match.groups()
    if order == "ym":
        y, m = int(g[0]), int(g[1])
        return f"{y:04d}-{m:02d}" if valid_date(y, m) else ""
    if order == "ymd":
        y, m, d = int(g[0]), int(g[1]), int(g[2])
    elif order == "mdy":
        y, m, d = int(g[2]), _MONTHS[g[0].lower()], int(g[1])
    else:
        y, m, d = int(g[2]), _MONTHS[g[1].lower()], int(g[0])
    return f"{y:04d}-{m:02d}-{d:02d}" if valid_date(y, m, d) else ""


def find_date(text: str) -> str:
    """The first date written in text ("2020-07-03", "2020年7月3日", "July 3, 2020", "3 July 2020"),
    as "YYYY-MM-DD"; "" when there is none."""
    best: tuple[int, str] | None = None
    for rx, order in _DATES:
        for m in rx.finditer(text):
            found = _date_from(m, order)
            if found:
                if best is None or m.start() < best[0]:
                    best = (m.start(), found)
                break
    return best[1] if best else ""


def opening_lines(text: str, *, title: str = "", count: int = 3, width: int = 300) -> list[str]:
    """The first lines of a statement's normalized text, after its title and date lines."""
    lines = [line for line in text.splitlines() if line.strip()]
    while lines and ((title and title_key(lines[0]) == title_key(title))
                     or (len(lines[0]) <= 40 and find_date(lines[0]))):
        lines = lines[1:]
    return [line if len(line) <= width else line[: width - 1].rstrip() + "…" for line in lines[:count]]


def url_date(url: str) -> str:
    """The date a URL's path carries (document id, /2025-12/04/, /202510/); "" when none."""
    path = urlsplit(url).path
    for rx, order in _URL_DATES:
        m = rx.search(path)
        if m:
            found = _date_from(m, order)
            if found:
                return found
    return ""
