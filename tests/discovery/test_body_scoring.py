"""Reading an inconclusive title's opening paragraphs: the pure scoring, and what it gains on a
labelled set of real listing items (tests/data/discovery_items.toml)."""
from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest

from redline.discovery.bodyscore import combined_score, inconclusive, opening_paragraphs, score_item
from redline.discovery.listing import parse_listing
from redline.discovery.topic import BodyReading, default_topic, parse_topic
from redline.core.errors import ConfigError
from redline.registry.load import load_registry
from redline.text.normalize import clean_text, normalize

ROOT = Path(__file__).resolve().parents[2]
ITEMS = tomllib.loads((ROOT / "tests/data/discovery_items.toml").read_text(encoding="utf-8"))["item"]
LISTING_URLS = {  # the saved listing pages' addresses (tests/fixtures/mfa/PROVENANCE.md)
    "cw_en_listing_2511_665403_default.shtml.html":
        "https://www.fmprc.gov.cn/mfa_eng/xwfw_665399/s2510_665401/2511_665403/default.shtml",
    "cw_en_listing_2511_665403_default_1.shtml.html":
        "https://www.fmprc.gov.cn/mfa_eng/xwfw_665399/s2510_665401/2511_665403/default_1.shtml",
    "cw_zh_listing_fyrbt_674889_default.shtml.html":
        "https://www.fmprc.gov.cn/web/wjdt_674879/fyrbt_674889/default.shtml",
}


def page_text(item: dict) -> str | None:
    """The item's real text (its saved page, normalized), None for a title-only item."""
    if "page" not in item:
        return None
    raw = (ROOT / item["page"]).read_text(encoding="utf-8")
    return clean_text(raw) if item["page"].endswith(".txt") else normalize(raw).text


# -- the labelled set is real -------------------------------------------------------------------


def test_every_labelled_item_is_a_real_listed_title_or_a_saved_page() -> None:
    seeds = {s.url: s.title for s in load_registry(ROOT / "seeds/sources.toml").statements()}
    listed = {name: {(i.title, i.url) for i in parse_listing((ROOT / "tests/fixtures/mfa" / name)
                                                              .read_text(encoding="utf-8"), url).items}
              for name, url in LISTING_URLS.items()}
    for item in ITEMS:
        assert item["why"] and item["basis"] in ("page", "title") and isinstance(item["related"], bool), item
        if "listing" in item:
            assert (item["title"], item["url"]) in listed[Path(item["listing"]).name], item["title"]
        elif item["page"].startswith("seeds/"):
            assert seeds[item["url"]] == item["title"]
        else:
            assert page_text(item).splitlines()[0] == item["title"]
        assert (item["basis"] == "page") == ("page" in item)
    bodies = [i for i in ITEMS if "page" in i]
    assert len(bodies) >= 10 and any(i["related"] for i in bodies) and any(not i["related"] for i in bodies)
    assert any("\u4e00" <= c <= "\u9fff" for i in bodies for c in i["title"])  # Chinese bodies too


# -- precision and recall, title-only against title + opening paragraphs ------------------------


def precision_recall(topic, *, read_bodies: bool) -> tuple[float, float]:
    tp = fp = fn = 0
    for item in ITEMS:
        text = page_text(item) if read_bodies else None
        paragraphs = None if text is None else opening_paragraphs(text, title=item["title"],
                                                                   count=topic.body.paragraphs)
        predicted = score_item(item["title"], paragraphs, topic).related
        tp += predicted and item["related"]
        fp += predicted and not item["related"]
        fn += not predicted and item["related"]
    return (tp / (tp + fp) if tp + fp else 1.0), tp / (tp + fn)


def with_body(**changes: float) -> object:
    topic = default_topic()
    return dataclasses.replace(topic, body=dataclasses.replace(topic.body, **changes))


@pytest.mark.parametrize("margin", [1.0, 2.0], ids=["default-margin", "margin-reaching-0"])
@pytest.mark.parametrize("paragraphs", [1, 2, 3, 5])
@pytest.mark.parametrize("weight", [0.5, 1.0])
def test_reading_the_opening_paragraphs_never_worsens_precision_or_recall(margin, paragraphs, weight) -> None:
    topic = with_body(margin=margin, paragraphs=paragraphs, weight=weight)
    title_p, title_r = precision_recall(topic, read_bodies=False)
    body_p, body_r = precision_recall(topic, read_bodies=True)
    assert body_p >= title_p and body_r >= title_r, (f"margin {margin:g}, {paragraphs} paragraphs, weight {weight:g}: "
                                                     f"title-only P {title_p:.2f} R {title_r:.2f}; with body "
                                                     f"P {body_p:.2f} R {body_r:.2f}")


def test_reading_every_title_below_the_threshold_finds_the_press_conferences_titles_miss() -> None:
    """Press conference titles never name their topics: with a margin reaching a score of 0, the
    cyber press conferences (EN and ZH) are found, and the others stay unrelated."""
    topic = with_body(margin=default_topic().threshold)
    title_p, title_r = precision_recall(topic, read_bodies=False)
    body_p, body_r = precision_recall(topic, read_bodies=True)
    assert body_r > title_r and body_p >= title_p


# -- the pure pieces -----------------------------------------------------------------------------


def test_a_title_is_inconclusive_only_within_the_margin_and_where_reading_could_change_it() -> None:
    topic = default_topic()  # threshold 2, margin 1, no negative terms
    assert inconclusive(topic.score("Remarks on the Internet"), topic)           # 1: one weak term
    assert not inconclusive(topic.score("Wang Yi Meets the Foreign Minister"), topic)  # 0: 2 below
    assert not inconclusive(topic.score("Statement on Cyber Security"), topic)  # related; nothing can pull it under
    negative = parse_topic('[terms]\n"press conference" = -1\n')
    assert inconclusive(negative.score("Statement on Cyber Security"), negative)  # 3 ≤ 2 + 1, a negative term exists
    assert not inconclusive(topic.score("Remarks on the Internet"), with_body(max_reads=0))


def test_the_combined_score_adds_the_opening_paragraphs_and_says_both_parts() -> None:
    topic = default_topic()
    title = topic.score("Remarks on the Internet")
    lifted = combined_score(title, ["The parties discussed cyber security.", "And data flows."], topic)
    assert lifted.related and lifted.score == title.score + 3 + 3
    assert lifted.reason.startswith("title 1 (near 2) + opening paragraphs 6 = 7 ≥ 2 → related")
    assert '"cyber security" (+3)' in lifted.reason and "internet" in lifted.terms
    halved = combined_score(title, ["Technology cooperation."], with_body(weight=0.5))
    assert not halved.related and halved.reason.startswith("title 1 (near 2) + opening paragraphs 1 × 0.5 = 1.5 < 2")


def test_no_term_spans_two_paragraphs() -> None:
    topic = default_topic()
    split = combined_score(topic.score("Remarks on the Internet"), ["We protect data", "security is key"], topic)
    assert "data security" not in split.terms
    zh = combined_score(topic.score("关于互联网的讲话"), ["加强网络", "安全合作"], topic)
    assert "网络安全" not in zh.terms


def test_opening_paragraphs_skip_the_title_and_date_lines_and_keep_paragraphs_whole() -> None:
    text = "Title\n2026-11-21 10:00\n" + "A" * 500 + "\nSecond.\nThird.\nFourth."
    assert opening_paragraphs(text, title="Title", count=3) == ["A" * 500, "Second.", "Third."]


def test_the_topic_files_body_table_is_read_and_checked() -> None:
    topic = parse_topic("[body]\nmargin = 2\nmax_reads = 5\nparagraphs = 4\nweight = 0.5\n", path="t.toml")
    assert topic.body == BodyReading(margin=2.0, max_reads=5, paragraphs=4, weight=0.5)
    assert default_topic().body == BodyReading()
    for bad, problem in [("[body]\nmax_reads = 1.5\n", "body.max_reads = 1.5 must be a whole number"),
                         ("[body]\nmargin = -1\n", "body.margin = -1"), ("[body]\nlimit = 3\n", "unknown key body.limit"),
                         ("body = 3\n", '"body" must be a table')]:
        with pytest.raises(ConfigError) as err:
            parse_topic(bad, path="/etc/topic.toml")
        assert str(err.value).startswith("/etc/topic.toml: ") and problem in str(err.value), str(err.value)
