"""Search the whole record (issue 16, part 3): every version's text, English and Chinese, each
hit with the versions it stood in and where it ended."""
from __future__ import annotations

import json

import pytest

from redline.alerts.channels import Sinks
from redline.alerts.sinks import JsonlSink
from redline.cli.main import main
from redline.monitor.cycle import check_host
from redline.store.readsearch import search, snippet
from redline.store.sqlite import Archive

WORDING = ("should play a leading role", "should play a central role")
ZH = ("中方愿同东盟国家一道，构建网络空间命运共同体。\n"
      "双方重申，联合国应在网络空间国际规则制定中发挥主导作用。\n"
      "双方同意尊重网络主权。")


def _check(stack, run_id: str) -> None:
    sinks = Sinks({"alert-log": JsonlSink(stack.archive.alerts_log, name="alert-log")}, {})
    check_host(stack.archive, stack.registry.statements(), fetcher=stack.fetcher, sinks=sinks, run_id=run_id,
               failure_threshold=3)


def _history(stack) -> tuple[str, str]:
    """v1 (baseline) -> v2 wording changed -> (another source) a Chinese text, then one line dropped."""
    changed = next(n for n, t in stack.seeds.items() if WORDING[0] in t)
    chinese = next(n for n in stack.seeds if n != changed)
    _check(stack, "one")
    stack.serve(changed, stack.seeds[changed].replace(*WORDING))
    stack.serve(chinese, ZH)
    _check(stack, "two")
    stack.serve(chinese, ZH.replace("\n双方同意尊重网络主权。", ""))
    _check(stack, "three")
    return changed, chinese


def test_a_removed_phrase_shows_the_versions_it_stood_in_and_where_it_ended(stack) -> None:
    changed, _ = _history(stack)
    v = {x.seq: x for x in stack.archive.versions(changed)}
    [old] = search(stack.archive, "Leading ROLE", source=changed)
    assert (old.first_seq, old.last_seq, old.ended_seq) == (1, 1, 2) and not old.stands
    assert old.ended_seen == v[2].first_seen and old.match == "leading role"
    [new] = search(stack.archive, "central role")
    assert (new.source, new.first_seq, new.ended_seq) == (changed, 2, None) and new.stands


def test_chinese_is_found_without_spaces_and_a_dropped_line_says_where_it_ended(stack) -> None:
    _, chinese = _history(stack)
    hits = search(stack.archive, "网络空间命运共同体")
    assert [(h.source, h.first_seq, h.stands) for h in hits] == [(chinese, 2, True)]
    [sovereignty] = search(stack.archive, "网络主权")
    assert (sovereignty.first_seq, sovereignty.last_seq, sovereignty.ended_seq) == (2, 2, 3)
    assert {h.source for h in search(stack.archive, "主导")} == {chinese}   # shorter than a trigram too


def test_since_keeps_only_hits_that_still_stood_then(stack) -> None:
    changed, _ = _history(stack)
    after_change = stack.archive.versions(changed)[1].first_seen
    assert search(stack.archive, "leading role", since=after_change[:10] + "T23:59:59+00:00") == []
    assert len(search(stack.archive, "central role", since=after_change)) == 1


@pytest.mark.sqlite_only  # an index.sqlite from before schema 7
def test_an_archive_from_before_the_search_index_is_indexed_on_first_open(stack) -> None:
    changed, _ = _history(stack)
    before = search(stack.archive, "leading role")
    root = stack.archive.root
    stack.archive.close()
    import sqlite3

    db = sqlite3.connect(root / "index.sqlite")
    db.executescript("DELETE FROM line_spans; DELETE FROM text_lines; INSERT INTO line_search(line_search) "
                     "VALUES ('rebuild'); UPDATE meta SET value='pending' WHERE key='search_backfill';")
    db.close()
    with Archive(root) as archive:
        assert search(archive, "leading role") == before


def test_a_snippet_is_cut_around_the_match_with_ellipses() -> None:
    text = "x" * 300 + " the UN should play a leading role " + "y" * 300
    before, match, after = snippet(text, "LEADING role", width=60)
    assert match == "leading role" and before.startswith("…") and after.endswith("…")
    assert len(before) + len(match) + len(after) <= 64


def test_redline_search_prints_a_row_per_hit_and_json(stack, capsys) -> None:
    changed, _ = _history(stack)
    root = str(stack.archive.root)
    assert main(["search", "leading role", "--archive", root]) == 0
    out = capsys.readouterr().out.splitlines()       # piped: a header and one tab-separated line per hit
    assert out[0].split("\t") == ["source", "versions", "first seen", "until", "text"]
    assert out[1].split("\t")[:2] == [changed, "v1"] and "ended v2" in out[1] and "«leading role»" in out[1]
    assert main(["search", "网络主权", "--json", "--archive", root]) == 0
    [hit] = json.loads(capsys.readouterr().out)
    assert hit["ended_seq"] == 3 and hit["match"] == "网络主权" and hit["stands"] is False


def test_the_web_view_searches_and_its_json_twin_gives_the_same_hits(stack) -> None:
    from redline.web.app import create_app
    from support.browse_stack import Client

    changed, chinese = _history(stack)
    client = Client(create_app(stack.archive))
    page = client.get("/search?q=leading+role").text
    assert "<mark>leading role</mark>" in page and "ended in" in page and f"compare?a=1&amp;b=2" in page
    assert 'action="/search"' in client.get("/alerts").text          # the search box is on every page
    api = client.get("/api/search?q=网络主权").json()
    assert [(h["source"], h["first_seq"], h["ended_seq"]) for h in api["hits"]] == [(chinese, 2, 3)]
    assert client.get("/search").status_code == 200 and client.get("/api/search?q=").json()["hits"] == []
    assert client.get("/search?q=<script>alert(1)</script>").text.count("<script>alert(1)") == 0   # escaped


@pytest.mark.sqlite_only  # the FTS5 index; on PostgreSQL pg_trgm's GIN index is kept by each insert
def test_a_search_first_indexes_the_lines_checks_committed_since_the_last_one_once(stack) -> None:
    import sqlite3

    _check(stack, "one")
    db = sqlite3.connect(stack.archive.root / "index.sqlite")
    count = "SELECT (SELECT count(*) FROM text_lines), (SELECT count(*) FROM line_search_docsize)"
    lines, indexed = db.execute(count).fetchone()
    assert lines > 0 and indexed == 0   # the checks left the trigrams to the next search
    changed = next(n for n, t in stack.seeds.items() if WORDING[0] in t)
    assert [h.source for h in search(stack.archive, "leading role")] == [changed]
    assert db.execute(count).fetchone() == (lines, lines)
    stack.serve(changed, stack.seeds[changed].replace(*WORDING))
    _check(stack, "two")
    assert [h.first_seq for h in search(stack.archive, "central role")] == [2]
    assert search(stack.archive, "central role")   # a second search indexes nothing again
    assert db.execute(count).fetchone() == (lines + 1, lines + 1)
    db.close()


@pytest.mark.sqlite_only  # an index.sqlite of schema 7: positional trigrams, a trigger indexing each line as inserted
def test_an_index_of_schema_7_gets_the_index_without_positions_filled_again_by_the_next_search(stack) -> None:
    import sqlite3

    from redline.store.sqlite.search import SEARCH_MIGRATION

    _check(stack, "one")
    changed = next(n for n, t in stack.seeds.items() if WORDING[0] in t)
    root = stack.archive.root
    stack.archive.close()
    db = sqlite3.connect(root / "index.sqlite")
    db.executescript(f"DROP TABLE line_search; {SEARCH_MIGRATION[1]}; {SEARCH_MIGRATION[2]}; "
                     "INSERT INTO line_search(line_search) VALUES ('rebuild'); DELETE FROM meta WHERE key='search_indexed'; "
                     "UPDATE meta SET value='7' WHERE key='schema_version';")
    db.close()
    with Archive(root) as archive:
        stack.archive = archive
        count = "SELECT (SELECT count(*) FROM text_lines) AS lines, (SELECT count(*) FROM line_search_docsize) AS fts"
        before = archive.query(count)[0]
        assert before["lines"] > 0 and before["fts"] == 0   # the positional index is gone, left to the next search
        assert "detail=none" in archive.query("SELECT sql FROM sqlite_master WHERE name='line_search'")[0]["sql"]
        assert not archive.query("SELECT 1 FROM sqlite_master WHERE name='text_lines_search'")
        stack.serve(changed, stack.seeds[changed].replace(*WORDING))
        _check(stack, "two")
        assert [h.first_seq for h in search(archive, "central role")] == [2] and search(archive, "leading role")
        after = archive.query(count)[0]
        assert after["lines"] == after["fts"] == before["lines"] + 1


@pytest.mark.sqlite_only
def test_lines_not_yet_indexed_are_found_when_the_index_cannot_be_written(stack, monkeypatch) -> None:
    from redline.core.errors import ArchiveError

    _check(stack, "one")
    changed = next(n for n, t in stack.seeds.items() if WORDING[0] in t)

    def read_only():
        raise ArchiveError("attempt to write a readonly database")

    monkeypatch.setattr(stack.archive, "_tx", read_only)
    assert [h.source for h in search(stack.archive, "LEADING role")] == [changed]
    assert not stack.archive.query("SELECT 1 FROM line_search_docsize LIMIT 1")   # nothing was indexed


def test_the_end_of_a_run_indexes_the_trigrams_its_checks_left_so_a_search_writes_nothing(stack) -> None:
    import sqlite3

    from redline.monitor.cycle import finish_cycle

    _check(stack, "one")
    sinks = Sinks({"alert-log": JsonlSink(stack.archive.alerts_log, name="alert-log")}, {})
    finish_cycle(stack.archive, sinks)
    last = stack.archive.query("SELECT max(id) AS n FROM text_lines")[0]["n"]
    assert last > 0
    if stack.archive.backend == "sqlite":
        db = sqlite3.connect(stack.archive.root / "index.sqlite")
        assert db.execute("SELECT count(*) FROM line_search_docsize").fetchone()[0] == last
        assert db.execute("SELECT value FROM meta WHERE key='search_indexed'").fetchone()[0] == str(last)
        db.close()
        assert stack.archive.index_search() == last   # nothing left for the next search to write
    else:
        assert stack.archive.index_search() == 0       # PostgreSQL's pg_trgm index is written with the rows
    assert search(stack.archive, "leading role")


def test_percent_and_underscore_in_a_query_are_matched_as_themselves(store_backend, tmp_path) -> None:
    from redline.core.model import Source

    with Archive(tmp_path / "archive") as archive:
        source = Source(name="s1", url="https://example.org/1")
        archive.sync_sources([source])
        archive.import_baseline(source, "Tariffs rose by 50% in cyber_space.\nTariffs rose by 50 points in "
                                "cyberXspace.\nTariffs rose by 5012 in cyber space.", normalizer_version=1)
        archive.index_search()
        texts = lambda q: [r["text"] for r in archive.search_lines(q)]  # noqa: E731
        assert texts("by 50%") == ["Tariffs rose by 50% in cyber_space."]
        assert texts("CYBER_space") == ["Tariffs rose by 50% in cyber_space."]
        assert len(texts("tariffs rose")) == 3 and texts("50 %") == []
