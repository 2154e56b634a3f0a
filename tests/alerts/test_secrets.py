"""Secrets in Apprise URLs (tokens, passwords) never reach logs, alerts, the archive or the terminal.

The channels are real Apprise JSON webhooks on a loopback server that answers 500, so
every delivery fails and its error is recorded and printed; logging runs at DEBUG for
every logger. Then every file of the archive (SQLite, its WAL, WARCs, logs, feeds) and
everything printed or logged is searched for the secrets, raw and %-encoded.
"""
from __future__ import annotations

import logging
from urllib.parse import quote

import pytest

from support.faultsite import Exchange, FaultSite
from redline.store.sqlite import Archive
from redline.cli.main import main
from redline.core.config import Settings
from redline.core.model import Source
from redline.monitor.check import check_batch
from redline.alerts.delivery import deliver_pending
from redline.alerts.feeds import refresh_feeds
from redline.alerts.channels import make_sinks

TOKEN = "T0kenq7Zx81wPbN3"
PASSWORD = "pA55w0rdZr9Kx"
OPS_TOKEN = "0psT0kenV6yL2m"
SECRETS = (TOKEN, PASSWORD, OPS_TOKEN)
WORDING = ("should play a leading role", "should play a central role")


def leaks(data: bytes) -> list[str]:
    return [s for s in SECRETS for form in {s, quote(s)} if form.encode() in data]


@pytest.fixture
def webhook():
    posted: list[str] = []

    def refuse(ex: Exchange) -> None:
        ex.body()
        posted.append(ex.path)
        ex.respond(500, b"internal error", {"Content-Type": "text/plain"})

    with FaultSite() as site:
        site.route(f"/hooks/{TOKEN}", refuse)
        site.route(f"/ops/{OPS_TOKEN}", refuse)
        site.posted = posted  # type: ignore[attr-defined]
        yield site


def test_tokens_in_apprise_urls_never_reach_the_archive_logs_or_output(stack, webhook, monkeypatch, caplog,
                                                                        capsys) -> None:
    monkeypatch.setenv("REDLINE_APPRISE_URLS", f"json://alice:{PASSWORD}@{webhook.netloc}/hooks/{TOKEN}?rto=3")
    monkeypatch.setenv("REDLINE_OPERATOR_APPRISE_URLS", f"json://{webhook.netloc}/ops/{OPS_TOKEN}?rto=3")
    caplog.set_level(logging.DEBUG)  # every logger, every level
    root = stack.archive.root
    settings = Settings.resolve(archive=str(root), sources=str(stack.registry.path))
    sinks = make_sinks(stack.archive, settings)
    assert not leaks(" ".join(sinks.all()).encode())  # sink names are what the archive stores

    name = next(n for n, t in stack.seeds.items() if WORDING[0] in t)
    stack.serve(name, stack.seeds[name].replace(*WORDING))
    dead = Source(name="dead", url="http://127.0.0.1:9/gone.html")
    stack.archive.sync_sources([dead])
    outcomes = check_batch([*stack.registry.statements(), dead], archive=stack.archive, fetcher=stack.fetcher,
                           run_id="t", sinks=list(sinks.monitor), operator_sinks=list(sinks.operator),
                           failure_threshold=1)
    assert sum(o.alert_id is not None for o in outcomes) == 1  # the wording change
    delivered, errors = deliver_pending(stack.archive, sinks.all())
    refresh_feeds(stack.archive)
    assert delivered == 2 and len(errors) == 2  # the logs took them; both webhooks answered 500
    assert sorted(webhook.posted) == sorted([f"/hooks/{TOKEN}", f"/ops/{OPS_TOKEN}"])  # the secrets were used
    failed = stack.archive.query("SELECT last_error FROM deliveries WHERE status='failed'")
    assert len(failed) == 2 and all("500" in r["last_error"] or "error" in r["last_error"] for r in failed)
    for line in errors:
        print(f"delivery failed: {line}")  # as `redline run` prints them

    code = main(["notify", "--test", "--archive", str(root), "--sources", str(stack.registry.path)])
    assert code == 1  # both channels failed, and said so

    out = capsys.readouterr()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "failed" in out.out and "***" in out.out
    assert leaks((out.out + out.err + logged).encode()) == [], "a secret was printed or logged"
    for path in sorted(root.rglob("*")):
        if path.is_file():
            assert leaks(path.read_bytes()) == [], f"a secret is in {path.relative_to(root)}"
    with Archive(root) as archive:  # and after SQLite folds its WAL into the database
        assert archive.counts()["deliveries"] >= 4
        if archive.backend == "postgresql":  # every value of every row of the index
            tables = [r["table_name"] for r in archive.query(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")]
            assert "deliveries" in tables
            for table in tables:
                rows = archive.query(f"SELECT * FROM {table}")
                assert leaks(repr([tuple(r) for r in rows]).encode()) == [], f"a secret is in the index's {table}"
    if (root / "index.sqlite").exists() or archive.backend == "sqlite":
        assert leaks((root / "index.sqlite").read_bytes()) == []
