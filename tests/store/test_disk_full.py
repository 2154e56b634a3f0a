"""A full disk in the middle of a run (issue 17, items 15 and 20): each source that cannot be
written fails in one line, the others are still tried, nothing half-written is left in the
index, and once space is freed the next run completes and `verify` is clean. The archive lives on
a 3 MB tmpfs mounted by the test (root only: skipped elsewhere)."""
from __future__ import annotations

import os
import random
import subprocess

import pytest

from redline.core.model import Source
from redline.demo.loopback import LoopbackSite
from redline.ingest.fetch import Fetcher
from redline.monitor.check import check_batch
from redline.store.sqlite import Archive
from redline.store.verify import verify_archive

pytestmark = [pytest.mark.slow, pytest.mark.sqlite_only]  # a full disk under the archive folder holding index.sqlite
PAGES = 24


@pytest.fixture
def small_disk(tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mnt)],
                                           capture_output=True).returncode != 0:
        pytest.skip("mounting a small tmpfs needs root")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def page(seed: int) -> bytes:
    rng = random.Random(seed)
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9))) for _ in range(30000)]
    paragraphs = [" ".join(words[i:i + 120]) + "." for i in range(0, len(words), 120)]
    return ("<html><head><title>Statement %d</title></head><body><h1>Statement %d</h1>%s</body></html>"
            % (seed, seed, "".join(f"<p>{p}</p>" for p in paragraphs))).encode()


def test_a_full_disk_fails_sources_in_one_line_and_the_next_run_after_freeing_space_completes(small_disk) -> None:
    with LoopbackSite() as site, Fetcher(per_host_delay=0, retries=0, timeout=5, allow_private="loopback") as fetcher:
        sources = [Source(name=f"page-{i:02d}", url=site.url(f"/p{i}.html"), title=f"Statement {i}", profile="generic")
                   for i in range(PAGES)]
        for i in range(PAGES):
            site.put(f"/p{i}.html", page(i))
        with Archive(small_disk / "archive") as archive:
            archive.sync_sources(sources)
            out = check_batch(sources, archive=archive, fetcher=fetcher, run_id="full")
            failed = [o for o in out if o.error]
            assert failed and len(out) == PAGES                       # every source was tried
            assert all("full" in o.error and "\n" not in o.error for o in failed), [o.error for o in failed]
            assert verify_archive(archive.root).errors == []         # nothing half-written in the index
            subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
            again = check_batch(sources, archive=archive, fetcher=fetcher, run_id="after")
            assert [o.error for o in again if o.error] == []
            assert all(archive.latest_version(s.name) is not None for s in sources)
        assert verify_archive(small_disk / "archive").errors == []
