"""The web view over a source's life (issue 16, parts 1 and 4), in process: alerts filtered by
grade, a comparison's grade and reasons, what a source said as of a date, and its timeline strip."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from support.browse_stack import Client
from support.history_stack import NAME, QUIET, REVISIONS, START, history_stack
from redline.text.significance import KINDS, grade_change
from redline.web.app import create_app


@pytest.fixture(scope="module")
def hs(tmp_path_factory):
    with history_stack(tmp_path_factory.mktemp("history")) as stack:
        yield stack


@pytest.fixture(scope="module")
def client(hs) -> Client:
    return Client(create_app(hs.archive))


def get_json(client: Client, url: str, status: int = 200) -> dict:
    r = client.get(url)
    assert r.status_code == status, (url, r.status_code, r.text[:300])
    return r.json()


# --------------------------------------------------------------------------- grade filter

def test_the_alerts_filter_by_grade_keeps_only_change_alerts_of_that_grade(client) -> None:
    every = get_json(client, "/api/alerts")["alerts"]
    expected = sorted(g for _, _, g in REVISIONS.values() if g)
    assert sorted(a["significance"]["grade"] for a in every) == expected
    for grade in ("high", "medium", "low"):
        data = get_json(client, f"/api/alerts?grade={grade}")
        assert [a["id"] for a in data["alerts"]] == [a["id"] for a in every if a["significance"]["grade"] == grade]
        assert data["grade"] == grade and data["page"]["total"] == len(data["alerts"]) == 1
        page = client.get(f"/alerts?grade={grade}&source={NAME}").text
        assert f'aria-current="page" class="grade-{grade}"' in page and f"Alerts graded {grade}" in page
        assert page.count('<article class="alert">') == 1 and f'class="significance grade-{grade}"' in page


def test_the_grade_filter_leaves_out_alerts_without_a_grade(tmp_path) -> None:
    from support.browse_stack import WITHDRAWN, browse_stack

    with browse_stack(tmp_path) as bs:
        c = Client(create_app(bs.archive))
        kinds = {a["kind"] for a in get_json(c, "/api/alerts")["alerts"]}
        graded = [a for g in ("high", "medium", "low") for a in get_json(c, f"/api/alerts?grade={g}")["alerts"]]
        assert "removed" in kinds and graded and {a["kind"] for a in graded} == {"change"}
        assert WITHDRAWN not in {a["source"] for a in graded}


def test_an_unknown_grade_is_refused_in_one_line(client) -> None:
    assert get_json(client, "/api/alerts?grade=urgent", 400) == {
        "error": "grade must be one of high, medium, low, not 'urgent'", "status": 400}
    r = client.get("/alerts?grade=urgent")
    assert r.status_code == 400 and "grade must be one of high, medium, low" in r.text


# --------------------------------------------------------------------------- comparison grade

def test_a_comparison_of_adjacent_versions_shows_its_alerts_grade_and_reasons(client) -> None:
    alerts = {a["to_version"]: a for a in get_json(client, "/api/alerts")["alerts"]}
    for seq, alert in alerts.items():
        graded = get_json(client, f"/api/sources/{NAME}/compare?a={seq - 1}&b={seq}")["significance"]
        assert graded["grade"] == alert["significance"]["grade"] and graded["reasons"] == alert["significance"]["reasons"]
        assert graded["from"] == "alert" and graded["alert"] == alert["id"]
    page = client.get(f"/sources/{NAME}/compare?a=2&b=3").text
    assert 'class="significance grade-high"' in page and "modality" in page and "“should” → “must”" in page


def test_any_other_pair_is_graded_now_as_the_monitor_would(hs, client) -> None:
    data = get_json(client, f"/api/sources/{NAME}/compare?a=1&b=4")
    expected = grade_change(hs.texts[0], hs.texts[3]).to_json()
    assert data["significance"] == {**expected, "from": "graded now"} and expected["grade"] == "high"
    kinds = {r["kind"] for r in data["significance"]["reasons"]}
    assert {"modality", "spelling"} <= kinds
    back = get_json(client, f"/api/sources/{NAME}/compare?a=3&b=2")["significance"]   # swapped: no alert
    assert back["from"] == "graded now" and back["grade"] == "high"


def test_a_comparison_is_graded_with_the_configured_grade_table(hs) -> None:
    c = Client(create_app(hs.archive, grades={k: "low" for k in KINDS}))
    assert get_json(c, f"/api/sources/{NAME}/compare?a=1&b=4")["significance"]["grade"] == "low"


# --------------------------------------------------------------------------- as of a date

def day(n: int) -> str:
    return (START + timedelta(days=n)).date().isoformat()


def test_as_of_a_date_shows_the_version_that_stood_that_day(hs, client) -> None:
    data = get_json(client, f"/api/sources/{NAME}/at/{day(30)}")          # between the day-20 and day-45 revisions
    assert data["version"]["seq"] == 2 and data["previous"]["seq"] == 1 and data["next"]["seq"] == 3
    assert data["moment"] == f"{day(30)}T23:59:59+00:00"
    assert data["paragraphs"] == [p for p in hs.texts[1].split("\n") if p.strip()]
    assert data["last_capture"]["fetched_at"].startswith(day(30))
    page = client.get(f"/sources/{NAME}/at/{day(30)}").text
    assert f"As of {day(30)}</strong> (the end of that day, UTC): version" in page
    assert f"the next version, <a href=\"/sources/{NAME}/versions/3\">v3</a>, came on {day(45)} 09:00 UTC" in page


def test_a_date_counts_the_whole_day_and_a_moment_counts_to_the_second(client) -> None:
    assert get_json(client, f"/api/sources/{NAME}/at/{day(20)}")["version"]["seq"] == 2
    assert get_json(client, f"/api/sources/{NAME}/at/{day(20)}T08:59:59Z")["version"]["seq"] == 1
    assert get_json(client, f"/api/sources/{NAME}/at/{day(20)}T09:00:00Z")["version"]["seq"] == 2
    assert get_json(client, f"/api/sources/{NAME}/at/{day(20)}T16:59:59+08:00")["version"]["seq"] == 1


def test_as_of_after_the_last_version_says_it_still_stands(hs, client) -> None:
    data = get_json(client, f"/api/sources/{NAME}/at/2099-01-01")
    assert data["version"]["seq"] == len(hs.texts) and data["next"] is None
    assert "it still stands: v5 is the latest version." in client.get(f"/sources/{NAME}/at/2099-01-01").text


def test_as_of_before_the_first_version_says_so_in_one_line(client) -> None:
    assert get_json(client, f"/api/sources/{NAME}/at/2023-12-31", 404)["error"] == (
        f"{NAME} had no version yet on 2023-12-31: its first version, v1, is from {day(0)}")
    r = client.get(f"/sources/{NAME}/at/2023-12-31")
    assert r.status_code == 404 and "had no version yet on 2023-12-31" in r.text


@pytest.mark.parametrize("bad", ["yesterday", "2024-13-01", "2024-02-30", "20240101x"])
def test_a_bad_date_is_refused_in_one_line(client, bad) -> None:
    error = get_json(client, f"/api/sources/{NAME}/at/{bad}", 400)["error"]
    assert error == f"the date must look like 2024-03-01 or 2024-03-01T09:00:00+08:00, not {bad!r}"


def test_at_on_the_source_page_goes_to_the_as_of_view_and_its_json_twin(client) -> None:
    for prefix in ("", "/api"):
        r = client.get(f"{prefix}/sources/{NAME}?at={day(50)}")                  # not followed
        assert r.status_code == 303 and r.headers["location"] == f"{prefix}/sources/{NAME}/at/{day(50)}"
    assert client.get(f"/sources/nobody-here/at/{day(50)}").status_code == 404
    page = client.get(f"/sources/{NAME}").text
    assert f'<form class="asof-form" method="get" action="/sources/{NAME}">' in page and 'name="at"' in page


# --------------------------------------------------------------------------- timeline strip

def test_the_source_page_has_a_strip_of_weekly_bars_with_changes_marked_by_grade(hs, client) -> None:
    strip = get_json(client, f"/api/sources/{NAME}")["strip"]
    captures = get_json(client, f"/api/sources/{NAME}")["source"]["captures"]
    assert strip["unit"] == "week" and sum(b["captures"] for b in strip["buckets"]) == captures
    marked = {v["seq"]: (b["start"], v["mark"]) for b in strip["buckets"] for v in b["versions"]}
    assert [m for _, m in sorted(marked.values())] == ["first", "low", "high", "medium", "minor"]
    for seq, (start, _) in marked.items():
        first_seen = hs.version_days[seq - 1]
        assert date.fromisoformat(start) <= first_seen < date.fromisoformat(start) + timedelta(days=7)


def test_each_strip_bar_links_to_the_as_of_view_and_says_what_it_holds(client) -> None:
    page = client.get(f"/sources/{NAME}").text
    strip = get_json(client, f"/api/sources/{NAME}")["strip"]
    for b in strip["buckets"]:
        assert f'href="/sources/{NAME}/at/{b["end"]}"' in page
    high = next(b for b in strip["buckets"] if b["mark"] == "high")
    label = f'{high["start"]} to {high["end"]}: {high["captures"]} captures, new version v3 (high)'
    assert f"<title>{label}</title>" in page and f'aria-label="{label}: what it said then"' in page
    assert 'class="key high">high ×1' in page


def test_a_source_with_only_a_baseline_has_a_one_bar_strip(client) -> None:
    strip = get_json(client, f"/api/sources/{QUIET}")["strip"]
    assert [(b["captures"], b["mark"]) for b in strip["buckets"]] == [(0, "first")] and strip["earlier"] is None


def test_redline_browse_grades_comparisons_with_the_archives_significance_table(hs, monkeypatch) -> None:
    from redline.cli.archive import browse_server

    monkeypatch.delenv("REDLINE_CONFIG", raising=False)
    config = hs.archive.root / "redline.toml"
    config.write_text("[significance]\n" + "".join(f'{k} = "low"\n' for k in KINDS), encoding="utf-8")
    try:
        server, sock = browse_server(hs.archive, "127.0.0.1", 0)
        sock.close()
    finally:
        config.unlink()
    graded = get_json(Client(server.config.app), f"/api/sources/{NAME}/compare?a=1&b=4")["significance"]
    assert graded["grade"] == "low" and graded["from"] == "graded now"


def test_as_of_names_the_grade_of_the_change_that_made_the_version(client) -> None:
    assert get_json(client, f"/api/sources/{NAME}/at/{day(50)}")["grade"] == "high"       # v3: should -> must
    assert get_json(client, f"/api/sources/{NAME}/at/{day(110)}")["grade"] is None        # v5: trivial, no alert
    assert '<span class="badge grade-high">high change</span>' in client.get(f"/sources/{NAME}/at/{day(50)}").text
