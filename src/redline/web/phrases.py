"""The web view's /phrases (and /api/phrases): watched formulations across the record, per phrase
and source: the first and last version holding it, and the version that dropped it
(redline.store.readphrases). The watch list is the archive's (redline.registry.watch), read once."""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable

from starlette.requests import Request

from redline.core.config import Settings
from redline.core.errors import ConfigError
from redline.registry.watch import load_watch
from redline.store import readmodel as views
from redline.store.readphrases import phrase_report
from redline.text.formulations import Watch

PHRASES_ROUTE = {"html": "/phrases", "json": "/api/phrases", "query": ["phrase", "source"],
                 "what": "watched formulations: per source, first and last version holding each, and where dropped"}


def phrases_page(archive: Any) -> Callable[[Request], tuple[str, dict[str, Any], Any]]:
    """The page handler over an open archive: (template, context, JSON twin)."""

    @lru_cache(maxsize=1)
    def watch_list() -> tuple[tuple[Watch, ...], str | None]:
        try:
            return load_watch(Settings.resolve(archive=str(archive.root))), None
        except ConfigError as exc:   # shown on the page, in one line; the rest of the view works
            return (), str(exc).replace(str(archive.root), "the archive")

    def handler(request: Request) -> tuple[str, dict[str, Any], Any]:
        phrase, source = ((request.query_params.get(k) or "").strip()[:200] or None for k in ("phrase", "source"))
        if source:
            views.check_name(source)
            archive.source_row(source)
        watch, problem = watch_list()
        reports = phrase_report(archive, watch, phrase=phrase, source=source)
        records = [r.record() for r in reports]
        ctx = {"reports": reports, "phrase": phrase or "", "source": source, "problem": problem,
               "watched": [w.phrase for w in watch]}
        return "phrases.html", ctx, {"phrase": phrase, "source": source, "error": problem, "phrases": records}

    return handler
