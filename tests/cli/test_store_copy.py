"""`redline store copy`: folder -> PostgreSQL + S3 -> folder, losslessly (every table, every blob,
the alert log), a destination that holds anything refused, ids that continue after the copy."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from redline.alerts.channels import Sinks
from redline.alerts.delivery import deliver_pending
from redline.alerts.sinks import JsonlSink
from redline.cli.main import main
from redline.monitor.cycle import check_host
from redline.store.blobs import FolderBlobs
from redline.store.copy import BLOB_PREFIXES, _blob_digest
from redline.store.copytables import ID_TABLES, live_tables, schema_tables, table_digest
from redline.store.postgres.dialect import GENERATED_IDS
from redline.store.sqlite import Archive, NewAlert
from redline.store.verify import verify_archive

WORDING = ("should play a leading role", "should play a central role")


@pytest.fixture
def folder_env(monkeypatch):
    monkeypatch.delenv("REDLINE_STORE", raising=False)
    monkeypatch.delenv("REDLINE_BLOBS", raising=False)


def _history(stack) -> str:
    """Two runs with a wording change in between: captures, versions, a change, an alert delivered to the log."""
    changed = next(n for n, t in stack.seeds.items() if WORDING[0] in t)
    log = JsonlSink(stack.archive.alerts_log, name="alert-log")
    for run_id in ("one", "two"):
        check_host(stack.archive, stack.registry.statements(), fetcher=stack.fetcher, sinks=Sinks({log.name: log}, {}),
                   run_id=run_id, failure_threshold=3)
        stack.serve(changed, stack.seeds[changed].replace(*WORDING))
    assert deliver_pending(stack.archive, {log.name: log}, deadline=30)[0]
    stack.archive.close()
    return changed


def _read(capsys, *argv: str) -> str:
    capsys.readouterr()
    assert main(list(argv)) == 0, capsys.readouterr()
    return capsys.readouterr().out


def _views(capsys, name: str, root: Path) -> tuple[list, str, str, list]:
    history = json.loads(_read(capsys, "history", name, "--archive", str(root), "--json"))["versions"]
    hits = json.loads(_read(capsys, "search", "cyberspace", "--archive", str(root), "--json"))
    found = sorted((h["source"], h["first_seq"], h["last_seq"], h["text"]) for h in hits)   # the index copied is searched
    assert found
    return history, _read(capsys, "show", name, "--version", "1", "--archive", str(root)), \
        _read(capsys, "show", name, "--archive", str(root)), found


def _contents(root: Path, **where) -> dict[str, tuple]:
    with Archive(root, **where) as archive:
        tables = {t: table_digest(archive, t) for t in schema_tables()}
        return {**tables, **{p: _blob_digest(archive.blobs, p) for p in BLOB_PREFIXES}}


def _use_shared(monkeypatch, seaweed, url: str, blobs: str) -> None:
    for name, value in seaweed.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("REDLINE_STORE", url)
    monkeypatch.setenv("REDLINE_BLOBS", blobs)


def test_the_tables_copied_are_every_table_the_index_holds_on_both_backends(tmp_path, pg_server, folder_env) -> None:
    for where in ({"store": ""}, {"store": pg_server.new_database()}):
        with Archive(tmp_path / where["store"][-8:], **where) as archive:
            assert live_tables(archive) == set(schema_tables()), archive.backend


def test_a_round_trip_folder_to_postgresql_and_s3_and_back_keeps_every_row_blob_and_view(
        stack, pg_server, seaweed, capsys, wide_console, tmp_path, monkeypatch, folder_env) -> None:
    name = _history(stack)
    source = stack.archive.root
    before, views = _contents(source, store=""), _views(capsys, name, source)
    assert before["alerts"][0] >= 1 and before["text_lines"][0] > 0 and before["warc/"].count > 0
    url, blobs, shared = pg_server.new_database(), seaweed.url(f"copy-{tmp_path.name}"), tmp_path / "shared"
    for key, value in seaweed.env().items():
        monkeypatch.setenv(key, value)
    out = _read(capsys, "store", "copy", "--archive", str(source), "--to", url, "--blobs", blobs,
                "--folder", str(shared))
    assert "rows: text_lines" in out and "NO" not in out and "0 error(s)" in out

    _use_shared(monkeypatch, seaweed, url, blobs)
    assert verify_archive(shared).errors == []
    assert _views(capsys, name, shared) == views
    back = tmp_path / "back"
    assert "0 error(s)" in _read(capsys, "store", "copy", "--archive", str(shared), "--to", str(back))
    assert (back / "alerts.jsonl").read_bytes() == (source / "alerts.jsonl").read_bytes()

    monkeypatch.delenv("REDLINE_STORE")
    monkeypatch.delenv("REDLINE_BLOBS")
    assert _contents(back) == before
    assert verify_archive(back).errors == [] and verify_archive(source).errors == []
    assert _views(capsys, name, back) == views


def test_a_destination_that_already_holds_an_archive_is_refused_in_one_line(
        stack, pg_server, capsys, tmp_path, folder_env) -> None:
    _history(stack)
    source, url = str(stack.archive.root), pg_server.new_database()
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine")
    capsys.readouterr()
    assert main(["store", "copy", "--archive", source, "--to", str(tmp_path / "full")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: the destination folder {tmp_path / 'full'} already holds") and "\n" not in err
    assert main(["store", "copy", "--archive", source, "--to", url, "--folder", str(tmp_path / "one")]) == 0
    capsys.readouterr()
    assert main(["store", "copy", "--archive", source, "--to", url, "--folder", str(tmp_path / "two")]) == 1
    err = capsys.readouterr().err.strip()
    assert "already holds" in err and "sources" in err and "nothing was copied" in err and "\n" not in err
    assert not (tmp_path / "two" / "alerts.jsonl").exists()


def test_ids_on_postgresql_continue_after_the_copied_ones(stack, pg_server, capsys, tmp_path, folder_env) -> None:
    name = _history(stack)
    url, shared = pg_server.new_database(), tmp_path / "shared"
    assert main(["store", "copy", "--archive", str(stack.archive.root), "--to", url, "--folder", str(shared)]) == 0
    with Archive(shared, store=url, blobs=FolderBlobs(stack.archive.root)) as archive:
        copied = archive.query("SELECT MAX(id) AS m FROM alerts")[0][0]
        new = archive.add_alert(name, NewAlert(kind="test", title="after the copy", url="https://example.org/",
                                               summary="a new alert"))
        for table in sorted(ID_TABLES - {"alerts"}):   # every other sequence: the next id is the copied max + 1
            top = archive.query(f"SELECT COALESCE(MAX(id), 0) AS m FROM {table}")[0][0]
            assert archive.query(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) AS n")[0][0] == top + 1
    assert copied >= 1 and new == copied + 1


def test_the_dialect_returns_the_generated_id_of_every_table_that_has_one() -> None:
    assert GENERATED_IDS == ID_TABLES


def test_a_source_index_with_a_table_the_schema_does_not_make_is_refused(stack, capsys, tmp_path, folder_env) -> None:
    _history(stack)
    db = sqlite3.connect(stack.archive.root / "index.sqlite")
    db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    db.commit()
    db.close()
    capsys.readouterr()
    assert main(["store", "copy", "--archive", str(stack.archive.root), "--to", str(tmp_path / "copy")]) == 1
    assert "tables notes unknown" in capsys.readouterr().err


def test_the_index_alone_moves_to_postgresql_and_the_blobs_stay_in_the_folder(
        stack, pg_server, capsys, wide_console, monkeypatch, folder_env) -> None:
    name = _history(stack)
    root, url = stack.archive.root, pg_server.new_database()
    views = _views(capsys, name, root)
    out = _read(capsys, "store", "copy", "--archive", str(root), "--to", url)
    assert "none copied" in out and "0 error(s)" in out
    monkeypatch.setenv("REDLINE_STORE", url)
    assert verify_archive(root).errors == [] and _views(capsys, name, root) == views


def test_tables_are_copied_a_few_rows_at_a_time_both_ways_and_arrive_whole(
        stack, pg_server, capsys, tmp_path, monkeypatch, folder_env) -> None:
    import redline.store.copytables as copytables

    _history(stack)
    root, url, shared = stack.archive.root, pg_server.new_database(), tmp_path / "shared"
    before = _contents(root)
    assert before["captures"][0] > 3 * 3        # several chunks of 3 in the tables that matter
    monkeypatch.setattr(copytables, "CHUNK", 3)
    chunks: dict[str, int] = {}
    plain = copytables.row_chunks

    def counted(archive, table, **kw):
        for rows in plain(archive, table, **kw):
            assert len(rows) <= 3
            chunks[table] = chunks.get(table, 0) + 1
            yield rows
    monkeypatch.setattr(copytables, "row_chunks", counted)
    assert main(["store", "copy", "--archive", str(root), "--to", url, "--folder", str(shared)]) == 0
    assert chunks["captures"] >= 2 * 3 and chunks["versions"] >= 2   # read in chunks: copy, then both digests
    assert _contents(shared, store=url, blobs=FolderBlobs(shared)) == before
    monkeypatch.setenv("REDLINE_STORE", url)
    assert main(["store", "copy", "--archive", str(shared), "--to", str(tmp_path / "back")]) == 0
    monkeypatch.delenv("REDLINE_STORE")
    assert _contents(tmp_path / "back") == before
    assert verify_archive(tmp_path / "back").errors == []
