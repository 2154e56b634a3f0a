"""charset.decode_body / is_probably_text: pure functions, real MFA pages as data."""
from __future__ import annotations

import codecs
import re
from pathlib import Path

import pytest

from redline.ingest.charset import codec_name, decode, decode_body, is_probably_text, media_type

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mfa"
ZH_PAGE = FIXTURES / "cw_zh_presser_t1624087_2018-12-21_cyber.html"
EN_PAGE = FIXTURES / "cw_en_presser_t1624190_2018-12-21_cyber.html"
ZH_TITLE = "2018年12月21日外交部发言人华春莹主持例行记者会"
ZH_PHRASE = "在网络安全问题上对中方进行无端指责"


def zh_text(*, meta: str | None) -> str:
    """The Chinese fixture's text with its <meta charset> removed or rewritten to `meta`."""
    text = ZH_PAGE.read_text(encoding="utf-8")
    return re.sub(r"charset=UTF-8", f"charset={meta}", text) if meta else \
        re.sub(r"<meta[^>]*charset[^>]*>", "", text, flags=re.I)


def gbk(text: str) -> bytes:
    return text.encode("gbk", errors="xmlcharrefreplace")  # what a GBK CMS does with é, ç, ...


def test_utf8_fixtures_without_header_charset_decode_as_utf8_via_meta():
    for path, phrase in ((ZH_PAGE, ZH_PHRASE), (EN_PAGE, "简体中文")):
        text, encoding, source = decode_body(path.read_bytes(), "text/html")
        assert (encoding, source) == ("utf-8", "meta")
        assert phrase in text and "\ufffd" not in text


def test_utf8_without_any_declaration_is_detected_as_utf8_not_latin1():
    body = "<p>Français — 外交部发言人</p>".encode()
    assert decode_body(body, "text/html") == ("<p>Français — 外交部发言人</p>", "utf-8", "detected")
    assert decode_body(body, None)[1] == "utf-8"


def test_gbk_page_with_meta_charset_gbk_decodes_as_gb18030():
    text, encoding, source = decode_body(gbk(zh_text(meta="gbk")), "text/html")
    assert (encoding, source) == ("gb18030", "meta")
    assert ZH_TITLE in text and ZH_PHRASE in text


def test_gbk_page_without_declaration_is_detected():
    text, encoding, source = decode_body(gbk(zh_text(meta=None)), "text/html")
    assert (encoding, source) == ("gb18030", "detected")
    assert ZH_TITLE in text and ZH_PHRASE in text


def test_short_gbk_snippet_without_declaration_is_detected():
    text, encoding, _ = decode_body("<p>外交部发言人华春莹主持例行记者会，中方坚决反对网络攻击。</p>".encode("gbk"), None)
    assert encoding == "gb18030" and "坚决反对网络攻击" in text


def test_gb2312_label_decodes_gbk_only_characters():
    # 镕 is in GBK but not GB2312; pages labelled gb2312 use it all the time.
    assert decode_body("<p>朱镕基</p>".encode("gbk"), "text/html; charset=gb2312") == \
        ("<p>朱镕基</p>", "gb18030", "header")


def test_header_charset_wins_over_meta():
    body = gbk('<meta charset="big5"><p>外交部发言人</p>')
    assert decode_body(body, "text/html; charset=GBK") == ('<meta charset="big5"><p>外交部发言人</p>', "gb18030", "header")


def test_meta_http_equiv_and_meta_charset_forms():
    assert decode_body(gbk('<meta charset=gbk><p>中方</p>'), None)[1:] == ("gb18030", "meta")
    assert decode_body(gbk("<meta http-equiv='Content-Type' content='text/html; charset=gb2312'><p>中方</p>"), None)[1:] \
        == ("gb18030", "meta")


def test_xml_declaration_counts_as_meta():
    body = gbk('<?xml version="1.0" encoding="GBK"?><rss><title>外交部</title></rss>')
    assert decode_body(body, "application/xml") == ('<?xml version="1.0" encoding="GBK"?><rss><title>外交部</title></rss>',
                                                     "gb18030", "meta")


def test_meta_after_first_4kb_is_ignored():
    body = b"<!-- " + b"x" * 5000 + b' --><meta charset="big5">' + gbk(zh_text(meta=None))
    text, encoding, source = decode_body(body, None)
    assert (encoding, source) == ("gb18030", "detected")
    assert ZH_PHRASE in text


def test_declared_charset_that_does_not_fit_falls_through_to_detection():
    text, encoding, source = decode_body(gbk(zh_text(meta=None)), "text/html; charset=utf-8")
    assert (encoding, source) == ("gb18030", "detected")
    assert ZH_PHRASE in text


def test_stray_bad_byte_keeps_the_declared_charset():
    body = ZH_PAGE.read_bytes()
    cut = body.index(ZH_PHRASE.encode())
    text, encoding, source = decode_body(body[:cut] + b"\xe5\xa4" + body[cut:], "text/html")
    assert (encoding, source) == ("utf-8", "meta")
    assert ZH_PHRASE in text and text.count("\ufffd") == 1


def test_unknown_or_non_text_charset_labels_are_ignored():
    body = "<p>Français</p>".encode()
    assert decode_body(body, "text/html; charset=no-such-thing")[1:] == ("utf-8", "detected")
    assert decode_body(body, "text/html; charset=base64")[1:] == ("utf-8", "detected")
    assert codec_name("rot13") is None and codec_name("GBK") == "gb18030" and codec_name(None) is None


def test_latin1_header_on_utf8_bytes_is_read_as_utf8():
    assert decode_body("<p>外交部 Français</p>".encode(), "text/html; charset=ISO-8859-1") == \
        ("<p>外交部 Français</p>", "utf-8", "detected")


def test_latin1_header_on_latin1_bytes_uses_windows_1252():
    assert decode_body("<p>Fran\xe7ais \x93quoted\x94</p>".encode("latin-1"), "text/html; charset=iso-8859-1") == \
        ("<p>Français “quoted”</p>", "cp1252", "header")


@pytest.mark.parametrize("bom, encoding", [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                                           (codecs.BOM_UTF16_BE, "utf-16-be")])
def test_bom_wins_over_header_and_is_stripped(bom, encoding):
    body = bom + "<p>外交部</p>".encode(encoding)
    assert decode_body(body, "text/html; charset=gbk") == ("<p>外交部</p>", encoding, "bom")


def test_empty_body_decodes_to_empty_text():
    assert decode_body(b"", None) == ("", "utf-8", "detected")


def test_media_type():
    assert media_type("Text/HTML; charset=gbk") == "text/html"
    assert media_type(None) == ""


@pytest.mark.parametrize("content_type, body", [
    ("text/html", b"<html></html>"),
    ("text/html; charset=utf-8", b""),
    ("application/xhtml+xml", b"<html/>"),
    ("application/rss+xml", b"<rss/>"),
    ("text/plain", "外交部".encode()),
    (None, b"<!doctype html><p>x</p>"),
    ("application/octet-stream", b"<html></html>"),
    ("text/html", codecs.BOM_UTF16_LE + "<p>x</p>".encode("utf-16-le")),
])
def test_is_probably_text_accepts_html_xml_and_text(content_type, body):
    assert is_probably_text(content_type, body)


@pytest.mark.parametrize("content_type, body", [
    ("application/pdf", b"%PDF-1.7\n..."),
    ("text/html", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3"),
    (None, b"\n%PDF-1.4"),
    ("application/octet-stream", b"\x00\x01\x02binary"),
    ("text/html", b"<html>\x00\x00</html>"),
    ("image/png", b"\x89PNG\r\n\x1a\n"),
    ("application/msword", b"plain-looking bytes"),
    ("application/zip", b"PK\x03\x04"),
])
def test_is_probably_text_rejects_pdf_and_binary(content_type, body):
    assert not is_probably_text(content_type, body)


# A page declared UTF-8 twice (header and <meta>) with a handful of legitimate non-ASCII characters.
DECLARED_UTF8 = ('<html><head><meta charset="utf-8"></head><body><p>“We welcome the café talks,” the '
                 "spokesperson said, naïvely or not.</p></body></html>").encode()


def test_a_declared_utf8_page_with_one_stray_byte_stays_utf8_with_that_byte_as_replacement():
    cut = DECLARED_UTF8.index(b"the spokesperson")
    d = decode(DECLARED_UTF8[:cut] + b"\xa0" + DECLARED_UTF8[cut:], "text/html; charset=utf-8")
    assert (d.encoding, d.source, d.replaced) == ("utf-8", "header", 1)
    assert "“We welcome the café talks,” \ufffdthe spokesperson said, naïvely" in d.text
    assert decode_body(DECLARED_UTF8[:cut] + b"\xa0" + DECLARED_UTF8[cut:], "text/html")[1:] == ("utf-8", "meta")


def test_a_declared_charset_that_decodes_all_but_a_few_bytes_wins_even_on_an_ascii_page():
    d = decode(b'<meta charset="utf-8"><p>Plain\xa0text, one stray byte.</p>', "text/html")
    assert (d.encoding, d.source, d.replaced) == ("utf-8", "meta", 1)
    assert d.text.count("\ufffd") == 1


def test_a_page_whose_non_ascii_bytes_all_fail_the_declared_charset_is_detected():
    body = ("<p>" + "Le ministère a publié un communiqué sur la sécurité. " * 4 + "</p>").encode("cp1252")
    d = decode(body, "text/html; charset=utf-8")
    assert d.source == "detected" and "ministère a publié" in d.text and d.replaced == 0


def test_every_undecodable_byte_is_counted_utf16_included():
    body = '<meta charset="utf-8"><p>café “We” naïve</p>'.encode().replace(b"We", b"\xe5\xa4 We \xff")
    assert decode(body, None).replaced == 3
    assert decode(codecs.BOM_UTF16_LE + "<p>x</p>".encode("utf-16-le") + b"\x00", None).replaced == 1
    assert decode("<p>外交部</p>".encode(), None).replaced == 0
