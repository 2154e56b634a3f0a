"""Which sources are checked: the tracked sources (registry and discovered), a selection of them, grouped per host."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Iterable
from urllib.parse import urlsplit

from redline.core.model import Source
from redline.registry.load import Registry
from redline.store.sqlite import Archive
from redline.store.sqlite.archive import has_index, lost_index
from redline.text.normalize import NORMALIZER_VERSION, clean_text


def host_of(source: Source) -> str:
    return (urlsplit(source.url).hostname or "").lower()


def group_by_host(sources: Iterable[Source]) -> dict[str, list[Source]]:
    """Batch sources per host: one Prefect task per host keeps per-task overhead small,
    and per-host politeness (delay, concurrency) lives inside one Fetcher."""
    groups: dict[str, list[Source]] = defaultdict(list)
    for s in sources:
        groups[host_of(s)].append(s)
    return dict(groups)


def prepare_archive(archive: Archive, registry: Registry) -> int:
    """Register the registry's sources and import their baseline captures; return baselines imported.
    An index older than its alert log is refused first (Archive.check_alert_log)."""
    archive.check_alert_log()
    archive.sync_sources(registry.sources)
    imported = 0
    for source in registry.sources:
        if source.baseline and source.kind == "statement":
            text = clean_text((registry.path.parent / source.baseline).read_text(encoding="utf-8"))
            if archive.import_baseline(source, text, normalizer_version=NORMALIZER_VERSION):
                imported += 1
    return imported


def tracked_sources(archive: Archive, registry: Registry) -> list[Source]:
    """Every source redline checks: the registry's, at the address the archive has for them
    (a `redline sources move` overrides the file), then the discovered ones (enabled or not)."""
    urls = {row["name"]: row["url"] for row in archive.sources()}
    out = [replace(s, url=urls[s.name]) if urls.get(s.name, s.url) != s.url else s for s in registry.sources]
    names = {s.name for s in out}
    return out + [s for s in archive.discovered_sources() if s.name not in names]


def select_sources(archive: Archive, registry: Registry, names: Iterable[str] = (),
                   tags: Iterable[str] = ()) -> list[Source]:
    """Registry.select over the tracked sources: discovered names and the "discovered" tag count too."""
    return Registry(path=registry.path, sources=tuple(tracked_sources(archive, registry))).select(names, tags)


def check_selection(registry: Registry, archive_root: Path, names: Iterable[str] = (),
                    tags: Iterable[str] = ()) -> None:
    """Fail early, in one line, on unknown names or tags; the archive's discovered sources
    count when the archive exists (it is not created here)."""
    if has_index(archive_root):
        with Archive(archive_root) as archive:
            select_sources(archive, registry, names, tags)
        return
    lost = lost_index(Path(archive_root))  # refused here, before Prefect starts
    if lost is not None:
        raise lost
    registry.select(names, tags)
