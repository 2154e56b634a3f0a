"""Shared fixtures: the seed statements served on a loopback site, a fresh archive, the store
backends (SQLite, and a real PostgreSQL started for the session)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from redline.store.sqlite import Archive
from redline.demo.run import write_demo_registry
from redline.demo.loopback import loopback_path
from redline.ingest.fetch import Fetcher
from redline.demo.loopback import LoopbackSite
from redline.monitor.select import prepare_archive
from redline.demo.pages import seed_page
from redline.registry.load import Registry, load_registry
from support import pgserver

PROJECT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@dataclass
class Stack:
    site: LoopbackSite
    registry: Registry           # the loopback copy of seeds/sources.toml
    seed_registry: Registry      # seeds/sources.toml itself
    archive: Archive
    fetcher: Fetcher
    seeds: dict[str, str]        # source name -> seed text

    def serve(self, name: str, text: str | None = None, **chrome: object) -> None:
        source = self.seed_registry.by_name(name)
        self.site.put(loopback_path(source.url),
                      seed_page(self.seeds[name] if text is None else text, template=source.profile, **chrome))

    def path_of(self, name: str) -> str:
        return loopback_path(self.seed_registry.by_name(name).url)


@pytest.fixture
def seed_registry() -> Registry:
    return load_registry(PROJECT / "seeds" / "sources.toml")


@pytest.fixture
def stack(tmp_path: Path, seed_registry: Registry):
    with LoopbackSite() as site:
        seeds = {s.name: (seed_registry.path.parent / s.baseline).read_text(encoding="utf-8")
                 for s in seed_registry.statements()}
        write_demo_registry(tmp_path / "sources.toml", seed_registry, site.base_url)
        registry = load_registry(tmp_path / "sources.toml")
        archive = Archive(tmp_path / "archive")
        prepare_archive(archive, registry)
        with Fetcher(per_host_delay=0, retries=0, timeout=5, allow_private="loopback") as fetcher:
            s = Stack(site, registry, seed_registry, archive, fetcher, seeds)
            for name in seeds:
                s.serve(name)
            yield s
        archive.close()


@pytest.fixture
def wide_console():
    """The CLI console at a width where tables don't fold names (capsys has no terminal)."""
    from redline.cli.common import console

    before = console.width
    console.width = 220
    yield
    console.width = before


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that runs Prefect flows (`flow`) is `slow` too: the harness alone starts in seconds."""
    for item in items:
        if item.get_closest_marker("flow") and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)


BACKENDS = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test that uses `store_backend` runs once per backend (SQLite only when marked sqlite_only)."""
    if "store_backend" in metafunc.fixturenames:
        only = metafunc.definition.get_closest_marker("sqlite_only")
        metafunc.parametrize("store_backend", BACKENDS[:1] if only else BACKENDS, indirect=True)


@pytest.fixture(scope="session")
def pg_server():
    """A PostgreSQL 15 on 127.0.0.1 for the whole session. Missing binaries: the tests that need it
    are skipped, with the reason, except under CI=true, where both backends must be tested."""
    why = pgserver.missing()
    if why:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must test the PostgreSQL backend: {why}", pytrace=False)
        pytest.skip(why)
    server = pgserver.PgServer().start()
    yield server
    server.stop()


@pytest.fixture
def store_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The backend of every Archive the test opens: "sqlite" (index.sqlite in the folder), or
    "postgresql" (REDLINE_STORE set to a fresh database of the session's server)."""
    backend = getattr(request, "param", "sqlite")
    if backend == "postgresql":
        monkeypatch.setenv("REDLINE_STORE", request.getfixturevalue("pg_server").new_database())
    else:
        monkeypatch.delenv("REDLINE_STORE", raising=False)
    return backend
