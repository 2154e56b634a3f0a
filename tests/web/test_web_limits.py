"""Hostile numbers and lengths in a URL: ids past SQLite's 64 bits, a huge query string."""
from __future__ import annotations

import pytest

from support.browse_stack import Client, browse_stack
from redline.web.app import create_app

HUGE = "99999999999999999999999"


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    with browse_stack(tmp_path_factory.mktemp("weblimits")) as bs:
        yield bs, Client(create_app(bs.archive))


def test_ids_too_large_for_sqlite_answer_404_not_500(web) -> None:
    bs, client = web
    name = bs.changed
    for url in [f"/sources/{name}/captures/{HUGE}/raw", f"/sources/{name}/captures/{HUGE}/warc",
                f"/sources/{name}/captures/{HUGE}", f"/api/sources/{name}/captures/{HUGE}",
                f"/sources/{name}/versions/{HUGE}", f"/sources/{name}/versions/{HUGE}/text",
                f"/sources/{name}/compare?a={HUGE}", f"/api/sources/{name}/compare?a=1&b={HUGE}"]:
        r = client.get(url)
        assert r.status_code == 404, (url, r.status_code)
        assert "Traceback" not in r.text and "OverflowError" not in r.text


def test_a_huge_query_string_is_not_echoed_whole_into_the_json_link(web) -> None:
    bs, client = web
    junk = "x" * 60_000  # httpx refuses a URL over 64 KB; the page echoed 100 KB as well
    r = client.get(f"/?q=&junk={junk}")
    assert r.status_code == 200
    assert junk not in r.text and len(r.text) < 30_000, len(r.text)
