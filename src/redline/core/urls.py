"""Addresses of statements: the URL to fetch, the key to compare, the document id: pure.

The same statement reached by another URL is the same statement:

- ``normalize_url`` gives the address to fetch: absolute, no fragment, no
  tracking parameters (``utm_*``, ``spm``, ...), host lowercase and in its ASCII
  (punycode) form (``bücher.example`` = ``xn--bcher-kva.example``), default port dropped.
- ``url_key`` gives the address to compare: also no scheme (http = https), no
  ``www.``, host aliases merged (``mfa.gov.cn`` = ``fmprc.gov.cn``), ``/mfa_eng/``
  read as ``/eng/``, ``index.html`` / ``default.shtml`` read as their folder.
- ``doc_key`` gives the document: the TRS WCM id ``tYYYYMMDD_N`` that the MFA and
  its missions share (one key for all their hosts), or an older ``tNNNNNNN`` id
  (one key per site).
"""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import idna

from redline.core.textutil import valid_date

TRACKING_PARAMS = frozenset({"spm", "fbclid", "gclid", "dclid", "yclid", "msclkid", "igshid", "mc_cid", "mc_eid",
                             "_ga", "_gl", "from", "isappinstalled", "scene", "share_token", "wfr", "ref_src"})
TRACKING_PREFIXES = ("utm_",)
# Hosts that serve the same site (compared without "www.").
HOST_ALIASES = {"mfa.gov.cn": "fmprc.gov.cn"}
# Path segments that name the same section: the MFA English site moved from /mfa_eng/ to /eng/ around 2024.
PATH_ALIASES = (("/mfa_eng/", "/eng/"),)
# Hosts that share one TRS WCM, so one tYYYYMMDD_N id is one document on all of them.
DOC_FAMILIES = {"mfa": ("fmprc.gov.cn", "mfa.gov.cn", "china-mission.gov.cn", "china-un.ch", "china-un.org",
                        "chinaun.org")}
_DEFAULT_PORTS = {"http": 80, "https": 443}
_INDEX_FILE = re.compile(r"/(?:index|default)\.s?html?$", re.I)
_DOC_ID = re.compile(r"/(t(\d{4})(\d{2})(\d{2})_(\d+))\.s?html?$", re.I)
_OLD_DOC_ID = re.compile(r"/(t\d{5,9})\.s?html?$", re.I)
_HOME_PATH = re.compile(r"^/(?:[^/]+/)?(?:(?:index|default)\.s?html?)?$", re.I)


def normalize_url(href: str, base: str | None = None) -> str | None:
    """The address to fetch for a link: absolute, http(s) only, no fragment, no tracking
    parameters, scheme and host lowercase, the host in its ASCII form, default port dropped.
    None for no page link (``javascript:``, ``mailto:``, a bare ``#anchor``, another scheme)."""
    href = (href or "").strip()
    if not href or href.startswith("#"):
        return None
    try:
        absolute = urljoin(base, href) if base else href
        parts = urlsplit(absolute)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = ascii_host(parts.hostname or "")
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if k.lower() not in TRACKING_PARAMS and not k.lower().startswith(TRACKING_PREFIXES)]
                      ) if parts.query else ""
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def ascii_host(host: str) -> str:
    """A host name lowercase and in the ASCII form DNS and the fetcher use: ``Bücher.example`` ->
    ``xn--bcher-kva.example`` (IDNA 2008 with UTS #46 mapping, as httpx does). A name that is not a
    valid IDNA name (or an IP address) comes back lowercase, unchanged otherwise."""
    host = host.lower()
    if host.isascii():
        return host
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return host


def redact_password(url: str) -> str:
    """`url` with the password of its user part shown as ``***`` (``http://alice:***@host/``), for messages;
    unchanged when it carries none."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    userinfo, at, hostport = rest[:end].rpartition("@")
    user, colon, _password = userinfo.partition(":")
    if not at or not colon:
        return url
    return f"{scheme}://{user}:***@{hostport}{rest[end:]}"


def _site(host: str) -> str:
    host = host.lower().removeprefix("www.")
    return HOST_ALIASES.get(host, host)


def url_key(url: str) -> str:
    """A key under which every address of the same page compares equal (see the module docstring)."""
    return key_of_normalized(normalize_url(url) or url)


def key_of_normalized(clean: str) -> str:
    """url_key of an address normalize_url gave."""
    parts = urlsplit(clean)
    host = _site(parts.hostname or "")
    netloc = host if parts.port in (None, _DEFAULT_PORTS.get(parts.scheme)) else f"{host}:{parts.port}"
    path = parts.path or "/"
    for old, new in PATH_ALIASES:
        path = path.replace(old, new)
    path = _INDEX_FILE.sub("/", path)
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True))) if parts.query else ""
    return netloc + path + (f"?{query}" if query else "")


def doc_id(url: str) -> str | None:
    """The site's document id in a URL: ``t20201216_599781`` (2021 on), ``t1380539`` (before); else None."""
    path = urlsplit(url).path
    m = _DOC_ID.search(path)
    if m and valid_date(int(m.group(2)), int(m.group(3)), int(m.group(4))):
        return m.group(1).lower()
    m = _OLD_DOC_ID.search(path)
    return m.group(1).lower() if m else None


def doc_key(url: str) -> str | None:
    """The document id with its scope: ``mfa/t20201216_599781`` on any MFA or mission host;
    ``<site>/<id>`` elsewhere and for older ids (their numbering is per site)."""
    ident = doc_id(url)
    if ident is None:
        return None
    parts = urlsplit(url)
    host = ascii_host(parts.hostname or "")
    if "_" in ident:
        for family, hosts in DOC_FAMILIES.items():
            if any(host == h or host.endswith("." + h) for h in hosts):
                return f"{family}/{ident}"
    port = f":{parts.port}" if parts.port not in (None, _DEFAULT_PORTS.get(parts.scheme)) else ""
    return f"{_site(host)}{port}/{ident}"


def is_home_url(url: str) -> bool:
    """True for a site's home page: ``/``, ``/index.html``, or one folder deep (``/eng/``, ``/web/``)."""
    return bool(_HOME_PATH.match(urlsplit(url).path or "/"))
