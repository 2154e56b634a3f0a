"""Addresses: a host's Unicode and punycode forms are one address; a password never reaches a message."""
from __future__ import annotations

import pytest

from redline.core.urls import ascii_host, doc_key, normalize_url, redact_password, url_key


def test_unicode_host_and_its_punycode_form_normalize_to_one_address() -> None:
    assert normalize_url("https://bücher.example/a") == "https://xn--bcher-kva.example/a"
    assert normalize_url("https://BÜCHER.example:443/a") == normalize_url("https://xn--bcher-kva.example/a")
    assert url_key("http://www.bücher.example/a") == url_key("https://xn--bcher-kva.example/a")
    assert doc_key("https://bücher.example/t1380539.htm") == doc_key("https://xn--bcher-kva.example/t1380539.htm")


@pytest.mark.parametrize("host", ["e.org", "127.0.0.1", "::1", "a_b.example", "x" * 70 + ".example"])
def test_ascii_hosts_stay_as_they_are(host: str) -> None:
    assert ascii_host(host.upper()) == host


def test_a_host_that_is_no_idna_name_comes_back_lowercase() -> None:
    assert ascii_host("Ü" * 80 + ".example") == "ü" * 80 + ".example"  # label too long for IDNA


@pytest.mark.parametrize("url, shown", [
    ("http://alice:s3cretpw@host.example/p?q=1", "http://alice:***@host.example/p?q=1"),
    ("https://alice:p@ss:w@rd@host.example", "https://alice:***@host.example"),
    ("http://alice@host.example/", "http://alice@host.example/"),
    ("http://host.example/a@b", "http://host.example/a@b"),
    ("not a url", "not a url"),
])
def test_redact_password_hides_only_the_password(url: str, shown: str) -> None:
    assert redact_password(url) == shown
