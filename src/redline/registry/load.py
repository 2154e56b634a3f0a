"""The source registry: which pages redline watches, read from a TOML file.

    version = 1                       # optional; the only version so far
    [[source]]
    name = "un-cyber-2021"            # required slug: a folder and file key
    url = "https://..."               # required, http or https
    ...

`load_registry` checks the whole file and raises one RegistryError listing every
problem, one line each, naming the file, the entry and the key. Nothing here runs
at import time; `DEFAULT_REGISTRY` is resolved when it is read.
"""
from __future__ import annotations

import difflib
import functools
import json
import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Iterable, Mapping
from urllib.parse import urlsplit

from redline.core.config import default_registry_path
from redline.core.errors import ConfigError, RegistryError
from redline.core.model import Source
from redline.core.urls import ascii_host, redact_password
from redline.text.masks import mask_problem
from redline.text.profiles import PROFILES as SITE_PROFILES

# "auto" lets normalize detect the template; the others are profiles.PROFILES, so a profile
# added there is accepted here without a second list to keep in step.
PROFILES = ("auto", *sorted(SITE_PROFILES))
KINDS = ("statement", "listing")
ORIGINS = ("seed", "operator", "discovered")
SCHEMA_VERSION = 1

# A name becomes a folder and file key (archive rows, feeds/<name>.xml): a slug,
# so "../x", "a/b", "." and the like can never leave their folder.
NAME_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?")
TAG_RE = re.compile(r"[a-z0-9](?:[a-z0-9_-]{0,38}[a-z0-9])?")
LANGUAGE_RE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")
# feeds/alerts.xml is the all-alerts feed; a source with that name would overwrite it.
RESERVED_NAMES = frozenset({"alerts"})

REQUIRED_KEYS = ("name", "url")
KNOWN_KEYS = ("name", "url", "title", "date", "language", "profile", "tags", "kind", "masks",
              "baseline", "enabled", "origin")
TOP_LEVEL_KEYS = ("version", "source")

_TOML_TYPES = {str: "a string", bool: "true or false", int: "an integer", float: "a number",
               list: "a list", dict: "a table", date: "a date", datetime: "a date-time", time: "a time"}


@dataclass(frozen=True)
class Registry:
    """The parsed sources file. `path` is the file; baselines are relative to its folder."""

    path: Path
    sources: tuple[Source, ...]

    def statements(self) -> list[Source]:
        """Enabled and disabled statement pages, in file order."""
        return [s for s in self.sources if s.kind == "statement"]

    def listings(self) -> list[Source]:
        return [s for s in self.sources if s.kind == "listing"]

    def names(self) -> list[str]:
        return [s.name for s in self.sources]

    def tags(self) -> list[str]:
        seen: dict[str, None] = {}
        for s in self.sources:
            seen.update(dict.fromkeys(s.tags))
        return sorted(seen)

    def by_name(self, name: str) -> Source:
        for s in self.sources:
            if s.name == name:
                return s
        raise ConfigError(f"{self.path}: no source named {_quote(name)}{_did_you_mean(name, self.names())}")

    def baseline_path(self, source: Source) -> Path | None:
        """Where `source`'s baseline capture lives (None when it has none)."""
        return _resolve_baseline(self.path, source.baseline) if source.baseline else None

    def select(self, names: Iterable[str] = (), tags: Iterable[str] = (), *,
               kinds: Iterable[str] = ("statement",)) -> list[Source]:
        """The sources to check, in file order.

        No names and no tags: every enabled source of `kinds` (statements by default).
        Names pick exactly those sources (any kind, even disabled: asked for by name).
        Tags add every enabled source of `kinds` carrying any of them. Unknown names or
        tags raise ConfigError naming all of them."""
        names, tags, kinds = list(names), list(tags), tuple(kinds)
        known_names, known_tags = set(self.names()), set(self.tags())
        unknown = [f"no source named {_quote(n)}{_did_you_mean(n, known_names)}"
                   for n in names if n not in known_names]
        unknown += [f"no source has the tag {_quote(t)}{_did_you_mean(t, known_tags)}"
                    for t in tags if t not in known_tags]
        if unknown:
            raise ConfigError(f"{self.path}: " + "; ".join(unknown))
        if not names and not tags:
            return [s for s in self.sources if s.enabled and s.kind in kinds]
        wanted_tags = set(tags)
        return [s for s in self.sources
                if s.name in names or (s.enabled and s.kind in kinds and wanted_tags.intersection(s.tags))]


def __getattr__(name: str) -> Any:
    # DEFAULT_REGISTRY is computed when read (environment and working folder of that moment),
    # so importing this module touches neither.
    if name == "DEFAULT_REGISTRY":
        return default_registry_path()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_registry(path: Path | str) -> Registry:
    """Read and check a sources file; RegistryError lists every problem, one line each.

    The file is read every time, but parsed once per content: a run's command, flow and
    tasks share a process and get the same Registry (immutable) while the file is unchanged
    (~75 ms a parse for 1,000 sources). A cached entry counts only while its baseline files
    are all still there, so every problem surfaces as it would from a fresh parse."""
    path = Path(path)
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RegistryError([f"{shown}: sources file not found"]) from None
    except UnicodeDecodeError as exc:
        raise RegistryError([f"{shown}: not UTF-8 text ({exc.reason} at byte {exc.start})"]) from None
    except OSError as exc:
        raise RegistryError([f"{shown}: cannot read the sources file: {exc.strerror or exc}"]) from None
    registry = _parse_once(text, shown)
    if not all(registry.baseline_path(s).is_file() for s in registry.sources if s.baseline):
        return parse_registry(text, path=shown)  # raises, naming the missing baselines
    return registry


@functools.lru_cache(maxsize=8)
def _parse_once(text: str, path: str) -> Registry:
    """parse_registry, remembered per (text, path) for load_registry (errors are not remembered)."""
    return parse_registry(text, path=path)


def parse_registry(text: str, *, path: str = "<string>") -> Registry:
    """Parse sources TOML given as text. `path` names the file in messages, and
    baselines are looked up relative to its folder (the working folder for "<string>")."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError([f"{path}: TOML syntax error: {exc}"]) from None
    problems: list[str] = []
    registry_path = Path(path)

    for key in data:
        if key not in TOP_LEVEL_KEYS:
            problems.append(f"{path}: unknown top-level key {_quote(key)}{_did_you_mean(key, TOP_LEVEL_KEYS)} "
                            f"(expected: version, and [[source]] tables)")
    if "version" in data and (type(data["version"]) is not int or data["version"] != SCHEMA_VERSION):
        problems.append(f"{path}: version = {data['version']!r} is not supported (this redline reads version "
                        f"{SCHEMA_VERSION})")

    entries = data.get("source", [])
    if not isinstance(entries, list):
        problems.append(f"{path}: \"source\" must be an array of tables, written [[source]] (not [source])")
        entries = []
    elif "source" not in data and not problems:  # a misspelt [[sources]] is reported above
        problems.append(f"{path}: no sources defined (add [[source]] tables)")

    sources: list[Source] = []
    first_by_name: dict[str, str] = {}
    first_by_url: dict[str, str] = {}
    for index, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            problems.append(f"{path}: source #{index}: must be a table written [[source]], not {_type_name(entry)}")
            continue
        label = _label(index, entry)
        source, entry_problems = _parse_entry(entry, registry_path)
        problems += [f"{path}: {label}: {p}" for p in entry_problems]
        # duplicates are checked on the raw values, so they show up next to any other problem
        name, url = entry.get("name"), entry.get("url")
        if isinstance(name, str) and name:
            if name in first_by_name:
                problems.append(f"{path}: {label}: duplicate name {_quote(name)} (also used by "
                                f"{first_by_name[name]})")
            else:
                first_by_name[name] = label
        if isinstance(url, str) and url.strip() and not _check_url(url.strip()):
            key = _url_key(url.strip())
            if key in first_by_url:
                problems.append(f"{path}: {label}: duplicate url {_quote(url.strip())} (also used by "
                                f"{first_by_url[key]})")
            else:
                first_by_url[key] = label
        if source is not None:
            sources.append(source)

    if problems:
        raise RegistryError(problems)
    return Registry(path=registry_path, sources=tuple(sources))


# -- one entry -------------------------------------------------------------


def _parse_entry(entry: dict, registry_path: Path) -> tuple[Source | None, list[str]]:
    """Check one [[source]] table; return the Source (None when unusable) and its problems."""
    problems: list[str] = []
    for key in entry:
        if key not in KNOWN_KEYS:
            problems.append(f"unknown key {_quote(key)}{_did_you_mean(key, KNOWN_KEYS)} "
                            f"(expected one of: {', '.join(KNOWN_KEYS)})")
    for key in REQUIRED_KEYS:
        if key not in entry:
            problems.append(f"missing required key {_quote(key)}")

    def string(key: str, default: str = "") -> str:
        value = entry.get(key, default)
        if isinstance(value, str):
            return value
        problems.append(f"key {_quote(key)} must be a string, not {_type_name(value)}")
        return default

    name = string("name")
    if "name" in entry and isinstance(entry["name"], str):
        problems += _check_name(name)

    url = string("url").strip()
    if "url" in entry and isinstance(entry["url"], str):
        problems += _check_url(url)

    title = string("title")
    raw_date = entry.get("date", "")
    if isinstance(raw_date, (date, datetime)):  # unquoted TOML date: accept, keep as text
        day = raw_date
        when = day.isoformat(sep=" ", timespec="minutes") if isinstance(day, datetime) else day.isoformat()
    else:
        when = string("date")

    language = string("language", "en")
    if isinstance(entry.get("language", "en"), str) and not LANGUAGE_RE.fullmatch(language):
        problems.append(f"key \"language\" = {_quote(language)} is not a language code like \"en\" or \"zh\"")

    profile = string("profile", "auto")
    if isinstance(entry.get("profile", "auto"), str) and profile not in PROFILES:
        problems.append(f"unknown profile {_quote(profile)}{_did_you_mean(profile, PROFILES)} "
                        f"(expected one of: {', '.join(PROFILES)})")

    kind = string("kind", "statement")
    if isinstance(entry.get("kind", "statement"), str) and kind not in KINDS:
        problems.append(f"key \"kind\" = {_quote(kind)} is not one of: {', '.join(KINDS)}")

    origin = string("origin", "seed")
    if isinstance(entry.get("origin", "seed"), str) and origin not in ORIGINS:
        problems.append(f"key \"origin\" = {_quote(origin)} is not one of: {', '.join(ORIGINS)}")

    tags = _string_list(entry, "tags", problems)
    for tag in tags:
        if not TAG_RE.fullmatch(tag):
            problems.append(f"tag {_quote(tag)} must be lowercase letters, digits, '-' or '_' (1-40 characters)")
    tags = list(dict.fromkeys(tags))

    masks = _string_list(entry, "masks", problems)
    for mask in masks:
        if (problem := mask_problem(mask)) is not None:
            problems.append(f"mask {_quote(mask)} is not a valid regular expression: {problem}")

    baseline: str | None = None
    if "baseline" in entry:
        baseline = string("baseline") or None
        if baseline is None:
            problems.append("key \"baseline\" must name a file (or be left out)")
        else:
            found = _resolve_baseline(registry_path, baseline)
            if not found.is_file():
                problems.append(f"baseline file {_quote(baseline)} not found (looked for {found})")

    enabled = entry.get("enabled", True)
    if not isinstance(enabled, bool):
        problems.append(f"key \"enabled\" must be true or false, not {_type_name(enabled)}")
        enabled = True

    if problems or not name or not url:
        return None, problems
    return Source(name=name, url=url, title=title, date=when, language=language, profile=profile,
                  tags=tuple(tags), kind=kind, masks=tuple(masks), baseline=baseline, enabled=enabled,
                  origin=origin), problems


def _check_name(name: str) -> list[str]:
    if not NAME_RE.fullmatch(name):
        return [f"name {_quote(name)} must be 1-80 lowercase letters, digits and '-', starting and ending with a "
                f"letter or digit (it becomes a folder and file name)"]
    if name in RESERVED_NAMES:
        return [f"name {_quote(name)} is reserved (feeds/{name}.xml is the all-alerts feed)"]
    return []


def _check_url(url: str) -> list[str]:
    if not url:
        return ['key "url" is empty']
    shown = _quote(redact_password(url))  # a password never reaches a message
    if any(ch.isspace() for ch in url):
        return [f"url {shown} contains whitespace"]
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a bad port)
    except ValueError as exc:
        return [f"url {shown} is not a valid URL: {exc}"]
    if parts.scheme.lower() not in ("http", "https"):
        has = f"{parts.scheme}:" if parts.scheme else "no scheme"
        return [f"url {shown} must start with http:// or https:// (has {has})"]
    if not parts.hostname:
        return [f"url {shown} has no host"]
    if parts.username is not None or parts.password is not None:
        return [f"url {shown} must not carry a user name or password"]
    return []


def _string_list(entry: dict, key: str, problems: list[str]) -> list[str]:
    value = entry.get(key, [])
    if not isinstance(value, list):
        problems.append(f"key {_quote(key)} must be a list of strings, not {_type_name(value)}")
        return []
    bad = [v for v in value if not isinstance(v, str)]
    if bad:
        problems.append(f"key {_quote(key)} must be a list of strings; {bad[0]!r} is {_type_name(bad[0])}")
    return [v for v in value if isinstance(v, str)]


def _resolve_baseline(registry_path: Path, baseline: str) -> Path:
    return registry_path.parent / Path(baseline).expanduser()


def _url_key(url: str) -> str:
    """URLs that fetch the same page compare equal: scheme and host case, a host's Unicode and punycode
    forms, default port, fragment."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = ascii_host(parts.hostname or "")
    port = parts.port
    netloc = host if port in (None, {"http": 80, "https": 443}.get(scheme)) else f"{host}:{port}"
    return f"{scheme}://{netloc}{parts.path or '/'}" + (f"?{parts.query}" if parts.query else "")


def _label(index: int, entry: Mapping[str, Any]) -> str:
    name = entry.get("name")
    return f"source #{index} {_quote(name)}" if isinstance(name, str) and name else f"source #{index}"


def _quote(text: str) -> str:
    """A value in double quotes, escaped so that a message stays on one line."""
    return json.dumps(text, ensure_ascii=False)


def _type_name(value: object) -> str:
    for typ, label in _TOML_TYPES.items():  # bool before int: True is an int too
        if type(value) is typ:
            return label
    return type(value).__name__


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.75)
    return f" (did you mean {_quote(close[0])}?)" if close else ""
