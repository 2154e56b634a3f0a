"""Which network addresses redline may connect to: the policy as a value (pure: no network).

redline.ingest.netguard resolves names and enforces this policy where connections are
made; the policy itself lives here so that settings (redline.core.config) can hold it.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Callable, Sequence

from redline.core.errors import ConfigError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Sequence[str]]

ENV_ALLOW = "REDLINE_ALLOW_PRIVATE"
LOOPBACK: tuple[IPNetwork, ...] = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))
_ALL = frozenset({"1", "all", "yes", "true", "on"})
_NONE = frozenset({"", "0", "no", "false", "off", "none"})


def _embedded(ip: IPAddress) -> IPAddress:
    """The IPv4 address inside an IPv4-mapped, 6to4 or Teredo IPv6 address; else ip itself."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if inner is not None:
            return inner
    return ip


def address_kind(ip: IPAddress) -> str | None:
    """Why redline does not fetch from `ip` by default ("loopback", "private", ...); None when it is public."""
    for candidate in dict.fromkeys((_embedded(ip), ip)):  # the IPv4 inside first: it says where it goes
        for kind, hit in (("loopback", candidate.is_loopback), ("link-local", candidate.is_link_local),
                          ("unspecified", candidate.is_unspecified), ("multicast", candidate.is_multicast),
                          ("reserved", candidate.is_reserved), ("private", candidate.is_private),
                          ("non-public", not candidate.is_global)):
            if hit:
                return kind
    return None


@dataclass(frozen=True)
class AddressPolicy:
    """Internal addresses redline may connect to anyway: all of them, or those in `allowed`."""

    allow_all: bool = False
    allowed: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, value: str | bool | None, *, where: str = ENV_ALLOW) -> "AddressPolicy":
        """"" / "0": none (the default); "loopback"; "1" / "all": every address; or networks
        "10.0.0.0/8, fd00::/8" (with "loopback" allowed among them). Anything else: ConfigError."""
        if isinstance(value, bool):
            return cls(allow_all=value)
        text = (value or "").strip().lower()
        if text in _NONE:
            return cls()
        if text in _ALL:
            return cls(allow_all=True)
        networks: list[IPNetwork] = []
        for part in filter(None, (p.strip() for p in text.split(","))):
            if part == "loopback":
                networks += LOOPBACK
                continue
            try:
                networks.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                raise ConfigError(f"{where}={value!r}: {part!r} is not a network; use loopback, 1 (all) "
                                  "or networks such as 10.0.0.0/8") from None
        return cls(allowed=tuple(dict.fromkeys(networks)))

    @classmethod
    def of(cls, value: "AddressPolicy | str | bool | None") -> "AddressPolicy":
        return value if isinstance(value, AddressPolicy) else cls.parse(value)

    def permits(self, ip: IPAddress) -> bool:
        if self.allow_all or address_kind(ip) is None:
            return True
        return any(candidate in net for candidate in dict.fromkeys((ip, _embedded(ip))) for net in self.allowed)

    def refusal(self, host: str, address: str) -> str | None:
        """One line saying why connecting to `address` (which `host` resolved to) is refused; None when it is not."""
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return f"refused: {host} resolves to {address!r}, which is not an IP address"
        if self.permits(ip):
            return None
        kind = address_kind(ip)
        what = f"{host} is a {kind} address" if host.strip("[]") == address else \
            f"{host} resolves to a {kind} address ({ip})"
        return f"refused: {what}; allow it with {ENV_ALLOW}=1"
