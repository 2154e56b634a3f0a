"""Unchanged checks are archived in batches (issue #7): one WARC file and one transaction per
batch, one record per check; anything that is news is still archived by its own check."""
from __future__ import annotations

import gzip
import io
import subprocess
import sys
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from redline.store import readmodel as views
from redline.store.sqlite import is_batch_file
from redline.store.batching import UnchangedBatch
from redline.store.export import export_warc
from redline.monitor.check import check_batch, check_source
from redline.store.verify import verify_archive

WORDING = ("should play a leading role", "should play a central role")


def cycle(stack, run_id: str, **kw):
    return check_batch(stack.registry.statements(), archive=stack.archive, fetcher=stack.fetcher,
                       run_id=run_id, **kw)


def captures(stack, run_id: str):
    return stack.archive.query("SELECT * FROM captures WHERE run_id=? ORDER BY id", (run_id,))


def warc_files(stack) -> list[Path]:
    return sorted((stack.archive.root / "warc").rglob("*.warc.gz"))


def changed_name(stack) -> str:
    return next(n for n, t in stack.seeds.items() if WORDING[0] in t)


def test_the_unchanged_checks_of_a_cycle_share_one_warc_file_with_one_response_record_each(stack) -> None:
    cycle(stack, "1")
    before = set(warc_files(stack))
    outcomes = cycle(stack, "2")
    assert all(o.not_modified and o.error is None for o in outcomes)
    new = set(warc_files(stack)) - before
    assert len(new) == 1 and is_batch_file(str(next(iter(new))))
    rows = captures(stack, "2")
    assert len(rows) == len(outcomes) == 5 and {r["warc_path"] for r in rows} == {
        str(next(iter(new)).relative_to(stack.archive.root))}
    data = next(iter(new)).read_bytes()
    for row in rows:  # each row points at its own record, which is its whole span
        [record] = list(ArchiveIterator(io.BytesIO(data[row["warc_offset"]:row["warc_offset"] + row["warc_length"]])))
        assert record.rec_type == "response" and record.http_headers.get_statuscode() == "304"
        assert record.rec_headers.get_header("WARC-Record-ID") == row["warc_record_id"]
        assert record.rec_headers.get_header("WARC-Target-URI") == row["final_url"]
    assert sum(r["warc_length"] for r in rows) == len(data)
    assert verify_archive(stack.archive.root).problems == []


def test_a_batch_is_written_every_batch_size_checks_and_at_the_end(stack) -> None:
    cycle(stack, "1")
    before = set(warc_files(stack))
    cycle(stack, "2", batch_size=2)
    new = sorted(set(warc_files(stack)) - before)
    assert len(new) == 3  # 2 + 2 + the last one
    assert sorted(len(list(ArchiveIterator(open(p, "rb")))) for p in new) == [1, 2, 2]


def test_news_is_archived_by_its_own_check_beside_the_batch(stack) -> None:
    cycle(stack, "1")
    name = changed_name(stack)
    stack.serve(name, stack.seeds[name].replace(*WORDING))
    outcomes = {o.source: o for o in cycle(stack, "2")}
    assert outcomes[name].alert_id is not None
    rows = {r["source"]: r for r in captures(stack, "2")}
    assert not is_batch_file(rows[name]["warc_path"])
    assert all(is_batch_file(r["warc_path"]) for n, r in rows.items() if n != name)
    with open(stack.archive.root / rows[name]["warc_path"], "rb") as fh:
        assert [r.rec_type for r in ArchiveIterator(fh)][:2] == ["request", "response"]


def test_a_failing_source_that_answers_again_is_archived_at_once_and_recovers(stack) -> None:
    cycle(stack, "1")
    name = changed_name(stack)
    stack.site.put(stack.path_of(name), b"busy", status=503)
    for run in ("f1", "f2", "f3"):
        cycle(stack, run, failure_threshold=3)
    assert stack.archive.health(name) == "failing"
    stack.serve(name)
    outcomes = {o.source: o for o in cycle(stack, "back", failure_threshold=3)}
    assert outcomes[name].not_modified and "operator_alert" in outcomes[name].extra
    row = next(r for r in captures(stack, "back") if r["source"] == name)
    assert not is_batch_file(row["warc_path"]) and stack.archive.health(name) == "ok"
    assert stack.archive.source_row(name)["failures"] == 0


def test_a_batch_never_written_loses_only_the_checked_unchanged_rows(stack) -> None:
    """A run killed before its batch is written: no row, no file, and the next check works as before."""
    cycle(stack, "1")
    state_before = [dict(r) for r in stack.archive.sources()]
    batch = UnchangedBatch(stack.archive)
    for source in stack.registry.statements():
        check_source(source, archive=stack.archive, fetcher=stack.fetcher, run_id="killed", batch=batch)
    assert len(batch._pending) == 5  # ...and the process dies here
    assert captures(stack, "killed") == [] and [dict(r) for r in stack.archive.sources()] == state_before
    assert verify_archive(stack.archive.root).errors == []
    assert all(o.not_modified for o in cycle(stack, "next")) and len(captures(stack, "next")) == 5


def test_a_batch_written_after_a_newer_check_keeps_the_newer_state(stack) -> None:
    cycle(stack, "1")
    name = changed_name(stack)
    source = stack.registry.by_name(name)
    batch = UnchangedBatch(stack.archive)
    check_source(source, archive=stack.archive, fetcher=stack.fetcher, run_id="slow", batch=batch)
    stack.site.put(stack.path_of(name), b"busy", status=503)
    check_source(source, archive=stack.archive, fetcher=stack.fetcher, run_id="fast")  # commits first
    batch.flush()
    row = stack.archive.source_row(name)
    assert row["failures"] == 1 and row["last_status"] == 503 and len(captures(stack, "slow")) == 1


def test_a_batch_that_cannot_be_written_is_an_error_line_on_its_sources_only(stack, monkeypatch) -> None:
    cycle(stack, "1")
    name = changed_name(stack)
    stack.serve(name, stack.seeds[name].replace(*WORDING))

    def full_disk(path, key, data, matches):
        if is_batch_file(key):
            raise OSError(28, "No space left on device")
        return real(path, key, data, matches)

    blobs = stack.archive.blobs   # batch files are written once, through the folder's blob store
    real = blobs._link_new
    monkeypatch.setattr(blobs, "_link_new", full_disk)
    outcomes = {o.source: o for o in cycle(stack, "2")}
    assert outcomes[name].error is None and outcomes[name].alert_id is not None
    lost = [o for n, o in outcomes.items() if n != name]
    assert len(lost) == 4 and all("could not be archived" in o.error and "No space left" in o.error for o in lost)
    assert [r["source"] for r in captures(stack, "2")] == [name]


def test_export_and_the_browse_warc_link_give_only_the_sources_own_records(stack, tmp_path) -> None:
    cycle(stack, "1")
    cycle(stack, "2")
    name = changed_name(stack)
    out = tmp_path / "one.warc.gz"
    result = export_warc(stack.archive, name, out)
    check = subprocess.run([str(Path(sys.executable).with_name("warcio")), "check", str(out)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    url = stack.archive.source_row(name)["url"]
    with open(out, "rb") as fh:
        uris = {r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(fh) if r.rec_type != "warcinfo"}
    assert uris == {url} and result.items == 2
    row = captures(stack, "2")[0]
    piece = views.capture_warc(stack.archive, views.capture_info(stack.archive, row["source"], row["id"]))
    [record] = list(ArchiveIterator(io.BytesIO(piece.read())))
    assert record.rec_headers.get_header("WARC-Record-ID") == row["warc_record_id"]
    assert gzip.decompress(piece.read()).startswith(b"WARC/1.")


def test_identical_200s_are_batched_as_revisits_of_the_first_capture(tmp_path) -> None:
    from redline.store.sqlite import Archive
    from redline.ingest.fetch import Fetcher
    from redline.demo.loopback import LoopbackSite
    from redline.core.model import Source

    page = ("<html><body><div id='News_Body_Txt_A'><p>China stands ready to work with all parties."
            "</p></div></body></html>").encode()
    with LoopbackSite(conditional=False) as site, Archive(tmp_path / "a") as archive, \
            Fetcher(per_host_delay=0, retries=0, timeout=5, allow_private="loopback") as fetcher:
        sources = [Source(name=f"s{i}", url=site.url(f"/{i}.html"), profile="mfa_zh") for i in range(3)]
        for i in range(3):
            site.put(f"/{i}.html", page)
        archive.sync_sources(sources)
        check_batch(sources, archive=archive, fetcher=fetcher, run_id="1")
        check_batch(sources, archive=archive, fetcher=fetcher, run_id="2")
        rows = archive.query("SELECT * FROM captures WHERE run_id='2'")
        assert len(rows) == 3 and all(r["revisit"] and is_batch_file(r["warc_path"]) for r in rows)
        assert all(archive.raw_body(r["id"]) == page and r["body_bytes"] == len(page) for r in rows)
        assert len({r["warc_path"] for r in rows}) == 1
        assert verify_archive(archive.root).problems == []


def test_verify_names_a_batch_row_whose_record_length_is_wrong(stack) -> None:
    cycle(stack, "1")
    cycle(stack, "2")
    row = captures(stack, "2")[0]
    stack.archive._db.execute("UPDATE captures SET warc_length=warc_length-1 WHERE id=?", (row["id"],))
    [problem] = verify_archive(stack.archive.root).errors
    assert f"capture {row['id']}" in str(problem) and f"not the {row['warc_length'] - 1} recorded" in str(problem)


def test_a_waiting_check_keeps_no_body_but_its_row_says_how_long_it_was(tmp_path) -> None:
    from datetime import datetime, timezone

    from redline.store.sqlite import SourceState
    from redline.store.batching import pending_check
    from redline.core.model import FetchResult
    from redline.store.warc import RevisitOf

    body = b"<html>" + b"x" * 30_000 + b"</html>"
    result = FetchResult(url="http://a.example/", final_url="http://a.example/", status=200, body=body,
                         text=body.decode(), fetched_at=datetime(2026, 11, 22, tzinfo=timezone.utc))
    state = SourceState(name="a", etag=None, last_modified=None, last_raw_sha256=None, failures=0,
                        version_id=None, version_seq=0, text_sha256=None, normalizer_version=None,
                        version_capture_id=None)
    check = pending_check(state, result, run_id="r", revisit_of=RevisitOf("<urn:uuid:x>", result.url, result.fetched_at))
    assert check.result.body == b"" and check.result.text is None and check.body_bytes == len(body)
    assert check.revisit and len(check.record) < 1000


def test_a_source_with_a_failing_episode_open_is_not_batched_and_gets_its_recovered_alert(stack) -> None:
    """A run that died between a check and its health update leaves failures at 0 and the
    episode 'failing': the next unchanged check must still close it (batched checks skip it)."""
    cycle(stack, "1")
    name = stack.registry.statements()[0].name
    stack.archive.record_health(name, "failing")
    assert stack.archive.state(name).health == "failing"
    outcomes = {o.source: o for o in cycle(stack, "2")}
    assert outcomes[name].not_modified and outcomes[name].extra.get("operator_alert") is not None
    assert stack.archive.state(name).health == "ok"
    rows = {r["source"]: r for r in captures(stack, "2")}
    assert not is_batch_file(rows[name]["warc_path"])
    assert all(is_batch_file(r["warc_path"]) for n, r in rows.items() if n != name)
    kinds = [r["kind"] for r in stack.archive.query("SELECT kind FROM alerts WHERE source=?", (name,))]
    assert kinds.count("recovered") == 1


def test_the_state_a_check_reads_is_the_source_row_its_latest_version_and_its_health(stack) -> None:
    name = stack.registry.statements()[0].name
    cycle(stack, "1")
    state = stack.archive.state(name)
    latest = stack.archive.latest_version(name)
    row = stack.archive.source_row(name)
    assert (state.version_id, state.version_seq, state.text_sha256, state.version_capture_id,
            state.normalizer_version) == (latest.id, latest.seq, latest.text_sha256, latest.capture_id,
                                          latest.normalizer_version)
    assert (state.etag, state.failures, state.checks, state.health) == (row["etag"], 0, row["checks"], "ok")
