"""redline.text.diff: token diffs (words; CJK characters), hunks, stats, renderings, the two engines."""
from __future__ import annotations

import random
import re
import tomllib
from pathlib import Path

import pytest

from redline.text.diff import DELETE, EQUAL, INSERT, DiffStats, TextDiff, count_words, diff_texts, diff_tokens, tokenize
from redline.text.render import render_html, render_terminal, render_text, render_unified

PROJECT = Path(__file__).resolve().parents[2]
DATA = tomllib.loads((Path(__file__).resolve().parents[1] / "data" / "diff_cases.toml").read_text(encoding="utf-8"))
CASES = DATA["case"]
ZH_PARAGRAPHS: list[str] = DATA["corpus"]["zh"]
SEED_TEXTS = [p.read_text(encoding="utf-8") for p in sorted((PROJECT / "seeds").glob("*.txt"))]
EN_PARAGRAPHS = [p for text in SEED_TEXTS for p in text.splitlines() if p.strip()]
ENGINES = ("fast", "python")


# --------------------------------------------------------------------------- corpus helpers

def build_text(paragraphs: list[str], size: int, rng: random.Random, *, zh: bool = False) -> str:
    """About `size` characters of statement-like text: paragraphs (zh: sentences regrouped) in random order."""
    if zh:
        sentences = [s for p in paragraphs for s in re.findall(r"[^。]+。", p)]
        paragraphs = ["".join(rng.sample(sentences, 3)) for _ in range(200)]
    out, n = [], 0
    while n < size:
        p = rng.choice(paragraphs)
        out.append(p)
        n += len(p) + 1
    return "\n".join(out)


def edit_words(text: str, n: int, rng: random.Random, *, zh: bool = False) -> str:
    """Replace n randomly chosen words (zh: Han characters) with words not in the text."""
    spots = list(re.finditer(r"[\u4e00-\u9fff]" if zh else r"[A-Za-z]{4,}", text))
    parts, last = [], 0
    for i, k in enumerate(sorted(rng.sample(range(len(spots)), n))):
        m = spots[k]
        parts += [text[last:m.start()], chr(0x3400 + i) if zh else f"zq{i}x"]
        last = m.end()
    return "".join(parts + [text[last:]])


def mixed_edits(text: str, rng: random.Random, n: int = 12) -> str:
    """Deletions, insertions, replacements and punctuation changes at random token positions."""
    tokens = tokenize(text)
    for _ in range(n):
        i = rng.randrange(len(tokens))
        kind = rng.choice(("delete", "insert", "replace", "punct", "swap"))
        if kind == "delete":
            del tokens[i]
        elif kind == "insert":
            tokens.insert(i, rng.choice((" firmly", "坚决", " not", "\n新的段落。\n", " (sic)")))
        elif kind == "replace":
            tokens[i] = rng.choice(("central", "合作", "2021", "the", "网络"))
        elif kind == "punct":
            tokens[i] = rng.choice((",", "，", ";", "。", "—"))
        else:
            j = rng.randrange(len(tokens))
            tokens[i], tokens[j] = tokens[j], tokens[i]
    return "".join(tokens)


def corpus_pairs() -> list[tuple[str, str]]:
    rng = random.Random(20240611)
    zh = "\n".join(ZH_PARAGRAPHS)
    pairs = []
    for text in [*SEED_TEXTS, zh, build_text(ZH_PARAGRAPHS, 6000, rng, zh=True)]:
        for _ in range(4):
            pairs.append((text, mixed_edits(text, rng)))
    return pairs


def sides(d: TextDiff) -> tuple[str, str]:
    return d.old_text(), d.new_text()


# --------------------------------------------------------------------------- the table of cases

@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case_table(case: dict) -> None:
    d = diff_texts(case["a"], case["b"], context=case.get("context", 60))
    assert render_text(d) == case["text"]
    assert sides(d) == (case["a"], case["b"])
    for key in ("hunks", "inserted_words", "deleted_words"):
        if key in case:
            assert getattr(d.stats, key) == case[key], key


# --------------------------------------------------------------------------- tokens and stats

def test_tokenize_words_cjk_spaces_punctuation() -> None:
    assert tokenize("It's 7th  Dec.\n中国IBM，好") == [
        "It", "'", "s", " ", "7th", "  ", "Dec", ".", "\n", "中", "国", "IBM", "，", "好"]
    for text in SEED_TEXTS + ZH_PARAGRAPHS:
        assert "".join(tokenize(text)) == text


def test_count_words_counts_each_cjk_character() -> None:
    assert count_words("the leading role") == 3
    assert count_words("中国政府，IBM 2018年") == 7
    assert count_words(" ,.;— ") == 0


def test_equal_texts() -> None:
    d = diff_texts("same text", "same text")
    assert not d.changed and d.hunks == () and d.stats == DiffStats() and not d.timed_out
    assert d.ops == ((EQUAL, "same text"),)
    assert render_text(d) == render_html(d) == render_terminal(d) == ""
    assert diff_texts("", "").ops == ()


def test_unknown_engine() -> None:
    with pytest.raises(ValueError, match="engine"):
        diff_texts("a", "b", engine="nope")


def test_stats_count_ops_and_chars() -> None:
    d = diff_texts("a b c d", "a x c d e")
    assert d.changed
    assert (d.stats.deletions, d.stats.insertions, d.stats.deleted_words, d.stats.inserted_words) == (1, 2, 1, 2)
    assert d.stats.changed_chars == d.stats.deleted_chars + d.stats.inserted_chars == 1 + 3


# --------------------------------------------------------------------------- hunks

def test_hunk_positions_and_lines() -> None:
    a = "Title\n\nFirst paragraph stays.\nSecond paragraph has a leading role.\n"
    b = "Title\n\nFirst paragraph stays.\nSecond paragraph has a central role.\n"
    (h,) = diff_texts(a, b, context=15).hunks
    assert h.ops == ((DELETE, "leading"), (INSERT, "central"))
    assert (h.line, h.line_b) == (4, 4)
    assert a[h.a_start:].startswith("leading") and b[h.b_start:].startswith("central")
    assert h.before == "…has a " and h.after == " role."    # no word cut in two at the edges; the cut marked


def test_context_zero_splits_every_change() -> None:
    d = diff_texts("one two three four", "ONE two THREE four", context=0)
    assert d.stats.hunks == 2
    assert [h.before for h in d.hunks] == ["", ""]
    assert render_text(d) == "[-one-]{+ONE+}\n…\n[-three-]{+THREE+}"


def test_cjk_context_is_cut_by_characters() -> None:
    a = "".join(ZH_PARAGRAPHS[:3])
    b = a.replace("核心作用", "重要作用").replace("共同掌握", "共同决定")
    d = diff_texts(a, b, context=10)
    assert all(len(h.before) <= 11 and len(h.after) <= 11 for h in d.hunks)   # 10 and the ellipsis
    assert "{+决定+}" in render_text(d)


# --------------------------------------------------------------------------- rendering

def test_render_html_escapes_everything() -> None:
    a = 'Keep <b>this</b> & "that".\n\nFar away ' + "filler " * 30 + "<script>alert(1)</script> end"
    b = 'Keep <i>this</i> & "that".\n\nFar away ' + "filler " * 30 + "<script>alert(2)</script> end"
    d = diff_texts(a, b, context=20)
    out = render_html(d)
    assert out.count('<div class="hunk"') == len(d.hunks) == 2
    assert "<script>" not in out and "<b>" not in out and "&lt;script&gt;" in out
    assert "<del>b</del><ins>i</ins>" in out and "&amp;" in out
    assert re.sub(r"</?(?:div[^>]*|del|ins|br)>", "", out).count("<") == 0


def test_render_terminal() -> None:
    d = diff_texts("a leading role\nhere", "a central role\nthere")
    assert render_terminal(d, color=False) == render_text(d)
    colored = render_terminal(d)
    assert "\x1b[31;9mleading\x1b[0m" in colored and "\x1b[32;4mcentral\x1b[0m" in colored
    assert re.sub(r"\x1b\[[\d;]*m", "", colored) == render_text(d).replace("[-", "").replace("-]", "") \
        .replace("{+", "").replace("+}", "")


def test_render_unified() -> None:
    out = render_unified("one\ntwo\nthree\n", "one\n2\nthree", a_label="v1", b_label="v2")
    assert out.splitlines() == ["--- v1", "+++ v2", "@@ -1,3 +1,3 @@", " one", "-two", "-three", "+2",
                                "+three", "\\ No newline at end of file"]
    assert render_unified("same\n", "same\n") == ""


# --------------------------------------------------------------------------- engines

@pytest.mark.parametrize("timeout", [0.0, 60.0], ids=["no-limit", "limit"])
def test_engines_give_the_same_ops(timeout: float) -> None:
    pairs = corpus_pairs()
    assert len(pairs) >= 20
    for a, b in pairs:
        fast = diff_texts(a, b, timeout=timeout, engine="fast")
        slow = diff_texts(a, b, timeout=timeout, engine="python")
        assert fast.ops == slow.ops
        assert fast.changed and sides(fast) == (a, b)


def test_engines_give_the_same_token_ops() -> None:
    for a, b in corpus_pairs()[:8]:
        ta, tb = tokenize(a), tokenize(b)
        fast = diff_tokens(ta, tb, engine="fast")
        assert fast == diff_tokens(ta, tb, engine="python")
        assert [t for op, items in fast if op != INSERT for t in items] == ta
        assert [t for op, items in fast if op != DELETE for t in items] == tb


@pytest.mark.parametrize("engine", ENGINES)
def test_time_limit_reported_and_diff_still_valid(engine: str) -> None:
    rng = random.Random(7)
    a = build_text(EN_PARAGRAPHS, 60_000, rng)
    b = mixed_edits(build_text(EN_PARAGRAPHS, 60_000, rng), rng, n=200)
    d = diff_texts(a, b, timeout=1e-6, engine=engine)
    assert d.timed_out
    assert sides(d) == (a, b)


# --------------------------------------------------------------------------- big texts

@pytest.mark.parametrize("zh", [False, True], ids=["english", "chinese"])
def test_200kb_with_300_scattered_edits(zh: bool) -> None:
    rng = random.Random(300)
    a = build_text(ZH_PARAGRAPHS if zh else EN_PARAGRAPHS, 200_000, rng, zh=zh)
    b = edit_words(a, 300, rng, zh=zh)
    d = diff_texts(a, b, timeout=120, context=20)
    assert not d.timed_out
    assert sides(d) == (a, b)
    # every edit found, nothing else: the occasional neighbouring edits share one hunk
    assert 270 <= d.stats.hunks <= 300
    assert 300 <= d.stats.inserted_words <= 330
    inserted = "".join(t for op, t in d.ops if op == INSERT)
    if zh:
        assert sum(1 for c in inserted if 0x3400 <= ord(c) < 0x3400 + 300) == 300
    else:
        assert len(re.findall(r"zq\d+x", inserted)) == 300
    assert d.stats.changed_chars < 0.02 * len(a)


def test_ops_never_cut_a_word_in_two() -> None:
    word = re.compile(r"[A-Za-z0-9]")
    for a, b in corpus_pairs():
        d = diff_texts(a, b)
        for side, text in zip((INSERT, DELETE), (a, b)):      # positions in a skip inserts, in b deletes
            cuts, pos = [], 0
            for op, t in d.ops:
                if op != side:
                    pos += len(t)
                    cuts.append(pos)
            for pos in cuts[:-1]:
                assert not (word.match(text[pos - 1]) and word.match(text[pos])), (text[pos - 20:pos + 20], d.ops)
