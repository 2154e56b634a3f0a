"""redline.text.classify: none / trivial / substantive, with reasons."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from redline.text.classify import classify, compile_masks, words

SEED = (Path(__file__).resolve().parents[2] / "seeds" / "000_f3c8cea24e4c5715.txt").read_text(encoding="utf-8")
DATE_MASK = r"Updated \d{4}-\d{2}-\d{2} \d{2}:\d{2}"
COUNTER_MASK = r"(?:Visits|访问量)[:：]\s*\d[\d,]*"

# (id, old, new, masks, kind, reasons)
CASES = [
    ("identical", "A statement.", "A statement.", (), "none", ()),
    ("spaces", "We  support the\tinitiative. ", "We support the initiative.", (), "trivial", ("only whitespace",)),
    ("line breaks: paragraphs joined", "First point.\nSecond point.", "First point. Second point.", (),
     "trivial", ("only whitespace",)),
    ("line breaks: paragraph split", "First point. Second point.", "First point.\n\nSecond point.", (),
     "trivial", ("only whitespace",)),
    ("spaces between chinese characters", "中国 政府 的 立场", "中国政府的立场", (), "trivial", ("only whitespace",)),
    ("nbsp", "7th\u00a0December 2020", "7th December 2020", (), "trivial", ("only whitespace",)),
    ("punctuation dropped", "First, we agree; second, we act.", "First we agree; second we act", (),
     "trivial", ("only punctuation/typography",)),
    ("curly quotes", "China\u2019s \u201cposition\u201d", "China's \"position\"", (),
     "trivial", ("only punctuation/typography",)),
    ("dashes", "cyber\u2010security \u2014 a shared task", "cyber-security - a shared task", (),
     "trivial", ("only punctuation/typography",)),
    ("ellipsis", "and so on\u2026", "and so on...", (), "trivial", ("only punctuation/typography",)),
    ("full-width comma", "中国，美国", "中国,美国", (), "trivial", ("only punctuation/typography",)),
    ("full-width digits and colon", "２０２０年１２月１６日 22：36", "2020年12月16日 22:36", (),
     "trivial", ("only punctuation/typography",)),
    ("punctuation and a space", "中国，美国", "中国, 美国", (), "trivial", ("whitespace", "punctuation/typography")),
    ("date stamp masked", "Updated 2020-12-16 22:36\nThe text.", "Updated 2026-11-22 09:41\nThe text.", (DATE_MASK,),
     "trivial", (f"only inside masks: {DATE_MASK}",)),
    ("counter masked", "Visits: 1,204\nThe text.", "Visits: 48,213\nThe text.", (COUNTER_MASK,),
     "trivial", (f"only inside masks: {COUNTER_MASK}",)),
    ("chinese counter masked", "访问量：12\n正文。", "访问量：13\n正文。", (DATE_MASK, COUNTER_MASK),
     "trivial", (f"only inside masks: {COUNTER_MASK}",)),
    ("mask and whitespace", "Visits: 1\nThe  text.", "Visits: 2\nThe text.", (COUNTER_MASK,),
     "trivial", (f"inside masks: {COUNTER_MASK}", "whitespace")),
    ("mask hides no word next to it", "Updated 2020-12-16 22:36 leading role", "Updated 2020-12-17 10:00 central role",
     (DATE_MASK,), "substantive", ("wording",)),
    ("unmasked date change", "Updated 2020-12-16 22:36\nThe text.", "Updated 2026-11-22 09:41\nThe text.", (),
     "substantive", ("numbers",)),
    ("leading role -> central role", "should play a leading role", "should play a central role", (),
     "substantive", ("wording",)),
    ("one chinese character", "中国政府的立场是明确的。", "中国政府的立场是坚定的。", (), "substantive", ("wording",)),
    ("a chinese character in a word", "联合国应发挥核心作用", "联合国应发挥重要作用", (), "substantive", ("wording",)),
    ("number", "held on 7 December 2020", "held on 8 December 2020", (), "substantive", ("numbers",)),
    ("decimal point", "grew 1.5 percent", "grew 15 percent", (), "substantive", ("numbers",)),
    ("letter case", "the Party and the state", "the party and the state", (), "substantive", ("letter case",)),
    ("paragraph added", "One.\nTwo.", "One.\nTwo.\nThree, new.", (), "substantive", ("paragraph added",)),
    ("paragraph removed", "One.\nTwo.\nThree.", "One.\nThree.", (), "substantive", ("paragraph removed",)),
    ("paragraph added, and wording", "One.\nTwo.\nThree.", "One.\nTwo, new.\nThree.\nFour.", (),
     "substantive", ("paragraph added", "wording")),
    ("word and number", "a 5 year plan in one place", "a 6 year plan in another place", (),
     "substantive", ("wording", "numbers")),
    ("word dropped", "We firmly oppose it.", "We oppose it.", (), "substantive", ("wording",)),
    ("apostrophe is not a word boundary change", "China's", "Chinas", (), "substantive", ("wording",)),
]


@pytest.mark.parametrize("old,new,masks,kind,reasons", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_classify_table(old: str, new: str, masks: tuple[str, ...], kind: str, reasons: tuple[str, ...]) -> None:
    got = classify(old, new, masks=masks)
    assert (got.kind, got.reasons) == (kind, reasons)


def test_seed_statement_edits() -> None:
    assert classify(SEED, SEED).kind == "none"
    retyped = SEED.replace("'", "\u2019").replace(", ", " , ").replace("\n", "\n\n")
    assert classify(SEED, retyped).kind == "trivial"
    assert classify(SEED, SEED.replace("Philippines", "Vietnam")).reasons == ("wording",)
    assert classify(SEED, SEED.replace("December 2020", "December 2021")).reasons == ("numbers",)
    assert classify(SEED, SEED.replace("2020", "2021")).reasons == ("wording", "numbers")  # also "t20201216"
    assert classify(SEED, SEED + "\nA closing paragraph.").reasons == ("paragraph added",)


def test_compile_masks() -> None:
    assert [p.pattern for p in compile_masks([DATE_MASK, COUNTER_MASK])] == [DATE_MASK, COUNTER_MASK]
    with pytest.raises(ValueError, match=re.escape(repr(r"Visits: (\d+"))):
        compile_masks([DATE_MASK, r"Visits: (\d+"])
    with pytest.raises(ValueError, match="Visits"):
        classify("a", "b", masks=[r"Visits: (\d+"])


def test_masks_matching_empty_text_are_harmless() -> None:
    assert classify("Visits 12 text", "Visits 13 text", masks=[r"\d*"]).kind == "trivial"
    assert classify("a leading role", "a central role", masks=[r"\d*"]).kind == "substantive"


def test_words() -> None:
    assert words("China’s “role”, 1,000.5 — 中国，IBM") == ["China", "s", "role", "1,000.5", "中", "国", "IBM"]
