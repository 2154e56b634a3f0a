"""`redline rebuild-index` on the shared index (PostgreSQL): rebuilt in place from the WARC files
of the blob store (S3 here, or the folder), alone: refused while another redline has the index
open, and no run opens it while the rebuild holds it."""
from __future__ import annotations

import os

import pytest

from redline.cli.main import main
from redline.core.errors import ArchiveError
from redline.store.sqlite import Archive
from support.rebuilt import _history, _record


@pytest.fixture
def shared_stack(pg_server, monkeypatch, request):
    """The stack with its index in a fresh PostgreSQL database and its blobs as configured by the test."""
    monkeypatch.setenv("REDLINE_STORE", pg_server.new_database())
    stack = request.getfixturevalue("stack")
    assert stack.archive.backend == "postgresql"
    return stack


@pytest.fixture
def on_s3(seaweed, monkeypatch, tmp_path):
    for name, value in seaweed.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("REDLINE_BLOBS", seaweed.url(f"rebuild-{tmp_path.name}"))


@pytest.fixture
def in_folder(monkeypatch):
    monkeypatch.delenv("REDLINE_BLOBS", raising=False)


def _counts(root) -> dict:
    with Archive(root) as archive:
        return archive.counts()


def _verify_clean(capsys, root) -> None:
    capsys.readouterr()
    assert main(["verify", "--archive", str(root)]) == 0
    assert "0 error(s), 0 warning(s)" in capsys.readouterr().out


def test_a_lost_shared_index_is_rebuilt_from_the_warc_files_on_s3_as_the_runs_recorded_it(
        on_s3, shared_stack, pg_server, capsys) -> None:
    root, _, _ = _history(shared_stack)
    assert shared_stack.archive.blobs.where.startswith("s3://")
    before, counts = _record(shared_stack.archive), shared_stack.archive.counts()
    shared_stack.archive.close()
    database = os.environ["REDLINE_STORE"].rsplit("/", 1)[1]
    pg_server.sql(database, "DROP SCHEMA public CASCADE; CREATE SCHEMA public")   # the index lost
    capsys.readouterr()
    assert main(["status", "--archive", str(root)]) == 1   # never started afresh (alert ids would be used again)
    err = capsys.readouterr().err.strip()
    assert "has no index in postgresql://" in err and "an alert log" in err and "redline rebuild-index" in err
    assert "\n" not in err
    capsys.readouterr()
    assert main(["rebuild-index", "--archive", str(root), "--sources", str(shared_stack.registry.path)]) == 0
    out = capsys.readouterr().out
    assert "rebuilt index at postgresql://" in out and "2 alerts from the logs" in out and "kept as" not in out
    with Archive(root) as archive:
        assert archive.backend == "postgresql" and _record(archive) == before and archive.counts() == counts
    assert not list(root.glob("index*.sqlite*"))      # nothing of the SQLite build is left in the folder
    _verify_clean(capsys, root)


def test_rebuilding_a_shared_index_that_reads_fine_needs_force_and_keeps_its_rows_beside(
        in_folder, shared_stack, capsys) -> None:
    root, _, _ = _history(shared_stack)
    before, counts = _record(shared_stack.archive), shared_stack.archive.counts()
    shared_stack.archive.close()
    capsys.readouterr()
    assert main(["rebuild-index", "--archive", str(root)]) == 1
    err = capsys.readouterr().err.strip()
    assert "reads fine" in err and "nothing was changed" in err and "\n" not in err
    assert main(["rebuild-index", "--force", "--archive", str(root), "--sources", str(shared_stack.registry.path)]) == 0
    out = capsys.readouterr().out
    assert "kept as index.sqlite.old-" in out
    kept = next(root.glob("index.sqlite.old-*"))
    with Archive(root, store="", index=kept.name) as old:   # the rows it replaced, readable as an SQLite index
        assert old.counts() == counts
    with Archive(root) as archive:
        assert _record(archive) == before and archive.counts() == counts
    _verify_clean(capsys, root)


def test_a_rebuild_is_refused_in_one_line_while_another_redline_has_the_shared_index_open(
        in_folder, shared_stack, capsys) -> None:
    root, _, _ = _history(shared_stack)
    counts = shared_stack.archive.counts()   # the stack's archive stays open: a worker's
    capsys.readouterr()
    assert main(["rebuild-index", "--force", "--archive", str(root)]) == 1
    err = capsys.readouterr().err.strip()
    assert "needs the archive index at postgresql://" in err and "1 other redline process(es)" in err
    assert "redline pid" in err and "stop the workers" in err and "\n" not in err and "Traceback" not in err
    assert shared_stack.archive.counts() == counts        # nothing changed, and the worker reads on


def test_no_archive_opens_the_shared_index_while_a_rebuild_holds_it(in_folder, shared_stack) -> None:
    root = shared_stack.archive.root
    shared_stack.archive.close()
    with Archive(root) as rebuilding, rebuilding.sole_use("rebuild-index"):
        with pytest.raises(ArchiveError, match=r"is being rebuilt \(redline rebuild-index\); nothing was done"):
            Archive(root)
    with Archive(root) as again:      # released: runs open it again
        assert again.counts()["sources"] == len(shared_stack.registry.statements())


def test_a_new_worker_folder_on_a_shared_index_that_lost_its_tables_is_refused_not_started_afresh(
        on_s3, shared_stack, pg_server, tmp_path) -> None:
    _history(shared_stack)
    shared_stack.archive.close()
    pg_server.sql(os.environ["REDLINE_STORE"].rsplit("/", 1)[1], "DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    with pytest.raises(ArchiveError, match=r"has no index in postgresql://.* but holds WARC files in s3://"):
        Archive(tmp_path / "new-worker")
