"""The watch list of official formulations (redline.text.formulations), read at the edge.

Where it comes from, first found wins:

1. a file given on the command line (`redline phrases --watch FILE`);
2. `[[watch]]` entries in the config file (redline.toml / $REDLINE_CONFIG);
3. `watch.toml` beside the sources file;
4. the repository's `seeds/watch.toml` (the seed corpus's formulations).

A watch file holds `[[watch]]` tables only. Every problem is one ConfigError line naming the
file and the entry.
"""
from __future__ import annotations

from pathlib import Path

from redline.core.config import Settings, read_toml
from redline.core.errors import ConfigError
from redline.text.formulations import Watch, parse_watch_list

WATCH_FILE = "watch.toml"
SEED_WATCH = Path(__file__).resolve().parents[3] / "seeds" / WATCH_FILE   # src/redline/registry/watch.py


def read_watch_file(path: Path) -> tuple[Watch, ...]:
    """A watch file's `[[watch]]` entries, checked."""
    data = read_toml(path, what="watch file")
    unknown = [k for k in data if k != "watch"]
    if unknown:
        raise ConfigError(f"{path}: unknown table or key {unknown[0]!r} (a watch file holds [[watch]] tables only)")
    return _parsed(data.get("watch", []), path)


def _parsed(entries: object, where: Path | None) -> tuple[Watch, ...]:
    try:
        return parse_watch_list(entries, where=str(where))
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def watch_source(settings: Settings, *, given: str | Path | None = None) -> Path | None:
    """The file the watch list is read from (see the module docstring); None: no list anywhere."""
    if given:
        return Path(given).expanduser().resolve()
    if "watch" in settings.config:
        return settings.config_file
    for path in (settings.sources.parent / WATCH_FILE, SEED_WATCH):
        if path.is_file():
            return path
    return None


def load_watch(settings: Settings, *, given: str | Path | None = None) -> tuple[Watch, ...]:
    """The watch list for these settings (see the module docstring); () when there is none."""
    path = watch_source(settings, given=given)
    if path is None:
        return ()
    if not given and path == settings.config_file:
        return _parsed(settings.config["watch"], path)
    return read_watch_file(path)
