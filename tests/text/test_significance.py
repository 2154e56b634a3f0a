"""redline.text.significance: how much a change matters (high / medium / low), with reasons."""
from __future__ import annotations

import dataclasses
import json
import tomllib
from collections import Counter
from pathlib import Path

import pytest

from redline.text import lexicon
from redline.text.classify import words
from redline.text.significance import (DEFAULT_GRADES, GRADES, KINDS, MAX_REASONS, SPAN_CHARS, Reason,
                                       Significance, _lines, grade_change, parse_grade_table)

DATA = tomllib.loads((Path(__file__).resolve().parents[1] / "data" / "significance_cases.toml")
                     .read_text(encoding="utf-8"))
CASES = DATA["case"]
SEED = (Path(__file__).resolve().parents[2] / "seeds" / "000_f3c8cea24e4c5715.txt").read_text(encoding="utf-8")


def _grade(case: dict) -> Significance:
    return grade_change(case["before"], case["after"], language=case["language"], masks=case.get("masks", ()))


# --------------------------------------------------------------------------- the labelled set

@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_grade_change_reports_expected_reasons(case: dict) -> None:
    kinds = set(_grade(case).kinds)
    assert set(case["expect"]) <= kinds, f"missing {set(case['expect']) - kinds}"
    assert not kinds & set(case.get("forbid", ())), f"must not report {kinds & set(case['forbid'])}"
    if case.get("exact"):
        assert kinds == set(case["expect"])


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_grade_change_gives_expected_grade(case: dict) -> None:
    assert _grade(case).grade == case["grade"]


def test_labelled_set_is_well_formed() -> None:
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids)) >= 60
    for case in CASES:
        assert case["language"] in ("en", "zh")
        assert set(case["expect"]) | set(case.get("forbid", ())) <= set(KINDS), case["id"]
        assert case["grade"] in GRADES
        assert not set(case["expect"]) & set(case.get("forbid", ())), case["id"]


def test_labelled_set_covers_every_kind_three_times_in_both_languages() -> None:
    seen = Counter((c["language"], kind) for c in CASES for kind in c["expect"])
    thin = [(lang, kind, seen[lang, kind]) for lang in ("en", "zh") for kind in KINDS if seen[lang, kind] < 3]
    assert not thin


def test_labelled_set_has_the_must_not_grade_up_cases() -> None:
    ids = " ".join(c["id"] for c in CASES)
    for needle in ("masked date stamp", "notion -> notation", "cannot -> can not", "非洲", "spelling fix in the title"):
        assert needle in ids


# --------------------------------------------------------------------------- grades

def test_default_grades_cover_every_kind_with_a_known_grade() -> None:
    assert set(DEFAULT_GRADES) == set(KINDS)
    assert set(DEFAULT_GRADES.values()) <= set(GRADES)
    assert DEFAULT_GRADES["negation"] == "high" and DEFAULT_GRADES["number"] == "medium"
    assert DEFAULT_GRADES["spelling"] == "low"


def test_identical_texts_grade_low_without_reasons() -> None:
    assert grade_change(SEED, SEED) == Significance("low", ())


def test_whitespace_and_punctuation_only_give_no_reasons() -> None:
    before = "Title\nFirst point.\nSecond point, with \u201cquotes\u201d."
    after = "Title\nFirst point. Second point,  with \"quotes\""
    assert grade_change(before, after) == Significance("low", ())


def test_grade_is_the_highest_over_the_reasons() -> None:
    before = "Title\nChina will support the 3 proposals.\nSecond paragraph here."
    after = "Title\nChina will not support the 4 proposals.\nSecond paragraph here."
    result = grade_change(before, after)
    assert {"negation", "number"} <= set(result.kinds)
    assert result.grade == "high"


def test_grade_table_override_changes_grade() -> None:
    before, after = "Title\nHeld with 5 countries.", "Title\nHeld with 6 countries."
    assert grade_change(before, after).grade == "medium"
    assert grade_change(before, after, table={"number": "high"}).grade == "high"
    assert grade_change(before, after, table={"number": "low"}).grade == "low"


def test_grade_table_override_leaves_other_kinds_at_their_default() -> None:
    before, after = "Title\nChina will support it.", "Title\nChina will not support it."
    assert grade_change(before, after, table={"number": "low"}).grade == "high"
    assert grade_change(before, after, table={"negation": "medium"}).grade == "medium"


def test_unknown_kind_in_grade_table_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match="numbers"):
        grade_change("a", "b", table={"numbers": "high"})


def test_unknown_grade_in_grade_table_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match="urgent"):
        grade_change("a", "b", table={"number": "urgent"})


def test_parse_grade_table_accepts_kinds_and_grades() -> None:
    assert parse_grade_table({"number": "high", "wording": "low"}, where="sources.toml") == {
        "number": "high", "wording": "low"}
    assert parse_grade_table({}, where="sources.toml") == {}


def test_unknown_kind_in_grade_table_is_refused_naming_the_file() -> None:
    with pytest.raises(ValueError) as e:
        parse_grade_table({"numbr": "high"}, where="seeds/sources.toml")
    assert "seeds/sources.toml" in str(e.value) and "'numbr'" in str(e.value)


def test_bad_grade_in_grade_table_is_refused_naming_the_file_and_key() -> None:
    with pytest.raises(ValueError) as e:
        parse_grade_table({"date": "critical"}, where="alerts.toml")
    message = str(e.value)
    assert "alerts.toml" in message and "date" in message and "'critical'" in message


def test_grade_table_that_is_not_a_table_is_refused_naming_the_file() -> None:
    with pytest.raises(ValueError, match="x.toml"):
        parse_grade_table(["number"], where="x.toml")


# --------------------------------------------------------------------------- reasons

def test_to_json_gives_grade_and_reasons() -> None:
    result = grade_change("Title\nWe will support it.", "Title\nWe will not support it.")
    data = json.loads(json.dumps(result.to_json()))
    assert data == {"grade": "high", "reasons": [
        {"kind": "negation", "before": "will support", "after": "will not support", "paragraph": 2}]}


def test_reason_and_significance_are_frozen() -> None:
    result = grade_change("Title\nOne.", "Title\nTwo, new.")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.grade = "low"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.reasons[0].kind = "x"  # type: ignore[misc]


def test_paragraph_is_the_line_in_after_and_in_before_for_removals() -> None:
    before = "Title\n\nKept paragraph one.\n\nRemoved paragraph here.\n\nChanged leading role."
    after = "Title\n\nKept paragraph one.\n\nChanged central role.\n\nAn added paragraph at the end."
    reasons = {r.kind: r for r in grade_change(before, after).reasons}
    assert reasons["paragraph_removed"].paragraph == 5            # line 5 of before
    assert reasons["wording"].paragraph == 5                      # line 5 of after
    assert reasons["paragraph_added"].paragraph == 7
    assert (reasons["wording"].before, reasons["wording"].after) == ("leading", "central")


def test_reasons_give_the_short_changed_span_not_the_paragraph() -> None:
    paragraphs = SEED.splitlines()
    line = next(i for i, p in enumerate(paragraphs) if "leading role" in p)
    edited = paragraphs[:line] + [paragraphs[line].replace("leading role", "central role")] + paragraphs[line + 1:]
    result = grade_change(SEED, "\n".join(edited))
    assert [(r.kind, r.before, r.after, r.paragraph) for r in result.reasons] == [
        ("wording", "leading", "central", line + 1)]


def test_long_spans_are_cut() -> None:
    before = "Title\nIntro. " + " ".join(f"alpha{i}" for i in range(60))
    after = "Title\nIntro. " + " ".join(f"beta{i}" for i in range(60))
    for reason in grade_change(before, after).reasons:
        assert len(reason.before) <= SPAN_CHARS + 1 and len(reason.after) <= SPAN_CHARS + 1


def test_reasons_are_capped_keeping_the_highest_graded() -> None:
    before = "\n".join(["Title"] + [f"Paragraph {i} keeps a leading role in the talks." for i in range(30)]
                       + ["China will support the plan in full."])
    after = "\n".join(["Title"] + [f"Paragraph {i} keeps a central role in the talks." for i in range(30)]
                      + ["China will not support the plan in full."])
    result = grade_change(before, after)
    assert len(result.reasons) == MAX_REASONS
    assert result.grade == "high" and "negation" in result.kinds
    assert [r.paragraph for r in result.reasons] == sorted(r.paragraph for r in result.reasons)


def test_reasons_are_not_repeated() -> None:
    before = "Title\nWe will act.\nWe will act."
    after = "Title\nWe will not act.\nWe will not act."
    reasons = grade_change(before, after).reasons
    assert len(reasons) == len(set(reasons)) == 2 and {r.paragraph for r in reasons} == {2, 3}


def test_joined_paragraphs_are_no_change() -> None:
    assert grade_change("Title\nFirst point.\nSecond point.", "Title\nFirst point. Second point.").reasons == ()


def test_rewritten_paragraph_is_removed_and_added() -> None:
    before = "Title\nKept.\nThe Dialogue discussed capacity building in the region at length.\nEnd."
    after = "Title\nKept.\nParticipants toured a technology park before lunch on Friday.\nEnd."
    assert set(grade_change(before, after).kinds) == {"paragraph_removed", "paragraph_added"}


def test_text_without_title_is_all_added() -> None:
    result = grade_change("", "Title\nFirst paragraph.")
    assert result.kinds == ("paragraph_added",)


# --------------------------------------------------------------------------- masks

def test_bad_mask_is_refused() -> None:
    with pytest.raises(ValueError, match="mask"):
        grade_change("a", "b", masks=["(unclosed"])


def test_masked_counter_is_no_number_change() -> None:
    before, after = "Title\nVisits: 1,204\nThe text.", "Title\nVisits: 48,213\nThe text."
    assert "number" in grade_change(before, after).kinds
    assert grade_change(before, after, masks=[r"Visits: [\d,]+"]) == Significance("low", ())


# --------------------------------------------------------------------------- pieces

def test_lines_cut_words_as_classify_does() -> None:
    for line in SEED.splitlines() + ["中国，美国 和 东盟 2020年12月16日", "China\u2019s \u201cposition\u201d 1.5"]:
        cut = _lines(line)
        assert [w for item in cut for w in item.words] == words(line)
        for item in cut:
            assert [item.text[s:e] for s, e in item.spans] == list(item.words)


def test_chinese_negators_skip_compounds() -> None:
    assert lexicon.zh_negators("非洲国家不断发展，无论如何，未来可期") == Counter()
    assert lexicon.zh_negators("并非如此，没有进展，不支持") == Counter({"并非": 1, "没有": 1, "不": 1})


def test_english_negators_are_whole_words() -> None:
    assert lexicon.negations("the notion of a note on the economy known to nobody".split(), "") == 1
    assert lexicon.negations(["cannot"], "") == lexicon.negations(["can", "not"], "") == 1
    assert lexicon.negations(["don", "t"], "") == 1


def test_gazetteer_names_by_canonical_name() -> None:
    assert lexicon.entities("the US and the United States of America") == Counter({"United States": 2})
    assert lexicon.entities("中方和中国同联合国") == Counter({"China": 2, "United Nations": 1})
    assert lexicon.entities("坚持一个中国原则") == Counter()


def test_reason_json_round_trip_fields() -> None:
    reason = Reason("date", "7", "8", 3)
    assert reason.to_json() == {"kind": "date", "before": "7", "after": "8", "paragraph": 3}
