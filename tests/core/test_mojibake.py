"""Mojibake is repaired before comparing, never read as a rewrite (issue 17, item 9)."""
from __future__ import annotations

from pathlib import Path

import ftfy.bad_codecs  # noqa: F401  (registers sloppy-windows-1252: how Windows software really mis-reads bytes)
import pytest

from redline.core.mojibake import repair_mojibake, without_mojibake
from redline.ingest.charset import decode
from redline.text.classify import classify

TESTS = Path(__file__).resolve().parents[1]

CLEAN = ("China’s “community with a shared future in cyberspace” — Español, café, naïve façade.\n"
         "中方愿同各方一道，构建网络空间命运共同体。\n"
         "Ambassador Zhang Jun: “We stand ready to work with all parties…”")


def double_encoded(text: str, read_as: str) -> str:
    """UTF-8 bytes decoded upstream as `read_as`: what a page with mojibake holds."""
    return text.encode("utf-8").decode(read_as)


@pytest.mark.parametrize("read_as", ["latin-1", "sloppy-windows-1252"])
def test_utf8_read_as_latin1_or_cp1252_is_repaired_to_the_original_text(read_as) -> None:
    broken = double_encoded(CLEAN, read_as)
    assert broken != CLEAN and "Ã" in broken
    repair = repair_mojibake(broken)
    assert repair is not None and repair.text == CLEAN
    assert repair.lines == 3 and "utf-8 read as" in repair.note()


def test_a_page_broken_in_some_lines_is_repaired_only_there() -> None:
    lines = CLEAN.split("\n")
    mixed = "\n".join([double_encoded(lines[0], "latin-1"), lines[1], lines[2]])
    repair = repair_mojibake(mixed)
    assert repair is not None and repair.text == CLEAN and repair.lines == 1


@pytest.mark.parametrize("text", [
    CLEAN, "São Paulo, à la carte, Ångström, Øresund, Ça va", "café» «ok» 50° ½", "naïve — “quoted” …",
    "Привет, мир", "مرحبا", "中华人民共和国外交部发言人", "Ü€ and ©2024 ®",
])
def test_correct_text_in_any_language_is_left_alone(text) -> None:
    assert repair_mojibake(text) is None and without_mojibake(text) == text


def test_no_page_of_the_fixtures_or_golden_files_is_touched() -> None:
    pages = [p for p in (TESTS / "fixtures").rglob("*") if p.suffix in (".html", ".htm", ".txt") and p.is_file()]
    pages += list((TESTS / "golden").glob("*.txt"))
    assert len(pages) >= 20
    touched = [p.name for p in pages if repair_mojibake(p.read_text(encoding="utf-8", errors="replace"))]
    assert touched == []


def test_a_page_served_as_utf8_with_mojibake_in_its_bytes_decodes_repaired_and_says_so() -> None:
    html = f"<html><head><meta charset='utf-8'></head><body><p>{CLEAN}</p></body></html>"
    body = double_encoded(html, "sloppy-windows-1252").encode("utf-8")
    decoded = decode(body, "text/html; charset=utf-8")
    assert decoded.text == html and decoded.encoding == "utf-8"
    assert decoded.repaired and "mojibake repaired" in decoded.repaired
    assert decode(html.encode("utf-8"), "text/html").repaired is None


def test_an_old_version_kept_with_its_mojibake_against_the_repaired_text_is_trivial() -> None:
    verdict = classify(double_encoded(CLEAN, "latin-1"), CLEAN)
    assert verdict.kind == "trivial" and verdict.reasons == ("only encoding (mojibake repaired)",)


def test_a_real_word_change_next_to_mojibake_is_still_substantive() -> None:
    edited = CLEAN.replace("stand ready to", "will")
    verdict = classify(double_encoded(CLEAN, "latin-1"), edited)
    assert verdict.kind == "substantive"
