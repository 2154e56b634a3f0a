"""Pages for the discovery part of the offline demo: listings, and the "page not found" placeholder.

Package data in ``redline/demo/templates/``, cut from saved pages of the MFA site:

- ``mfa_en_legacy_listing.html``: the MFA English listing template before 2021
  (tests/fixtures/mfa/cw_en_listing_2511_665403_default.shtml.html); its chrome,
  sidebar and pagination script stay; the items, the listing's title and the page
  count are slots.
- ``mfa_placeholder.html``: what the MFA site serves, with HTTP 200, for a page that
  is gone (tests/fixtures/mfa/toruoga_placeholder_system_maintenance_t20210325_9170713.html),
  header and message kept.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from importlib import resources

LISTING_TEMPLATES: tuple[str, ...] = ("mfa_en_legacy_listing",)
PAGES: tuple[str, ...] = ("mfa_placeholder",)  # whole pages, no slots
_SLOT = re.compile(r"\{\{(\w+)\}\}")


@dataclass(frozen=True)
class Entry:
    title: str
    href: str          # as the page links it: "./202611/t20261121_11800001.html", or absolute


def _data(name: str) -> str:
    return resources.files("redline.demo").joinpath("templates", name).read_text(encoding="utf-8")


def placeholder_page() -> bytes:
    """The MFA "您访问的页面不存在或已删除" page (served with HTTP 200 for a dead URL)."""
    return _data(f"{PAGES[0]}.html").encode("utf-8")


def listing_page(entries: list[Entry], *, title: str = "Documents", template: str = "mfa_en_legacy_listing",
                 count_page: int = 1, current_page: int = 0) -> bytes:
    """A listing page holding `entries` (newest first), UTF-8, as the site serves it."""
    if template not in LISTING_TEMPLATES:
        raise ValueError(f"unknown listing template {template!r}; known: {', '.join(LISTING_TEMPLATES)}")
    items = "\n".join(f'                \t<li><a href="{html.escape(e.href)}" target="_blank">'
                      f"{html.escape(e.title)}</a></li>" for e in entries)
    values = {"items": items, "title": html.escape(title), "count_page": str(count_page),
              "current_page": str(current_page)}
    return _SLOT.sub(lambda m: values[m.group(1)], _data(f"{template}.html")).encode("utf-8")
