"""Watched formulations (issue 16, part 2): the watch list is checked strictly, and a text holds an
entry by its phrase, a variant or its regex; English by words in any case and spacing, Chinese as written."""
from __future__ import annotations

from pathlib import Path

import pytest

from redline.text.formulations import Watch, changes, find, holds, parse_watch_list
from redline.text.significance import grade_change

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def watch(phrase: str, **kw) -> Watch:
    return parse_watch_list([{"phrase": phrase, **kw}], where="w.toml")[0]


def texts(w: Watch, text: str) -> list[str]:
    return [f.text for f in find(w, text)]


# --------------------------------------------------------------------------- matching

def test_english_matches_in_any_case_and_spacing_and_reports_the_words_as_written() -> None:
    w = watch("cyber sovereignty")
    assert texts(w, "We respect Cyber  Sovereignty and\u00a0cyber\tsovereignty.") == ["Cyber  Sovereignty"]
    assert [f.line for f in find(w, "Title\n\nWe uphold cyber sovereignty.\nAgain CYBER SOVEREIGNTY")] == [3, 4]


def test_english_matches_whole_words_only() -> None:
    assert texts(watch("cyber sovereignty"), "hypercyber sovereignty; cyber sovereigntyism") == []
    assert texts(watch("the UN should play a leading role"), "the UNESCO should play a leading role") == []
    assert texts(watch("cyber sovereignty"), "cyber sovereignty's limits") == ["cyber sovereignty"]


def test_a_phrase_never_spans_two_paragraphs() -> None:
    assert texts(watch("cyber sovereignty"), "they spoke of cyber\nsovereignty") == []


def test_a_variant_counts_as_the_phrase_and_the_longest_match_is_reported() -> None:
    w = watch("a community with a shared future in cyberspace",
              variants=["community of shared future in cyberspace", "community of shared future in cyber space"])
    assert texts(w, "build a Community of Shared Future in cyber space;") == ["Community of Shared Future in cyber space"]
    assert texts(w, "build a community with a shared future in cyberspace") == [
        "a community with a shared future in cyberspace"]
    assert texts(w, "a community of shared destiny") == []


def test_a_regex_counts_case_insensitively_for_english() -> None:
    w = watch("the UN should play a leading role",
              regex=r"the (?:United Nations|UN)(?: \(UN\))? should play a leading role")
    line = "We underlined that The United Nations (UN) should play a leading role in developing norms"
    assert texts(w, line) == ["The United Nations (UN) should play a leading role"]
    assert texts(w, "the United Nations should play a central role") == []


def test_chinese_matches_exactly_as_written_inside_longer_words() -> None:
    w = watch("网络主权")
    assert w.language == "zh"
    assert texts(w, "各方应尊重网络主权。") == ["网络主权"]
    assert texts(w, "各方应尊重网络 主权。") == [] and texts(w, "网络空间主权") == []
    community = watch("网络空间命运共同体", variants=["构建网络空间命运共同体"])
    assert texts(community, "携手构建网络空间命运共同体") == ["构建网络空间命运共同体"]
    assert texts(community, "推动网络空间命运共同体建设") == ["网络空间命运共同体"]
    assert texts(community, "人类命运共同体") == []


def test_changes_name_a_dropped_and_an_added_phrase_with_their_lines() -> None:
    sovereignty, community = watch("cyber sovereignty"), watch("网络空间命运共同体")
    before = "Title\nWe respect cyber sovereignty.\n共同构建和平的网络空间"
    after = "Title\nWe respect sovereignty.\n共同构建网络空间命运共同体"
    [(w1, was, now), (w2, was2, now2)] = changes(before, after, [sovereignty, community])
    assert (w1, was.text, was.line, now) == (sovereignty, "cyber sovereignty", 2, None)
    assert (w2, was2, now2.text, now2.line) == (community, None, "网络空间命运共同体", 3)
    assert changes(before, before.replace("We respect", "All respect"), [sovereignty, community]) == []


# --------------------------------------------------------------------------- the formulation reason

def test_dropping_a_watched_phrase_is_a_high_formulation_reason_on_the_change() -> None:
    w = watch("cyber sovereignty")
    before = "Statement\nAll States respect cyber sovereignty in their policies.\nThey met."
    sig = grade_change(before, before.replace("cyber sovereignty", "sovereignty"), watch=[w])
    assert sig.grade == "high"
    assert sig.reasons[0].to_json() == {"kind": "formulation", "before": "cyber sovereignty", "after": "",
                                        "paragraph": 2, "phrase": "cyber sovereignty"}
    plain = grade_change(before, before.replace("cyber sovereignty", "sovereignty"))
    assert "phrase" not in str([r.to_json() for r in plain.reasons])


def test_adding_a_watched_chinese_phrase_is_a_formulation_reason_at_its_paragraph() -> None:
    w = watch("网络主权")
    before = "声明\n各方同意加强合作。\n会议在北京举行。"
    after = "声明\n各方同意加强合作。\n会议在北京举行，各方尊重网络主权。"
    [reason] = [r for r in grade_change(before, after, language="zh", watch=[w]).reasons if r.phrase]
    assert (reason.kind, reason.before, reason.after, reason.paragraph) == ("formulation", "", "网络主权", 3)


def test_a_watched_phrase_that_stays_raises_no_formulation_reason() -> None:
    w = watch("cyber sovereignty")
    before = "Statement\nWe respect cyber sovereignty.\nThe parties met in Beijing."
    sig = grade_change(before, before.replace("Beijing", "Geneva"), watch=[w])
    assert not [r for r in sig.reasons if r.phrase] and sig.grade == "high"   # entity, not formulation
    assert [r.kind for r in sig.reasons] == ["entity"]


def test_the_grade_table_applies_to_a_formulation_reason() -> None:
    w = watch("multilateral, democratic and transparent")
    before = "Statement\nA multilateral, democratic and transparent system.\nMore."
    after = "Statement\nA multilateral, democratic and open system.\nMore."
    assert grade_change(before, after, watch=[w], table={"formulation": "low", "wording": "low"}).grade == "low"
    assert grade_change(before, after, watch=[w]).grade == "high"


# --------------------------------------------------------------------------- the list itself

@pytest.mark.parametrize("entry, said", [
    ({"phrase": "cyber sovereignty", "varaints": ["x"]}, "unknown key 'varaints'"),
    ({"phrase": "cyber sovereignty", "regex": "the (UN"}, "not a valid regular expression"),
    ({"phrase": "cyber sovereignty", "regex": "x*"}, "matches the empty text"),
    ({"phrase": "cyber sovereignty", "language": "fr"}, "language 'fr'"),
    ({"phrase": "cyber sovereignty", "variants": "one"}, "variants must be a list"),
    ({"phrase": "cyber sovereignty", "tags": [1]}, "tags must be a list"),
    ({"variants": ["x"]}, "needs a phrase"),
])
def test_a_bad_watch_entry_is_refused_in_one_line_naming_the_file_and_entry(entry, said) -> None:
    with pytest.raises(ValueError) as bad:
        parse_watch_list([{"phrase": "网络主权"}, entry], where="/etc/redline.toml")
    message = str(bad.value)
    assert message.startswith("/etc/redline.toml: [[watch]] entry 2") and said in message and "\n" not in message


def test_the_same_phrase_twice_is_refused() -> None:
    with pytest.raises(ValueError, match=r"entry 2 \('Cyber  sovereignty'\): the same phrase as entry 1"):
        parse_watch_list([{"phrase": "cyber sovereignty"}, {"phrase": "Cyber  sovereignty"}], where="w.toml")


def test_the_seed_watch_list_finds_its_formulations_in_the_seed_statements() -> None:
    from redline.registry.watch import read_watch_file

    seed = read_watch_file(SEEDS / "watch.toml")
    phrases = {w.phrase for w in seed}
    assert {"a community with a shared future in cyberspace", "cyber sovereignty", "网络主权", "网络空间命运共同体",
            "the UN should play a leading role"} <= phrases
    held = {p.name[:3]: {w.phrase for w, _ in holds(seed, p.read_text(encoding="utf-8"))}
            for p in sorted(SEEDS.glob("*.txt"))}
    assert "the UN should play a leading role" in held["000"]        # by its regex: "the United Nations (UN) ..."
    assert "a community with a shared future in cyberspace" in held["001"] & held["002"] & held["003"]   # variants
    assert not held["004"] & {"cyber sovereignty", "the UN should play a leading role"}
