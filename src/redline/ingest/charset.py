"""Bytes to text, the way a careful browser does it (pure: no I/O).

Order: byte-order mark, the Content-Type header's charset, a <meta> / XML
declaration in the first 4 KB, then detection (valid UTF-8 first, then
charset-normalizer), and last UTF-8 with replacement characters. A missing
header charset never means ISO-8859-1. A declared charset that does not fit the
bytes is passed over; one that fails on only a stray byte or two (a truncated
character, common on CMS pages) is kept, since detection would turn the whole
page into mojibake for that one byte.
"""
from __future__ import annotations

import codecs
import re

import charset_normalizer

PRESCAN_BYTES = 4096
TOLERATED_BAD_BYTES = 8

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
# Labels pages use for a charset whose superset is what the server really sends (WHATWG Encoding).
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "big5": "big5hkscs", "iso8859-1": "cp1252"}
_WESTERN = frozenset({"cp1252", "ascii"})
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([^\s"';,]+)""", re.I)
_META_CHARSET = re.compile(rb"""<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml\b[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9_.:\-]+)""", re.I)
_ASCII = bytes(range(128))

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


def _bad_bytes(body: bytes, encoding: str, limit: int) -> int:
    """How many bytes of body fail to decode (counting stops once past limit)."""
    bad, pos = 0, 0
    while pos < len(body):
        try:
            body[pos:].decode(encoding)
            break
        except UnicodeDecodeError as exc:
            bad += max(1, exc.end - exc.start)
            pos += max(1, exc.end)
            if bad > limit:
                break
    return bad


def _fits(body: bytes, encoding: str) -> bool:
    """body decodes strictly, or all but a stray few bytes (<= 5% of its non-ASCII bytes) do."""
    bad = _bad_bytes(body, encoding, TOLERATED_BAD_BYTES)
    return bad == 0 or (bad <= TOLERATED_BAD_BYTES and bad * 20 <= len(body.translate(None, _ASCII)))


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


def _detect(body: bytes) -> tuple[str, str, str]:
    if _fits(body, "utf-8"):
        return body.decode("utf-8", errors="replace"), "utf-8", "detected"
    best = charset_normalizer.from_bytes(body).best()
    name = codec_name(best.encoding) if best is not None else None
    if name is None:
        return body.decode("utf-8", errors="replace"), "utf-8", "default"
    return body.decode(name, errors="replace"), name, "detected"


def decode_body(body: bytes, content_type: str | None) -> tuple[str, str, str]:
    """(text, encoding, source); source is "bom" | "header" | "meta" | "detected" | "default"."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return body[len(bom):].decode(name, errors="replace"), name, "bom"
    for name, source in _declared(body, content_type):
        if name in _WESTERN and not body.isascii() and _bad_bytes(body, "utf-8", 0) == 0:
            # "iso-8859-1" on bytes that are valid multi-byte UTF-8 is a misconfigured server.
            return body.decode("utf-8"), "utf-8", "detected"
        if _fits(body, name):
            return body.decode(name, errors="replace"), name, source
    return _detect(body)


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
