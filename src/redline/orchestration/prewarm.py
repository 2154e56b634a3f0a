"""What every warm run would otherwise make again, made once in `redline serve`'s forkserver
(redline.orchestration.warm preloads this module there, so each run forked from it starts with
it done): the TLS context every Fetcher shares (loading the CA bundle, ~20 ms) and the parse of
the sources files `serve` serves (REDLINE_WARM_SOURCES, paths joined by os.pathsep; ~60 ms
at 1,000 sources). load_registry keeps one parse per file content, so a run still reads its
file and parses it again when it changed since; a file that does not parse is left to the run,
which reports it in one line as it would have."""
from __future__ import annotations

import os
from collections.abc import Mapping

from redline.core.errors import RedlineError
from redline.ingest.transport import tls_context
from redline.orchestration.warm import ENV
from redline.registry.load import load_registry


def warm(environ: Mapping[str, str] = os.environ) -> None:
    tls_context()
    for path in filter(None, environ.get(ENV, "").split(os.pathsep)):
        try:
            load_registry(path)
        except RedlineError:
            pass   # the run reports it


warm()
