"""The blob store contract (redline.store.blobs), the same tests over the archive's folder and a
real S3 endpoint (SeaweedFS started by the session's `seaweed` fixture): written once, a second
writer refused (412 on S3) and checked, concurrent writers of one key, list, ranges, a missing key."""
from __future__ import annotations

import gzip
import threading

import pytest

from redline.core.errors import ArchiveError
from redline.store.blobs import BlobConflict, BlobMissing, FolderBlobs
from redline.store.blobconfig import open_blobs
from redline.store.s3blobs import S3Blobs


@pytest.fixture(params=["folder", "s3"])
def blobs(request, tmp_path):
    if request.param == "folder":
        return FolderBlobs(tmp_path / "archive")
    return request.getfixturevalue("s3_blobs")


def test_a_blob_is_written_once_and_a_second_write_of_the_same_bytes_is_a_no_op(blobs) -> None:
    assert blobs.put_once("text/ab/cdef.txt.gz", b"first") is True
    assert blobs.put_once("text/ab/cdef.txt.gz", b"first") is False
    assert blobs.get("text/ab/cdef.txt.gz") == b"first"
    assert blobs.exists("text/ab/cdef.txt.gz") and not blobs.exists("text/ab/other.txt.gz")


def test_a_second_write_of_other_bytes_is_refused_in_one_line_and_the_first_is_kept(blobs) -> None:
    blobs.put_once("warc/2026/12/a.warc.gz", b"the original")
    with pytest.raises(BlobConflict) as err:
        blobs.put_once("warc/2026/12/a.warc.gz", b"something else")
    assert "warc/2026/12/a.warc.gz" in str(err.value) and "\n" not in str(err.value)
    assert blobs.get("warc/2026/12/a.warc.gz") == b"the original"


def test_an_existing_blob_with_other_bytes_but_the_same_meaning_is_accepted_by_matches(blobs) -> None:
    text = "同一段文字".encode()
    blobs.put_once("text/aa/x.txt.gz", gzip.compress(text, compresslevel=1, mtime=0))
    other_gzip = gzip.compress(text, compresslevel=9, mtime=1)
    assert blobs.put_once("text/aa/x.txt.gz", other_gzip,
                          matches=lambda existing: gzip.decompress(existing) == text) is False
    with pytest.raises(BlobConflict):
        blobs.put_once("text/aa/x.txt.gz", other_gzip, matches=lambda existing: False)


def test_concurrent_writers_of_one_key_write_it_exactly_once(blobs) -> None:
    writers, start, results, errors = 8, threading.Barrier(8), [], []

    def write() -> None:
        start.wait()
        try:
            results.append(blobs.put_once("text/cc/same.txt.gz", b"same bytes from every writer"))
        except Exception as exc:  # noqa: BLE001 (collected and asserted empty below)
            errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and sorted(results) == [False] * (writers - 1) + [True]
    assert blobs.get("text/cc/same.txt.gz") == b"same bytes from every writer"


def test_list_gives_every_key_under_a_prefix_sorted(blobs) -> None:
    for key in ["warc/2026/12/b.warc.gz", "warc/2026/11/a.warc.gz", "text/ab/c.txt.gz"]:
        blobs.put_once(key, key.encode())
    assert blobs.list("warc/") == ["warc/2026/11/a.warc.gz", "warc/2026/12/b.warc.gz"]
    assert blobs.list("feeds/") == []


def test_a_range_reads_only_those_bytes(blobs) -> None:
    blobs.put_once("warc/x.warc.gz", b"0123456789")
    assert blobs.get_range("warc/x.warc.gz", 3, 4) == b"3456"
    assert blobs.get_range("warc/x.warc.gz", 7) == b"789"


def test_put_replaces_a_feed_whole(blobs) -> None:
    blobs.put("feeds/alerts.xml", b"<feed>1</feed>")
    blobs.put("feeds/alerts.xml", b"<feed>2</feed>")
    assert blobs.get("feeds/alerts.xml") == b"<feed>2</feed>"


def test_a_missing_key_is_a_one_line_error_naming_the_key_and_the_store(blobs) -> None:
    with pytest.raises(BlobMissing) as err:
        blobs.get("text/zz/missing.txt.gz")
    message = str(err.value)
    assert "text/zz/missing.txt.gz" in message and blobs.where in message and "\n" not in message


def test_a_key_that_climbs_out_of_the_store_is_refused(blobs) -> None:
    with pytest.raises(ArchiveError, match="not a blob key"):
        blobs.put_once("../escaped", b"x")


def test_redline_blobs_chooses_the_store_and_an_unknown_one_is_refused(tmp_path, seaweed, monkeypatch) -> None:
    assert isinstance(open_blobs(tmp_path), FolderBlobs)
    for name, value in seaweed.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("REDLINE_BLOBS", seaweed.url("chosen"))
    store = open_blobs(tmp_path)
    assert isinstance(store, S3Blobs) and store.prefix == "chosen"
    store.put_once("text/ab/c.txt.gz", b"x")
    assert store.get("text/ab/c.txt.gz") == b"x"
    monkeypatch.setenv("REDLINE_BLOBS", "ftp://nowhere")
    with pytest.raises(ArchiveError, match="REDLINE_BLOBS='ftp://nowhere' is not a blob store"):
        open_blobs(tmp_path)


def test_an_unreachable_object_store_is_a_one_line_error(tmp_path) -> None:
    from support.seaweed import free_ports

    store = S3Blobs("redline", "p", endpoint=f"http://127.0.0.1:{free_ports(1)[0]}", access_key_id="k",
                    secret_access_key="s")
    with pytest.raises(ArchiveError) as err:
        store.put_once("text/ab/c.txt.gz", b"x")
    assert "cannot write text/ab/c.txt.gz in s3://redline/p" in str(err.value) and "\n" not in str(err.value)
