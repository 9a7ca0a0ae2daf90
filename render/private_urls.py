"""What `serve --allow-private-urls` lets API rooms reach (issue 24 item 11). Pure.

    allow = parse_allow(["10.0.0.0/8", "media.lan:8080"], "--allow-private-urls")  # SpecError naming the flag
    allow.nets, allow.hosts, allow.any_private
    private_ok(address, nets, any_private)    # may a URL resolving to this non-public address be used?

Each value is a CIDR (`10.0.0.0/8`, `192.168.1.20`, `fd00::/8`) or a `host:port` pair
(`127.0.0.1:8080`, `[::1]:8080`, `media.lan:8080`). The bare flag (no value) allows every
non-public address as before, except the cloud metadata addresses (the IPv4 link-local range
169.254.0.0/16, 100.100.100.200, fd00:ec2::254): those are reached only when a value names them.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from render.errors import SpecError

ANY_PRIVATE = "*"  # the bare flag
METADATA = tuple(ipaddress.ip_network(n) for n in ("169.254.0.0/16", "100.100.100.200/32", "fd00:ec2::254/128"))


@dataclass(frozen=True)
class PrivateAllow:
    nets: tuple[str, ...] = ()    # CIDRs
    hosts: tuple[str, ...] = ()   # "host:port" pairs (as MediaPolicy.url_allow_hosts)
    any_private: bool = False     # the bare flag: every non-public address but the metadata ones

    def describe(self) -> str:
        parts = (["every private address except cloud metadata"] if self.any_private else []) + \
            list(self.nets) + list(self.hosts)
        return ", ".join(parts)


def _address(ip: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def parse_allow(values, flag: str = "--allow-private-urls") -> PrivateAllow:
    if values is True:
        return PrivateAllow(any_private=True)
    if not values:
        return PrivateAllow()
    nets: list[str] = []
    hosts: list[str] = []
    any_private = False
    for raw in values:
        v = str(raw).strip()
        if v == ANY_PRIVATE:
            any_private = True
            continue
        try:
            nets.append(str(ipaddress.ip_network(v, strict=False)))
            continue
        except ValueError:
            pass
        host, sep, port = v.rpartition(":")
        if sep and port.isdigit() and 0 < int(port) < 65536 and host and (
                not host.startswith("[") or host.endswith("]")) and ("/" not in host):
            hosts.append(f"{host.strip('[]').lower()}:{int(port)}")
            continue
        raise SpecError(f"{flag}: {v!r} is neither a CIDR (10.0.0.0/8, 192.168.1.20) nor a host:port pair "
                        "(127.0.0.1:8080, media.lan:8080)")
    return PrivateAllow(tuple(dict.fromkeys(nets)), tuple(dict.fromkeys(hosts)), any_private)


def private_ok(ip: str, nets: tuple[str, ...], any_private: bool) -> bool:
    """A non-public address a URL resolves to: allowed when a named CIDR holds it, or with the
    bare flag unless it is a metadata address."""
    addr = _address(ip)
    if any(addr in ipaddress.ip_network(n) for n in nets):
        return True
    return any_private and not any(addr in n for n in METADATA)
