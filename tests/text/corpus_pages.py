"""Pages for the normalizer parity test: every HTML page the project holds, hand-made fault pages, and a
seeded random generator of pages that mix the markup normalize reads (site-template ids and classes,
block and inline tags, chrome, entities, invisible characters, CJK and English prose). Pure data."""
from __future__ import annotations

import ast
import random
from collections.abc import Iterator
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]

# (name, html, url): a page and the address it is read as (None: no address)
Page = tuple[str, str, "str | None"]

URLS: tuple[str | None, ...] = (
    None, "https://www.fmprc.gov.cn/mfa_eng/xwfw_665399/s2510_665401/2511_665403/t1559633.shtml",
    "https://www.fmprc.gov.cn/web/wjdt_674879/fyrbt_674889/t1624087.shtml",
    "https://www.fmprc.gov.cn/eng/xw/zyxw/202510/t20251017_11735636.html",
    "http://www.china-un.ch/eng/hom/t1444602.htm", "https://www.cac.gov.cn/2025-12/04/c_1766577618173846.htm",
    "https://example.org/news/1.html",
)


def project_pages() -> Iterator[Page]:
    """Every .html file under tests/ and src/ (fixtures, demo templates), and the seed texts as pages."""
    for root in ("tests", "src", "seeds", "bench"):
        for path in sorted((PROJECT / root).rglob("*.html")):
            yield str(path.relative_to(PROJECT)), path.read_text(encoding="utf-8", errors="replace"), None
    fixtures = PROJECT / "tests" / "fixtures" / "mfa"
    saved_from = {"boan_zh": URLS[2], "cw_en_pr": URLS[1], "cw_zh_pr": URLS[2], "toruoga_en": URLS[3]}
    for path in sorted(fixtures.glob("*.html")):
        url = next((u for k, u in saved_from.items() if path.name.startswith(k)), URLS[6])
        yield f"{path.name} at {url}", path.read_text(encoding="utf-8"), url


def literal_pages() -> Iterator[Page]:
    """The HTML string literals of the test modules (pages the tests feed to normalize and the fetcher)."""
    for path in sorted((PROJECT / "tests").rglob("*.py")):
        if path.name == "corpus_pages.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant):
                value = node.value.decode("utf-8", "replace") if isinstance(node.value, bytes) else node.value
                if isinstance(value, str) and "<" in value and ">" in value and len(value) > 20:
                    yield f"{path.relative_to(PROJECT)}:{node.lineno}", value, None


def demo_pages() -> Iterator[Page]:
    """The demo's seed pages in every replay template, its placeholder and a listing."""
    from redline.demo.listing_pages import Entry, listing_page, placeholder_page
    from redline.demo.pages import TEMPLATES, seed_page

    seeds = sorted((PROJECT / "seeds").glob("*.txt"))
    for i, seed in enumerate(seeds):
        text = seed.read_text(encoding="utf-8")
        for template in TEMPLATES:
            page = seed_page(text, template=template, header_note="Updated 2026-11-22", visitor_count=i * 997)
            yield f"demo {seed.name} {template}", page.decode("utf-8"), None
    yield "demo placeholder", placeholder_page().decode("utf-8"), None
    entries = [Entry(f"Statement number {i}, on cyberspace", f"./2026/t{i}.html") for i in range(20)]
    yield "demo listing", listing_page(entries).decode("utf-8"), None


def bench_site_pages(n: int = 6) -> Iterator[Page]:
    """The benchmark site's generated statement pages (bench/site.py), when it imports offline."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_site", PROJECT / "bench" / "site.py")
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    pages = module.Pages(n)
    for i in range(n):
        yield f"bench site {module.page_path(i)}", pages.body[i].decode("utf-8"), None


def fault_pages() -> Iterator[Page]:
    """Hand-made pages at the edges of the parsers."""
    para = "The parties reaffirmed, in strong terms, their commitment to an open, secure ICT environment."
    yield "empty", "", None
    yield "whitespace only", "  \n\t ", None
    yield "plain text", "just words, no markup at all", None
    yield "empty with url", "", URLS[5]
    yield "bom", "\ufeff<html><body><p>" + para + "</p></body></html>", None
    yield "nested 300", "<html><body>" + "<div>level, text" * 300 + "</div>" * 300 + "</body></html>", None
    yield "nested 3000", "<html><body>" + "<div>level, text" * 3000 + "</div>" * 3000 + "</body></html>", None
    yield "nested chrome 2000", ("<html><body>" + "<div class='nav'>level text, and more" * 2000
                                 + "</div>" * 2000 + "</body></html>"), None
    yield "nested over the cap", "<html><body>" + "<div>x" * 10_010 + "</div>" * 10_010 + "</body></html>", None
    yield "siblings 20000", "<html><body><div>" + "<span>x</span>" * 20_000 + "</div></body></html>", None
    yield "siblings over the cap", "<html><body><div>" + "<span>x</span>" * 60_000 + "</div></body></html>", None
    yield "replacement chars", "<html><body><p>bad \ufffd\ufffd bytes, " + para + "</p></body></html>", None
    yield "xhtml", ('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN"'
                    ' "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n<html xmlns="http://www.w3.org/1999/'
                    f'xhtml"><head><title>T</title></head><body><h1>Title</h1><p>{para}</p><br/></body></html>'), None
    yield "namespaced xhtml", ('<?xml version="1.0" encoding="utf-8"?>\n<x:html xmlns:x="http://www.w3.org/1999/'
                               f'xhtml"><x:body><x:h1>T</x:h1><x:p>{para}</x:p></x:body></x:html>'), None
    yield "cdata", f"<html><body><p>a<![CDATA[hidden, text]]>b</p><p>{para}</p></body></html>", None
    yield "pi and comments", f"<!--top--><?php echo 1 ?><html><body><!-- c --><p>{para}<?pi x?>tail</p></body></html>", None
    yield "ruby", f"<html><body><p>{para}<ruby>漢<rp>(</rp><rt>kan, ji</rt><rp>)</rp></ruby></p></body></html>", None
    yield "template", f"<html><body><template><p>{para}</p></template><p>{para}</p></body></html>", None
    yield "only meta", "<html><head><meta name='ArticleTitle' content='A title'></head><body></body></html>", URLS[3]
    yield "title in template", "<html><body><template><title>404</title></template><p>x</p></body></html>", None
    yield "display none html", "<html style='display:none'><body><p>" + para + "</p></body></html>", URLS[1]
    yield "display none body", ("<html><body style='display: none'><div class='content_mod'><div class='content'>"
                                + para + "</div></div></body></html>"), URLS[1]
    yield "unicode class spaces", ("<html><body><div class='x\u3000nav'><p>" + para + "</p></div><div class='a\fshare'>"
                                   "<p>" + para + "</p></div></body></html>"), None
    yield "meta name newline", ("<html><head><meta name='ArticleTitle\n' content='Meta title'></head><body><div "
                                "class='news_content'><p>" + para + "</p></div></body></html>"), URLS[3]


# --------------------------------------------------------------------------- generated pages
_EN = ("The Ministry", "said on Monday,", "that cooperation", "in cyberspace", "must respect sovereignty,",
       "and the parties", "agreed to", "hold talks", "Print", "Home", "Copyright © 2020", "Tel: 123",
       "Visitors: 1,234", "English", "Français")
_ZH = ("外交部发言人", "表示，", "中方", "坚决反对。", "网络空间", "合作，", "打印本页", "首页 > 新闻", "版权所有",
       "访问量：123", "中文", "【责任编辑：张三】")
_ODD = ("&amp;", "&nbsp;", "&#x3000;", "&foo;", "&lt;b&gt;", "\u200b", "\u00a0", "\u3000", "\u00ad", "\ufeff",
        "\t", "\n", "  ", "\r\n", "ﬁ", "①", "，", ",", "&#160;", "\u202b", "\u2028")
_BLOCKS = ("div", "p", "section", "article", "td", "li", "h1", "h2", "h3", "blockquote", "pre", "dd", "center",
           "table", "tr", "ul", "ol", "header", "footer", "nav", "aside", "form", "main", "hr")
_INLINE = ("span", "a", "b", "i", "em", "strong", "font", "sup", "label", "abbr", "x:p", "SPAN", "ruby", "rt", "rp")
_SKIPPED = ("script", "style", "noscript", "template", "iframe", "select", "option", "button", "textarea",
            "svg", "title", "object")
_IDS = ("News_Body_Title", "News_Body_Time", "News_Body_Txt_A", "News_Body_subitle", "title", "pubtime",
        "BodyLabel", "content", "subtitle", "bread", "editor", "appendix_list", "relnews_list", "top", "nav")
_CLASSES = ("content_mod", "content", "title", "news_header_title", "news_sub_title", "news_header", "xltime",
            "news_content", "TRS_UEDITOR", "TRS_Editor", "content_text", "news-detail", "news-title", "news-time",
            "news-content", "main-content", "vibox", "urhere", "share", "print_img", "jiathis_style", "editor",
            "nav", "footer", "menu", "sidebar", "links", "story", "wrap", "x_nav", "side-bar", "CONTENT")
_STYLES = ("display:none", "display: none", "color:red", "DISPLAY:NONE")


def _text(rng: random.Random) -> str:
    words = _ZH if rng.random() < 0.4 else _EN
    parts = [rng.choice(words) for _ in range(rng.randint(1, 12))]
    for _ in range(rng.randint(0, 3)):
        parts.insert(rng.randrange(len(parts) + 1), rng.choice(_ODD))
    if rng.random() < 0.02:
        parts.append(rng.choice(("页面不存在或已删除", "the page you requested does not exist")))
    return rng.choice(("", " ", "")).join(parts)


def _attrs(rng: random.Random) -> str:
    out = []
    if rng.random() < 0.3:
        out.append(f"id='{rng.choice(_IDS)}'")
    if rng.random() < 0.4:
        cls = " ".join(rng.sample(_CLASSES, rng.randint(1, 3)))
        out.append(f"class='{rng.choice(('', ' '))}{cls}'")
    if rng.random() < 0.08:
        out.append(f"style='{rng.choice(_STYLES)}'")
    if rng.random() < 0.05:
        out.append("href='#'")
    return (" " + " ".join(out)) if out else ""


def _node(rng: random.Random, depth: int) -> str:
    roll = rng.random()
    if depth > 6 or roll < 0.3:
        return _text(rng)
    if roll < 0.35:
        return rng.choice(("<br>", "<br/>", "<!-- note, here -->", "<![CDATA[x, y]]>", "<?pi x?>", "<img src=x>",
                           "</div>", "</p>", "<p>", "<wbr>", "</span>"))
    if roll < 0.42:
        tag = rng.choice(_SKIPPED)
        return f"<{tag}>{_text(rng)}</{tag}>"
    tag = rng.choice(_BLOCKS if roll < 0.75 else _INLINE)
    inner = "".join(_node(rng, depth + 1) for _ in range(rng.randint(0, 5)))
    close = f"</{tag}>" if rng.random() < 0.92 else ""
    return f"<{tag}{_attrs(rng)}>{inner}{close}"


def generated_page(seed: int) -> str:
    rng = random.Random(seed)
    head = "".join(rng.sample([
        f"<title>{rng.choice(('Statement', '系统维护', '404 Not Found', 'page not found') + (' 外交部 ',) * 12)}</title>",
        f"<meta name='ArticleTitle' content='{_text(rng)}'>", f"<meta name='PubDate' content='2024-0{seed % 9 + 1}-01'>",
        f"<meta name='SiteName' content='{rng.choice(('Permanent Mission', '中国网信网', 'Site'))}'>",
        "<meta charset='utf-8'>", "<style>p{color:red}</style>", "<script>var a = '<p>x</p>';</script>"],
        rng.randint(0, 5)))
    body = "".join(_node(rng, 0) for _ in range(rng.randint(1, 9)))
    prose = "".join(f"<p>{_text(rng)}, {_text(rng)}, {_text(rng)} and more words here.</p>"
                    for _ in range(rng.randint(0, 4)))
    if rng.random() < 0.5:
        body = body[: len(body) // 2] + prose + body[len(body) // 2:]
    doctype = rng.choice(("", "<!DOCTYPE html>", '<?xml version="1.0" encoding="utf-8"?>', "<!DOCTYPE html>\n"))
    shape = rng.random()
    if shape < 0.1:
        return doctype + body
    if shape < 0.15:
        return f"{doctype}<HTML><BODY class='x'>{body}</BODY></HTML>"
    return f"{doctype}<html><head>{head}</head><body{_attrs(rng)}>{body}</body></html>"


def generated_pages(n: int = 600, seed: int = 20261207) -> Iterator[Page]:
    rng = random.Random(seed)
    for i in range(n):
        yield f"generated {i}", generated_page(seed + i), rng.choice(URLS)


def corpus(generated: int = 600) -> list[Page]:
    return [*project_pages(), *literal_pages(), *demo_pages(), *bench_site_pages(), *fault_pages(), *generated_pages(generated)]
