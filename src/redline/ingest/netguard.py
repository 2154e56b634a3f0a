"""Which network addresses redline may fetch from, enforced where connections are made.

By default redline refuses to connect to loopback, private (RFC 1918, IPv6 ULA),
link-local (169.254.0.0/16: cloud metadata endpoints live there), shared
(100.64.0.0/10), multicast, reserved and unspecified addresses, also when they hide
inside an IPv6 address (::ffff:10.0.0.1, 2002:7f00:1::). A sources file, a discovered
link or a redirect must not turn redline into a way into the network it runs on
(server-side request forgery). `REDLINE_ALLOW_PRIVATE` opens it: "loopback"
(127.0.0.0/8 and ::1), "1" / "all", or a comma-separated list of networks.

Pure policy here (no network, no httpx); redline.ingest.transport enforces it where
connections are made.
"""
from __future__ import annotations

import socket

from redline.core.errors import FetchError

from redline.core.addresses import (ENV_ALLOW, LOOPBACK, AddressPolicy, IPAddress, IPNetwork,  # noqa: F401
                                    Resolver, address_kind)


class AddressRefused(FetchError):
    """A connection redline refuses to make: the host resolves to an internal address."""


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (getaddrinfo), in its order, without repeats."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))
