"""`make demo`: the whole loop, offline, on a loopback replay of the seed pages.

1. Serve the five seed statements on 127.0.0.1, each in its site's template.
2. Run the `monitor` flow through a local Prefect server: every page matches
   its baseline capture, so nothing alerts.
3. Change the wording of one statement and only the chrome (a header date
   stamp, a visitor counter) of another.
4. Run again: exactly one alert, for the wording change, with the words marked.
5. A listing page shows a related new statement and an unrelated one: `discover`
   tracks, archives and alerts the related one only (demo_discovery).
6. A tracked statement is replaced by the site's "page not found" placeholder:
   the monitor raises one removed alert.
The demo checks these expectations itself and fails loudly if they don't hold.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Sequence

from rich.console import Console

from redline.alerts.text import significance_line
from redline.core.config import Settings, remember_sources
from redline.core.errors import RedlineError
from redline.core.model import Source
from redline.demo.discovery import DEMO_LISTING, discovery_steps
from redline.demo.loopback import LoopbackSite, loopback_path
from redline.demo.narration import Steps
from redline.demo.pages import seed_page
from redline.core.table import print_grid
from redline.monitor.report import summary_table
from redline.orchestration.api import prefect_api, quiet_prefect_env
from redline.registry.load import Registry, load_registry
from redline.store.sqlite import Archive

MARKER = ".redline-demo"
WORDING = ("should play a leading role", "should play a central role")


def _toml_str(value: str) -> str:
    return json.dumps(value)  # a JSON string with ASCII escapes is a valid TOML basic string


def write_demo_registry(path: Path, registry: Registry, base_url: str, *, listings: Sequence[str] = ()) -> None:
    """The seed statements (and the named listings), their addresses moved to the loopback site,
    baselines kept."""
    lines = ["# written by `redline demo`: the seed statements, served on loopback", ""]
    for s in [*registry.statements(), *(registry.by_name(n) for n in listings)]:
        baseline = (registry.path.parent / s.baseline).resolve() if s.baseline else None
        lines += ["[[source]]", f"name = {_toml_str(s.name)}", f"url = {_toml_str(base_url + loopback_path(s.url))}",
                  f"title = {_toml_str(s.title)}", f"date = {_toml_str(s.date)}",
                  f"language = {_toml_str(s.language)}", f"profile = {_toml_str(s.profile)}",
                  "tags = [" + ", ".join(_toml_str(t) for t in s.tags) + "]"]
        if s.kind != "statement":
            lines.append(f"kind = {_toml_str(s.kind)}")
        if s.masks:
            lines.append("masks = [" + ", ".join(_toml_str(m) for m in s.masks) + "]")
        if baseline:
            lines.append(f"baseline = {_toml_str(str(baseline))}")
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


def _serve_seed(site: LoopbackSite, registry: Registry, source: Source, **chrome: object) -> str:
    text = (registry.path.parent / source.baseline).read_text(encoding="utf-8")
    site.put(loopback_path(source.url), seed_page(text, template=source.profile, **chrome))
    return text


def _fresh_dir(root: Path) -> None:
    if root.exists():
        if not (root / MARKER).exists():
            raise RedlineError(f"{root} exists and is not a demo folder; choose another with --dir")
        shutil.rmtree(root)
    root.mkdir(parents=True)
    (root / MARKER).write_text("made by redline demo; removed by the next demo run\n")


def _shown_path(path: Path) -> str:
    """The path as typed from the working folder (relative when under it)."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def run_demo(directory: str | Path, *, console: Console) -> int:

    started = time.monotonic()
    root = Path(directory).resolve()
    _fresh_dir(root)
    registry = load_registry(Settings.resolve().sources)
    statements = registry.statements()
    changed, chrome_only = statements[0], statements[2]
    with LoopbackSite() as site:
        seeds = {s.name: _serve_seed(site, registry, s) for s in statements}
        write_demo_registry(root / "sources.toml", registry, site.base_url, listings=[DEMO_LISTING])
        settings = Settings.resolve(archive=str(root / "archive"), sources=str(root / "sources.toml"))
        remember_sources(settings.archive, settings.sources)   # `--archive demo/archive` alone finds it
        quiet_prefect_env(settings.archive / ".prefect")
        # imported only now: Prefect reads its settings (log level, analytics) when first imported
        from redline.orchestration.foreground import run_monitor_flow

        os.environ.setdefault("REDLINE_HOST_DELAY", "0.1")  # one loopback host stands in for four sites
        os.environ.setdefault("REDLINE_ALLOW_PRIVATE", "loopback")  # the replay is on 127.0.0.1
        steps = Steps(console)
        steps.step(f"serving {len(statements)} seed pages on {site.base_url}")
        with ExitStack() as server:
            with steps.busy("starting a local Prefect server (its first start runs migrations: 10-30 s)…"):
                api_url = server.enter_context(prefect_api(settings.archive / ".prefect"))
            console.print(f"   Prefect server up at {api_url}", highlight=False)
            steps.step("cycle 1: every page is compared with its baseline capture")
            with steps.busy("cycle 1: checking 5 statements…"):
                first, _ = run_monitor_flow(settings)
            print_grid(console, summary_table(first, title="cycle 1"), piped="table")

            original = seeds[changed.name]
            if WORDING[0] not in original:
                raise RedlineError(f"demo: {changed.name}'s text lacks {WORDING[0]!r}")
            site.put(loopback_path(changed.url),
                     seed_page(original.replace(*WORDING), template=changed.profile))
            _serve_seed(site, registry, chrome_only, header_note="Updated 2026-11-22 09:41 Beijing time",
                        visitor_count=48213)
            steps.step(f"changed on the server: the wording of [cyan]{changed.name}[/] "
                       f"({WORDING[0]!r} -> {WORDING[1]!r}); only the chrome of [cyan]{chrome_only.name}[/] "
                       "(header date stamp, visitor counter)")
            steps.step("cycle 2: one alert for the wording, none for the chrome")
            with steps.busy("cycle 2: checking 5 statements…"):
                second, _ = run_monitor_flow(settings)
            print_grid(console, summary_table(second, title="cycle 2"), piped="table")
            with Archive(settings.archive) as archive:
                alerts = [o for o in second if o.alert_id is not None]
                for o in alerts:
                    alert = archive.alert(o.alert_id)
                    console.print(f"\n[bold yellow]ALERT #{alert.id}[/] {alert.title}\n{alert.url}\n"
                                  f"{alert.summary} (v{alert.from_seq} -> v{alert.to_seq})", highlight=False)
                    console.print(significance_line(alert), highlight=False, markup=False)
                    console.print(alert.diff_text, highlight=False, markup=False)
            problems = discovery_steps(site, registry, settings, steps, tracked=changed, removed=statements[1])

    if any(o.alert_id is not None for o in first):
        problems.append("cycle 1 raised alerts; every page should match its baseline")
    if [o.source for o in alerts] != [changed.name]:
        problems.append(f"cycle 2 should alert exactly once, for {changed.name}; it alerted for "
                        f"{[o.source for o in alerts] or 'nothing'}")
    if any(o.error for o in first + second):
        problems.append("some checks failed")
    steps.step("left in place to look at:")
    console.print(f"  archive    {settings.archive}  (index.sqlite, warc/, text/)\n"
                  f"  alert log  {settings.archive / 'alerts.jsonl'}\n"
                  f"  feed       {settings.archive / 'feeds' / 'alerts.xml'}\n"
                  f"  sources    {settings.sources}  (the archive remembers it: --archive alone is enough)\n"
                  f"demo took {time.monotonic() - started:.0f} s", highlight=False)
    shown = _shown_path(settings.archive)
    console.print(f"\nnext: look at it in a browser:  redline browse --archive {shown}\n"
                  f"      or in the terminal:        redline status --archive {shown}", highlight=False)
    for p in problems:
        console.print(f"[red]demo check failed:[/] {p}")
    return 1 if problems else 0
