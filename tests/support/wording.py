"""Statement pages whose one varying word is their wording (the crash and workers tests): a
page for statement k with a word, and the word back from a page or a version's text."""
from __future__ import annotations

WORDS = ("open", "secure", "stable", "accessible", "peaceful", "orderly", "inclusive", "resilient", "shared",
         "just", "balanced", "lasting", "cooperative", "transparent", "durable", "fair")


def page(k: int, word: str) -> bytes:
    return (f"<html><head><title>Statement {k}</title></head><body><div class='article'><h1>Statement {k}</h1>"
            f"<p>The parties to statement {k} agreed to build a {word} cyberspace together.</p>"
            f"<p>They will meet again next year.</p></div></body></html>").encode()


def word_in(text: str) -> str:
    """The wording of a page or a version's text."""
    return next(w for w in WORDS if f"build a {w} cyberspace" in text)
