"""No server-side request forgery by default: loopback, private, link-local and other
internal addresses are refused, for sources and redirects, unless the config allows them."""
from __future__ import annotations

import ipaddress

import pytest

from support.faultsite import FaultSite
from redline.core.config import FetchSettings
from redline.core.errors import ConfigError
from redline.ingest.fetch import Fetcher
from redline.ingest.netguard import LOOPBACK, AddressPolicy, address_kind
from redline.ingest.fetch import make_fetcher

PAGE = b"<html><head><title>Inside</title></head><body><p>Something internal.</p></body></html>"


@pytest.fixture(scope="module")
def site():
    with FaultSite() as s:
        s.page("/inside.html", PAGE)
        yield s


@pytest.mark.parametrize("address, kind", [
    ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("::1", "loopback"),
    ("10.0.0.1", "private"), ("172.16.5.4", "private"), ("192.168.1.1", "private"), ("fd12:3456::1", "private"),
    ("169.254.169.254", "link-local"), ("fe80::1", "link-local"), ("100.64.0.1", "non-public"),
    ("0.0.0.0", "unspecified"), ("224.0.0.1", "multicast"), ("240.0.0.1", "reserved"),
    ("::ffff:127.0.0.1", "loopback"), ("::ffff:10.1.1.1", "private"), ("2002:7f00:1::1", "loopback"),
    ("8.8.8.8", None), ("2606:4700:4700::1111", None), ("203.0.114.7", None),
])
def test_internal_addresses_are_recognized_also_inside_ipv6(address, kind) -> None:
    assert address_kind(ipaddress.ip_address(address)) == kind


def test_a_source_on_loopback_is_refused_by_default_and_nothing_is_sent(site) -> None:
    before = len(site.requests)
    with Fetcher(per_host_delay=0, retries=2) as fetcher:
        result = fetcher.fetch(site.url("/inside.html"))
    assert result.error == "refused: 127.0.0.1 is a loopback address; allow it with REDLINE_ALLOW_PRIVATE=1"
    assert result.status is None and result.attempts == 1  # not retried
    assert len(site.requests) == before  # not even robots.txt was asked for


def test_a_host_name_that_resolves_to_a_private_address_is_refused() -> None:
    with Fetcher(per_host_delay=0, resolver=lambda host, port: ["192.168.7.7"]) as fetcher:
        result = fetcher.fetch("http://intranet.example/report.html")
    assert result.error == ("refused: intranet.example resolves to a private address (192.168.7.7); "
                            "allow it with REDLINE_ALLOW_PRIVATE=1")


def test_a_name_resolving_to_a_public_and_a_private_address_is_refused() -> None:
    with Fetcher(per_host_delay=0, resolver=lambda host, port: ["93.184.216.34", "10.0.0.5"]) as fetcher:
        result = fetcher.fetch("http://two-faced.example/")
    assert result.error.startswith("refused: two-faced.example resolves to a private address (10.0.0.5)")


def test_a_redirect_from_an_allowed_host_to_an_internal_name_is_refused(site) -> None:
    site.page("/hop.html", b"", status=302, headers={"Location": "http://metadata.internal/latest/"})
    resolver = {"metadata.internal": ["169.254.169.254"]}

    def resolve(host: str, port: int) -> list[str]:
        return resolver.get(host, [host])

    with Fetcher(per_host_delay=0, allow_private="127.0.0.1/32", resolver=resolve) as fetcher:
        result = fetcher.fetch(site.url("/hop.html"))
    assert result.redirects == ((302, "http://metadata.internal/latest/"),)
    assert result.error.startswith("refused: metadata.internal resolves to a link-local address (169.254.169.254)")


def test_the_connection_goes_to_the_address_that_was_checked(site) -> None:
    """DNS rebinding: the guard resolves once per connection and connects to that address,
    so a second, different answer is never used (the system resolver is not asked at all:
    `rebind.test` does not resolve here)."""
    answers = [["127.0.0.1"], ["10.9.9.9"]]
    asked: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        return answers[min(len(asked), 2) - 1]

    with Fetcher(per_host_delay=0, allow_private="loopback", resolver=resolve, robots=False) as fetcher:
        result = fetcher.fetch(f"http://rebind.test:{site.url('').rsplit(':', 1)[1]}/inside.html")
    assert result.ok and result.status == 200 and b"Something internal" in result.body
    assert asked == ["rebind.test"]


@pytest.mark.parametrize("value, allowed, refused", [
    ("loopback", ["127.0.0.1", "::1", "127.3.2.1"], ["10.0.0.1", "169.254.169.254"]),
    ("1", ["127.0.0.1", "10.0.0.1", "169.254.169.254"], []),
    ("all", ["192.168.0.1"], []),
    ("10.0.0.0/8, loopback", ["10.20.30.40", "127.0.0.1"], ["192.168.0.1"]),
    ("", [], ["127.0.0.1", "10.0.0.1"]),
    ("0", [], ["127.0.0.1"]),
])
def test_redline_allow_private_opens_exactly_what_it_names(value, allowed, refused) -> None:
    policy = FetchSettings.from_env({"REDLINE_ALLOW_PRIVATE": value}).allow_private
    assert [a for a in allowed if policy.refusal("h", a)] == []
    assert [a for a in refused if policy.refusal("h", a) is None] == []
    assert policy.refusal("h", "8.8.8.8") is None  # public addresses are never refused


def test_a_bad_allow_private_value_is_one_line() -> None:
    with pytest.raises(ConfigError) as err:
        FetchSettings.from_env({"REDLINE_ALLOW_PRIVATE": "intranet"})
    assert str(err.value) == ("REDLINE_ALLOW_PRIVATE='intranet': 'intranet' is not a network; use loopback, "
                              "1 (all) or networks such as 10.0.0.0/8")


def test_the_configured_fetcher_refuses_loopback_unless_the_environment_allows_it(site) -> None:
    with make_fetcher(FetchSettings.from_env({"REDLINE_HOST_DELAY": "0"})) as fetcher:
        assert fetcher.fetch(site.url("/inside.html")).error.startswith("refused: 127.0.0.1")
    allowed = FetchSettings.from_env({"REDLINE_HOST_DELAY": "0", "REDLINE_ALLOW_PRIVATE": "loopback"})
    assert allowed.allow_private == AddressPolicy(allowed=LOOPBACK)
    with make_fetcher(allowed) as fetcher:
        assert fetcher.fetch(site.url("/inside.html")).status == 200


def test_robots_txt_is_obeyed_unless_redline_ignore_robots_is_set(site) -> None:
    site.page("/robots.txt", b"User-agent: redline\nDisallow: /inside.html\n", headers={"Content-Type": "text/plain"})
    try:
        env = {"REDLINE_HOST_DELAY": "0", "REDLINE_ALLOW_PRIVATE": "loopback"}
        with make_fetcher(FetchSettings.from_env(env)) as fetcher:
            assert fetcher.fetch(site.url("/inside.html")).error.startswith(f"robots.txt of {site.netloc} disallows")
        with make_fetcher(FetchSettings.from_env({**env, "REDLINE_IGNORE_ROBOTS": "1"})) as fetcher:
            assert fetcher.fetch(site.url("/inside.html")).status == 200
    finally:
        site.routes.pop("/robots.txt")


def test_robots_txt_that_fails_with_5xx_allows_the_page_and_is_asked_again_a_minute_later(site) -> None:
    site.page("/robots.txt", b"oops", status=503)
    now = [1000.0]
    try:
        with Fetcher(per_host_delay=0, retries=0, allow_private="loopback", clock=lambda: now[0]) as fetcher:
            before = site.hits("/robots.txt")
            assert fetcher.fetch(site.url("/inside.html")).status == 200
            assert fetcher.fetch(site.url("/inside.html")).status == 200
            assert site.hits("/robots.txt") - before == 1  # one answer serves the next minute
            now[0] += 61
            assert fetcher.fetch(site.url("/inside.html")).status == 200
            assert site.hits("/robots.txt") - before == 2  # then it is asked again
    finally:
        site.routes.pop("/robots.txt")
