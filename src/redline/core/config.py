"""Runtime settings from the environment (and defaults), resolved once at the edge."""
from __future__ import annotations

import json
import os
import tomllib
from functools import cached_property
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from redline.core.errors import ConfigError
from redline.core.addresses import ENV_ALLOW, AddressPolicy


def _float(env: Mapping[str, str], key: str, default: float) -> float:
    raw = env.get(key)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"environment variable {key}={raw!r} is not a number; set it to seconds, e.g. {default}") from None


def default_registry_path(env: Mapping[str, str] | None = None, cwd: Path | None = None) -> Path:
    """$REDLINE_SOURCES, else ./seeds/sources.toml in the working folder, else the repository's seeds/."""
    env = os.environ if env is None else env
    if env.get("REDLINE_SOURCES"):
        return Path(env["REDLINE_SOURCES"]).expanduser().resolve()
    local = (cwd or Path.cwd()) / "seeds" / "sources.toml"
    if local.is_file():
        return local.resolve()
    return Path(__file__).resolve().parents[3] / "seeds" / "sources.toml"  # src/redline/core/config.py


FAILURE_THRESHOLD = 3  # failed checks in a row before operators are alerted (REDLINE_FAILURE_THRESHOLD)


@dataclass(frozen=True)
class FetchSettings:
    timeout: float = 20.0
    retries: int = 2
    backoff: float = 0.5
    per_host_delay: float = 1.0
    per_host_concurrency: int = 2
    max_bytes: int = 5_000_000
    max_time: float | None = None                            # one request in all; None: 2 x timeout
    allow_private: AddressPolicy = AddressPolicy()           # REDLINE_ALLOW_PRIVATE: none by default
    robots: bool = True                                      # REDLINE_IGNORE_ROBOTS=1 turns it off

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "FetchSettings":
        max_time = _float(env, "REDLINE_FETCH_MAX_TIME", 0.0)
        return cls(timeout=_float(env, "REDLINE_FETCH_TIMEOUT", cls.timeout),
                   retries=int(_float(env, "REDLINE_FETCH_RETRIES", cls.retries)),
                   backoff=_float(env, "REDLINE_FETCH_BACKOFF", cls.backoff),
                   per_host_delay=_float(env, "REDLINE_HOST_DELAY", cls.per_host_delay),
                   per_host_concurrency=int(_float(env, "REDLINE_HOST_CONCURRENCY", cls.per_host_concurrency)),
                   max_bytes=int(_float(env, "REDLINE_MAX_BYTES", cls.max_bytes)),
                   max_time=max_time or None,
                   allow_private=AddressPolicy.parse(env.get(ENV_ALLOW, "")),
                   robots=not _flag(env, "REDLINE_IGNORE_ROBOTS"))


def _flag(env: Mapping[str, str], key: str) -> bool:
    raw = (env.get(key) or "").strip().lower()
    if raw in ("", "0", "no", "false", "off"):
        return False
    if raw in ("1", "yes", "true", "on"):
        return True
    raise ConfigError(f"environment variable {key}={env.get(key)!r} is not a yes/no value; set it to 1 or 0")


CONFIG_SECTIONS = ("notify", "schedule", "archive", "browse", "significance", "watch", "store")  # the tables of the config file (redline.toml / $REDLINE_CONFIG)


def read_toml(path: Path, *, what: str) -> dict[str, Any]:
    """A TOML file's data; a missing, unreadable or malformed file is one ConfigError line naming it."""
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: {what} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the {what}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: TOML syntax error: {exc}") from None


def read_config_file(path: Path | None) -> dict[str, Any]:
    """The config file's tables, read and checked once: `[notify]` (alert channels, read by
    redline.alerts.sinks), `[schedule]` (redline.orchestration.schedules), `[archive]` (the
    sources file the archive was made with: `sources = "../sources.toml"`, relative to the
    archive folder), `[browse]` (`public_url`), `[significance]` and `[[watch]]` (a list of tables:
    watched formulations, redline.registry.watch); {} for no file.
    Each problem is one ConfigError line naming the file (and the table or key)."""
    if path is None:
        return {}
    path = Path(path)
    data = read_toml(path, what="config file")
    for key, value in data.items():
        if key not in CONFIG_SECTIONS:
            raise ConfigError(f"{path}: unknown table or key {key!r} (expected: {', '.join(CONFIG_SECTIONS)})")
        if key == "watch":
            if not isinstance(value, list):
                raise ConfigError(f"{path}: watch must be a list of tables, written [[watch]]")
        elif not isinstance(value, dict):
            raise ConfigError(f"{path}: {key} must be a table, written [{key}]")
    return data


@dataclass(frozen=True)
class Settings:
    archive: Path
    sources: Path
    config_file: Path | None
    fetch: FetchSettings = field(default_factory=FetchSettings)
    failure_threshold: int = FAILURE_THRESHOLD

    @classmethod
    def resolve(cls, *, archive: str | None = None, sources: str | None = None,
                env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        archive_path = Path(archive or env.get("REDLINE_ARCHIVE") or "archive").resolve()
        config = env.get("REDLINE_CONFIG")
        config_path = Path(config).resolve() if config else (archive_path / "redline.toml")
        if sources:
            sources_path = Path(sources).resolve()
        elif env.get("REDLINE_SOURCES"):
            sources_path = default_registry_path(env)
        else:   # the sources file this archive was made with, else ./seeds or the repository's
            sources_path = remembered_sources(archive_path) or default_registry_path(env)
        return cls(archive=archive_path, sources=sources_path,
                   config_file=config_path if config_path.exists() or config else None,
                   fetch=FetchSettings.from_env(env),
                   failure_threshold=int(_float(env, "REDLINE_FAILURE_THRESHOLD", FAILURE_THRESHOLD)))

    @cached_property
    def config(self) -> dict[str, Any]:
        """The config file's tables (read_config_file), read once per Settings, when first needed."""
        return read_config_file(self.config_file)


ARCHIVE_CONFIG = "redline.toml"


def remembered_sources(archive: Path) -> Path | None:
    """The sources file named by the archive's own redline.toml (`[archive] sources`), if any."""
    path = Path(archive) / ARCHIVE_CONFIG
    if not path.is_file():
        return None
    table = read_config_file(path).get("archive", {})
    unknown = [k for k in table if k != "sources"]
    if unknown:
        raise ConfigError(f"{path}: [archive] has unknown key {unknown[0]!r} (expected: sources)")
    value = table.get("sources")
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{path}: [archive] sources must be the path of a sources file, as a string")
    return (Path(archive) / Path(value).expanduser()).resolve()


ENV_STORE = "REDLINE_STORE"


def configured_store(archive: Path | str, env: Mapping[str, str] | None = None) -> str | None:
    """Where the archive's index lives when not in its folder: $REDLINE_STORE, else `[store] index`
    of the config file ($REDLINE_CONFIG, else the archive's redline.toml); None: index.sqlite."""
    env = os.environ if env is None else env
    url = (env.get(ENV_STORE) or "").strip()
    where = ENV_STORE
    if not url:
        config = env.get("REDLINE_CONFIG")
        path = Path(config) if config else Path(archive) / ARCHIVE_CONFIG
        table = read_config_file(path).get("store", {}) if config or path.is_file() else {}
        unknown = [k for k in table if k != "index"]
        if unknown:
            raise ConfigError(f"{path}: [store] has unknown key {unknown[0]!r} (expected: index)")
        url, where = table.get("index") or "", f"{path}: [store] index"
        if not isinstance(url, str):
            raise ConfigError(f"{where} must be a postgresql:// URL, as a string")
    if url and not url.startswith(("postgresql://", "postgres://")):
        raise ConfigError(f"{where}={url!r} is not a postgresql:// URL; leave it unset for the SQLite index "
                          "in the archive folder")
    return url or None


def remember_sources(archive: Path, sources: Path) -> bool:
    """Record in the archive's redline.toml which sources file it is made with (when it names none
    yet), so that commands given only --archive use that file. Returns whether it wrote."""
    archive, sources = Path(archive).resolve(), Path(sources).resolve()
    path = archive / ARCHIVE_CONFIG
    if remembered_sources(archive) is not None:
        return False
    try:   # relative when the two live side by side (a folder that moves as a whole), else absolute
        shown = os.path.relpath(sources, archive) if archive.parent in sources.parents or \
            sources.parent == archive.parent else str(sources)
    except ValueError:
        shown = str(sources)
    text = path.read_text(encoding="utf-8") if path.is_file() else (
        "# redline settings for this archive ([notify], [schedule], [browse]; see the README)\n")
    if "[archive]" in text:
        return False   # an [archive] table without `sources`: the operator's own; leave it
    block = f"\n[archive]\n# the sources file this archive is made with: commands given only --archive use it\n" \
            f"sources = {json.dumps(shown)}\n"
    archive.mkdir(parents=True, exist_ok=True)
    path.write_text(text.rstrip("\n") + "\n" + block, encoding="utf-8")
    return True
