"""Realistic copies of the seed pages, for the offline loopback demo and the tests.

Each page is built from a cut-down copy of the site's real template (package
data in ``redline/demo/templates/``): the real chrome stays (header, nav, language bar,
share/print bar, footer, scripts) and the seed statement's title, date and body
go into the article slots. ``header_note`` (a date stamp in the site header)
and ``visitor_count`` (a counter in the footer) change only chrome, so they
must never change what ``normalize`` returns for the page.

The MFA templates (mfa_en_legacy, mfa_en_2024, mfa_zh) are cut from saved pages
of the sites; no saved page of the missions or of cac.gov.cn was at hand, so
un_mission and cac are stand-ins built from what the seed captures show of
those pages and from the element ids scrapers use on them.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from importlib import resources

from redline.text.normalize import clean_text, detect_profile

__all__ = ["TEMPLATES", "SEED_TEMPLATES", "SeedParts", "split_seed", "seed_page", "template_for_url"]

TEMPLATES: tuple[str, ...] = ("mfa_en_legacy", "mfa_en_2024", "mfa_zh", "un_mission", "cac")

# Seed file prefix -> the template its page is served in.
SEED_TEMPLATES: dict[str, str] = {
    "000": "mfa_en_2024",
    "001": "mfa_en_legacy",
    "002": "un_mission",
    "003": "un_mission",
    "004": "cac",
}

_SITE = {
    "mfa_en_legacy": ("{}", "Ministry of Foreign Affairs of the People's Republic of China"),
    "mfa_en_2024": ("{}_Ministry of Foreign Affairs of the People's Republic of China",
                    "Ministry of Foreign Affairs of the People's Republic of China"),
    "mfa_zh": ("{} — 中华人民共和国外交部", "中华人民共和国外交部"),
    "un_mission": ("{}", "Permanent Mission of the People's Republic of China to the UN"),
    "cac": ("{}_中国网信网", "中国网信网"),
}
_COUNTER = {"mfa_zh": "访问量：{:,}", "cac": "访问量：{:,}"}
_SLOT = re.compile(r"\{\{(\w+)\}\}")
_DATE_LINE = re.compile(
    r"^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?: \d{1,2}:\d{2}(?::\d{2})?)?"
    r"|\d{4}年\d{1,2}月\d{1,2}日(?: ?\d{1,2}:\d{2})?"
    r"|(?:January|February|March|April|May|June|July|August|September|October|November|December)"
    r" \d{1,2}, \d{4}(?: \d{1,2}:\d{2})?)$")
_SENTENCE_END = tuple(".。!?！？:：;；,，")


@dataclass(frozen=True)
class SeedParts:
    title: str
    date: str
    body: tuple[str, ...]


def _looks_like_title(line: str) -> bool:
    return len(line) <= 200 and not line.endswith(_SENTENCE_END) and not re.match(r"^\d+(?:\.\d+)*[.、]", line)


def split_seed(seed_text: str, *, title: str | None = None) -> SeedParts:
    """A seed capture -> its title, date and body lines, as the seed has them (empty when absent).

    ``title`` overrides the guess: "" means the seed has no title line; another
    value is taken as the title (and consumed if the seed starts with it)."""
    lines = clean_text(seed_text).splitlines()
    if title is None:
        if len(lines) >= 2 and _DATE_LINE.match(lines[1]) and not _DATE_LINE.match(lines[0]):
            title = lines[0]
        elif len(lines) >= 2 and _looks_like_title(lines[0]) and not _DATE_LINE.match(lines[0]):
            title = lines[0]
        else:
            title = ""
    else:
        title = clean_text(title).replace("\n", " ")
    if title and lines and lines[0] == title:
        lines = lines[1:]
    date = ""
    if lines and _DATE_LINE.match(lines[0]):
        date, lines = lines[0], lines[1:]
    return SeedParts(title=title, date=date, body=tuple(lines))


def template_for_url(url: str) -> str:
    """The replay template for a page address, by its host and path."""
    name = detect_profile("", url)
    if name not in TEMPLATES:
        raise ValueError(f"no replay template for {url}; templates: {', '.join(TEMPLATES)}")
    return name


def _template(name: str) -> str:
    return resources.files("redline.demo").joinpath("templates", f"{name}.html").read_text(encoding="utf-8")


def seed_page(seed_text: str, *, template: str, title: str | None = None, header_note: str = "",
              visitor_count: int | None = None, url: str | None = None) -> bytes:
    """The seed statement as a page in ``template``'s site template, UTF-8 with <meta charset=utf-8>.

    ``template`` is one of TEMPLATES, or "auto" with ``url`` (chosen by host and path)."""
    if template == "auto" and url:
        template = template_for_url(url)
    if template not in TEMPLATES:
        raise ValueError(f"unknown replay template {template!r}; known: {', '.join(TEMPLATES)}")
    parts = split_seed(seed_text, title=title)
    page_title, site = _SITE[template]
    counter = "" if visitor_count is None else _COUNTER.get(template, "Visitors: {:,}").format(visitor_count)
    values = {
        "page_title": html.escape(page_title.format(parts.title) if parts.title else site),
        "title": html.escape(parts.title),
        "date": html.escape(parts.date),
        "body": "\n".join(f"<p>{html.escape(line)}</p>" for line in parts.body),
        "header_note": html.escape(header_note),
        "visitors": html.escape(counter),
    }
    return _SLOT.sub(lambda m: values[m.group(1)], _template(template)).encode("utf-8")
