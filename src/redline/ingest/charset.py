"""Bytes to text, the way a careful browser does it (pure: no I/O).

Order: byte-order mark, the Content-Type header's charset, a <meta> / XML
declaration in the first 4 KB, then detection (valid UTF-8 first, then
charset-normalizer), and last UTF-8 with replacement characters. A missing
header charset never means ISO-8859-1. A declared charset that does not fit the
bytes is passed over; one that fails on only a few bytes (a stray 0xA0, a
truncated character: common on CMS pages) is kept and those bytes become U+FFFD,
counted in ``Decoded.replaced``, since detection would turn the whole page into
mojibake for them. Last, mojibake that arrived in the bytes (UTF-8 read upstream as
Latin-1 or cp1252, then served as UTF-8) is repaired (redline.core.mojibake), and
``Decoded.repaired`` says so.
"""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, replace

import charset_normalizer

from redline.core.mojibake import repair_mojibake

PRESCAN_BYTES = 4096
TOLERATED_BAD_BYTES = 8  # at most this many bytes that do not decode, and
STRAY_BYTES = 2          # either no more than these, or fewer than the non-ASCII bytes that do decode

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
# Labels pages use for a charset whose superset is what the server really sends (WHATWG Encoding).
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "big5": "big5hkscs", "iso8859-1": "cp1252"}
_WESTERN = frozenset({"cp1252", "ascii"})
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([^\s"';,]+)""", re.I)
_META_CHARSET = re.compile(rb"""<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml\b[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9_.:\-]+)""", re.I)
_ASCII = bytes(range(128))
_MARK = "\udc00"  # a lone surrogate: no strict decoder yields one, so each stands for a byte that failed


def _mark_bad_bytes(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return _MARK * max(1, exc.end - exc.start), exc.end


codecs.register_error("redline-mark", _mark_bad_bytes)  # surrogateescape fails on bytes < 0x80 (UTF-16)

_TEXT_MARKERS = ("text/", "html", "xml")
_GENERIC_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream", "application/unknown",
                            "unknown/unknown", "application/x-unknown-content-type"})
_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x1f\x8b", b"\xd0\xcf\x11\xe0",
                 b"Rar!", b"7z\xbc\xaf")  # PDF, images, zip/docx, gzip, old Office, archives


def media_type(content_type: str | None) -> str:
    """'Text/HTML; charset=gbk' -> 'text/html' ('' when absent)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def codec_name(label: str | None) -> str | None:
    """Python codec name for a charset label (with supersets applied), None if unknown or not text."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
        b"a".decode(name)  # raises LookupError for codecs that are not text encodings (base64, rot13, ...)
    except LookupError:
        return None
    except UnicodeDecodeError:  # a text encoding that cannot decode one byte alone (utf-16, ...)
        pass
    return _SUPERSETS.get(name, name)


def _bad_bytes(body: bytes, encoding: str) -> int:
    """How many bytes of body do not decode in `encoding` (one pass)."""
    try:
        body.decode(encoding)
        return 0
    except UnicodeDecodeError:
        return body.decode(encoding, errors="redline-mark").count(_MARK)


def _fits(body: bytes, encoding: str, *, strays: int = 0) -> int | None:
    """The bytes that fail to decode when body decodes in `encoding` strictly, or all but a few of its bytes
    do (at most TOLERATED_BAD_BYTES, and no more than `strays` or fewer than the non-ASCII bytes that decode:
    a page in another charset fails on nearly all of those); None when it does not fit."""
    bad = _bad_bytes(body, encoding)
    if bad == 0 or (bad <= TOLERATED_BAD_BYTES and (bad <= strays or
                                                     bad < len(body.translate(None, _ASCII)) - bad)):
        return bad
    return None


def _declared(body: bytes, content_type: str | None) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    header = _HEADER_CHARSET.search(content_type or "")
    if header and (name := codec_name(header.group(1))):
        found.append((name, "header"))
    head = body[:PRESCAN_BYTES]
    meta = _XML_ENCODING.search(head) or _META_CHARSET.search(head)
    if meta and (name := codec_name(meta.group(1).decode("ascii"))):
        # A byte-scanned declaration of UTF-16/32 cannot be true (we read it as ASCII): HTML says UTF-8.
        found.append(("utf-8" if name.startswith(("utf-16", "utf-32")) else name, "meta"))
    return found


@dataclass(frozen=True)
class Decoded:
    """A body as text: `source` says where `encoding` came from ("bom" | "header" | "meta" | "detected" |
    "default"); `replaced` counts the bytes that did not decode and are U+FFFD in `text`; `repaired`
    says what mojibake was undone in `text` (None: none)."""

    text: str
    encoding: str
    source: str
    replaced: int = 0
    repaired: str | None = None


def _decoded(body: bytes, encoding: str, source: str, bad: int | None = None) -> Decoded:
    text = body.decode(encoding, errors="replace")
    return Decoded(text, encoding, source, _bad_bytes(body, encoding) if bad is None else bad)


def _detect(body: bytes) -> Decoded:
    bad = _fits(body, "utf-8")
    if bad is not None:
        return _decoded(body, "utf-8", "detected", bad)
    best = charset_normalizer.from_bytes(body).best()
    name = codec_name(best.encoding) if best is not None else None
    if name is None:
        return _decoded(body, "utf-8", "default")
    return _decoded(body, name, "detected")


def decode(body: bytes, content_type: str | None) -> Decoded:
    """The body as text, in the order the module docstring gives, its mojibake repaired."""
    decoded = _decode(body, content_type)
    repair = repair_mojibake(decoded.text)
    return decoded if repair is None else replace(decoded, text=repair.text, repaired=repair.note())


def _decode(body: bytes, content_type: str | None) -> Decoded:
    for bom, name in _BOMS:
        if body.startswith(bom):
            return _decoded(body[len(bom):], name, "bom")
    for name, source in _declared(body, content_type):
        if name in _WESTERN and not body.isascii() and _bad_bytes(body, "utf-8") == 0:
            # "iso-8859-1" on bytes that are valid multi-byte UTF-8 is a misconfigured server.
            return Decoded(body.decode("utf-8"), "utf-8", "detected")
        bad = _fits(body, name, strays=STRAY_BYTES)
        if bad is not None:  # the page's own word, even with a few bytes that do not decode
            return _decoded(body, name, source, bad)
    return _detect(body)


def decode_body(body: bytes, content_type: str | None) -> tuple[str, str, str]:
    """(text, encoding, source) of `decode`."""
    d = decode(body, content_type)
    return d.text, d.encoding, d.source


def is_probably_text(content_type: str | None, body: bytes) -> bool:
    """HTML, XML or plain text; False for PDFs, images, archives and other binary bodies."""
    mime = media_type(content_type)
    head = body[:1024]
    if not head.startswith(tuple(bom for bom, _ in _BOMS[1:])):  # UTF-16 text is full of NULs
        if head.lstrip().startswith(_BINARY_MAGIC) or b"\x00" in head:
            return False
    if mime in _GENERIC_TYPES:
        return True
    return any(marker in mime for marker in _TEXT_MARKERS)
