"""5,000 sources in one file (issue 17, item 22): `redline sources list` and a check of all of
them stay within what the benchmarks predict (BENCHMARKS.md: 179 MB peak at 10,000 sources; a
check costs milliseconds). Bounds are loose (several times the measured values): this catches a
blow-up (a quadratic step, a table laid out row by row in rich), not a few percent."""
from __future__ import annotations

import resource
import subprocess
import sys
import time

import pytest

from redline.demo.loopback import LoopbackSite
from redline.ingest.fetch import Fetcher
from redline.monitor.check import check_batch
from redline.monitor.select import prepare_archive
from redline.registry.load import load_registry
from redline.store.sqlite import Archive

pytestmark = pytest.mark.slow
N = 5000


def write_sources(path, base: str) -> None:
    lines = ["version = 1", ""]
    for i in range(N):
        lines += ["[[source]]", f'name = "statement-{i:05d}"', f'url = "{base}/s/{i}.html"', 'profile = "generic"',
                  'tags = ["bulk"]', ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def test_five_thousand_sources_list_and_check_within_the_benchmarks_bounds(tmp_path) -> None:
    with LoopbackSite() as site:
        for i in range(N):
            site.put(f"/s/{i}.html", f"<html><head><title>S {i}</title></head><body><p>Statement {i} text, "
                                     f"with a few words in it.</p></body></html>".encode())
        sources = tmp_path / "sources.toml"
        write_sources(sources, site.base_url)
        started = time.monotonic()
        out = subprocess.run([sys.executable, "-c",
                              "import resource, sys; from redline.cli.main import main; code = main(sys.argv[1:]); "
                              "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); "
                              "sys.exit(code)", "sources", "list", "--json", "--sources", str(sources),
                              "--archive", str(tmp_path / "archive")], capture_output=True, text=True, timeout=300)
        listed = time.monotonic() - started
        assert out.returncode == 0, out.stderr[-1000:]
        assert out.stdout.count('"name": "statement-') == N
        peak_mb = int(out.stderr.strip().splitlines()[-1]) / 1024
        assert peak_mb < 400 and listed < 60, (peak_mb, listed)

        registry = load_registry(sources)
        with Archive(tmp_path / "archive") as archive, \
                Fetcher(per_host_delay=0, retries=0, timeout=10, allow_private="loopback",
                        per_host_concurrency=4) as fetcher:
            prepare_archive(archive, registry)
            started = time.monotonic()
            outcomes = check_batch(registry.statements(), archive=archive, fetcher=fetcher, run_id="bulk")
            checked = time.monotonic() - started
        assert len(outcomes) == N and [o.error for o in outcomes if o.error] == []
        assert checked < N * 0.05, f"{checked:.0f} s for {N} first checks (50 ms each at most)"
        assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 < 1500
