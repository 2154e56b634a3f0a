"""The helpers of the shared backend's benchmarks (bench/bench_workers.py, bench_checks.py,
report.py); the benchmarks themselves run under `make bench`, never here."""
from __future__ import annotations

import importlib.util
import sys
from argparse import Namespace
from pathlib import Path

import pytest

from redline.core.model import Source
from redline.monitor.select import group_by_host
from redline.registry.load import load_registry

BENCH = Path(__file__).resolve().parents[2] / "bench"


def bench_module(name: str):
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(f"bench_{name}_under_test", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_shard_tags_give_each_worker_every_other_host_whole(tmp_path: Path) -> None:
    site = bench_module("site")
    hosts = [(f"http://127.0.0.{k + 1}:8000", 3) for k in range(4)]
    path = tmp_path / "sources.toml"
    path.write_text(site.registry_text(hosts, shards=2), encoding="utf-8")
    registry = load_registry(path)
    shard0 = group_by_host(registry.select(tags=["shard-0"]))
    shard1 = group_by_host(registry.select(tags=["shard-1"]))
    assert sorted(shard0) == ["127.0.0.1", "127.0.0.3"] and sorted(shard1) == ["127.0.0.2", "127.0.0.4"]
    assert all(len(batch) == 3 for batch in [*shard0.values(), *shard1.values()])
    assert len(registry.select(tags=["bench"])) == 12
    assert len({s.name for s in registry.sources}) == 12


def test_a_cycle_of_two_workers_lasts_from_the_first_start_to_the_last_end() -> None:
    workers = bench_module("bench_workers")
    span, checked, errors = workers.cycle_span([{"start": 10.0, "end": 14.0, "checked": 5, "errors": 0},
                                                {"start": 11.0, "end": 16.5, "checked": 7, "errors": 1}])
    assert (span, checked, errors) == (6.5, 12, 1)


def test_the_politeness_bound_counts_only_the_hosts_checked_at_once() -> None:
    workers = bench_module("bench_workers")
    assert workers.bound_pages_per_second(8, 0.02, 4, 1) == pytest.approx(200)
    assert workers.bound_pages_per_second(8, 0.02, 4, 2) == pytest.approx(400)
    assert workers.bound_pages_per_second(3, 0.5, 4, 2) == pytest.approx(6)
    assert workers.bound_pages_per_second(8, 0, 4, 2) == float("inf")


def test_the_threaded_hosts_return_every_outcome_in_host_order() -> None:
    workers = bench_module("bench_workers")
    groups = {h: [Source(name=f"{h}-{i}", url=f"https://{h}.example/{i}", title="t") for i in range(3)]
              for h in ("a", "b", "c")}
    outcomes = workers.threaded_hosts(2)(groups, lambda sources: [s.name for s in sources])
    assert outcomes == [s.name for batch in groups.values() for s in batch]


def test_the_worker_report_compares_pages_per_second_with_one_worker() -> None:
    workers = bench_module("bench_workers")
    run = {"worker_cpu": 2.0, "postgresql": 1.0, "seaweedfs": 0.5, "rss_mb": 120.0}
    rows = {("unchanged-304", 1): [{"wall": 10.0, **run}, {"wall": 12.0, **run}, {"wall": 30.0, **run}],
            ("unchanged-304", 2): [{"wall": 8.0, **run}, {"wall": 6.0, **run}, {"wall": 10.0, **run}]}
    args = Namespace(hosts=8, delay=0.02, concurrency=2, threads=4, repeats=3)
    table = workers.report(rows, n=1000, args=args, load=[1.0, 2.0])
    # pairs: 10/8, 12/6, 30/10 -> median 2.00 (not the ratio of the medians, 12/8)
    assert ("| unchanged-304 | 2 | 8.0 s | 125 | 2.00× (1.25, 2.00, 3.00) | 400 pages/s | 2.00 ms | 1.00 ms "
            "| 0.50 ms | 120 MB |") in table
    assert "| unchanged-304 | 1 | 12.0 s | 83 | 1 | 200 pages/s |" in table


def test_splicing_replaces_a_section_and_appends_a_missing_one() -> None:
    report = bench_module("report")
    doc = "# B\n\n## One\n\nold\n\n## Two\n\nkeep\n"
    out = report.splice(doc, ["## One", "", "new", "", "## Three", "", "added", ""])
    assert out == "# B\n\n## One\n\nnew\n\n## Two\n\nkeep\n\n## Three\n\nadded\n"


def test_the_backend_table_divides_shared_by_folder_per_check() -> None:
    checks = bench_module("bench_checks")
    assert checks.delta({"bytes": 300.0, "files": 4.0}, {"bytes": 100.0, "files": 2.0}, 100) == \
        {"bytes": 2.0, "files": 0.02}
    rows = checks.ratio_rows([("cold", 1.0, 10.0, {})], [("cold", 3.0, 25.0, {})])
    assert rows[-1] == "| cold | 10.00 ms | 25.00 ms | 2.50× |"
