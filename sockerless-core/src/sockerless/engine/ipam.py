"""IP address management: subnets for networks, addresses for endpoints.

The allocation state is derived from the records (networks' pools and containers'
endpoints), never stored separately, so it cannot drift after a crash.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from ..api.errors import Forbidden, InvalidParameter

DEFAULT_BRIDGE_SUBNET = "172.17.0.0/16"
# Docker's default address pools: 172.17-31.0.0/16, then 192.168.x.0/20
_DEFAULT_POOLS = [f"172.{n}.0.0/16" for n in range(18, 32)] + [f"192.168.{n}.0/20" for n in range(0, 256, 16)]


def next_subnet(used: Iterable[str]) -> str:
    """The first default pool that overlaps none of ``used``."""
    taken = [ipaddress.ip_network(s, strict=False) for s in used]
    for candidate in _DEFAULT_POOLS:
        net = ipaddress.ip_network(candidate)
        if not any(net.overlaps(other) for other in taken):
            return candidate
    raise Forbidden("could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network")


def check_pool(subnet: str, gateway: str | None, ip_range: str | None, used: Iterable[str]) -> tuple[str, str]:
    """Validate a user-given pool; returns (normalised subnet, gateway)."""
    try:
        net = ipaddress.ip_network(subnet, strict=False)
    except ValueError:
        raise InvalidParameter(f"invalid subnet {subnet}: invalid CIDR address") from None
    if net.version != 4:
        raise InvalidParameter(f"IPv6 subnet {subnet} is not supported yet")
    for other in used:
        if net.overlaps(ipaddress.ip_network(other, strict=False)):
            raise Forbidden("Pool overlaps with other one on this address space")
    if ip_range:
        try:
            rng = ipaddress.ip_network(ip_range, strict=False)
        except ValueError:
            raise InvalidParameter(f"invalid ip-range {ip_range}") from None
        if not rng.subnet_of(net):  # type: ignore[arg-type]
            raise InvalidParameter(f"ip-range {ip_range} is not contained in subnet {subnet}")
    if gateway:
        try:
            gw = ipaddress.ip_address(gateway)
        except ValueError:
            raise InvalidParameter(f"invalid gateway address {gateway}") from None
        if gw not in net:
            raise InvalidParameter(f"gateway {gateway} is not in subnet {subnet}")
    else:
        gw = next(net.hosts())
    return str(net), str(gw)


def allocate(subnet: str, gateway: str, taken: Iterable[str], ip_range: str | None = None) -> str:
    """The lowest free host address of the pool (the gateway is never handed out)."""
    net = ipaddress.ip_network(subnet, strict=False)
    scope = ipaddress.ip_network(ip_range, strict=False) if ip_range else net
    busy = set(taken) | {gateway}
    for host in scope.hosts():
        text = str(host)
        if text not in busy and host in net:
            return text
    raise Forbidden(f"no available IPv4 addresses on this network's address pools: {subnet}")


def check_static(address: str, subnet: str, gateway: str, taken: Iterable[str]) -> str:
    """Validate a requested static address."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        raise InvalidParameter(f"invalid IPv4 address: {address}") from None
    net = ipaddress.ip_network(subnet, strict=False)
    if ip not in net or ip in (net.network_address, net.broadcast_address):
        raise InvalidParameter(f"no configured subnet or ip-range contain the IP address {address}")
    if address == gateway or address in set(taken):
        raise Forbidden("Address already in use")
    return address


def prefix_len(subnet: str) -> int:
    """``172.18.0.0/16`` -> 16."""
    return ipaddress.ip_network(subnet, strict=False).prefixlen


def mac_for(address: str) -> str:
    """Docker's MAC scheme: ``02:42`` followed by the four IPv4 octets."""
    octets = ipaddress.ip_address(address).packed
    return "02:42:" + ":".join(f"{b:02x}" for b in octets)
