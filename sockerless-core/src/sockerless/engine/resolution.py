"""Name resolution between containers, as ``/etc/hosts`` entries.

Docker resolves the names of a user network's containers with its embedded DNS server; a
backend without one (the memory sandbox has no network stack) gets the same answers as
hosts entries: for every *running* peer on a shared user network, its address with its
DNS names (container name, short id, aliases, hostname), plus legacy ``--link`` aliases.
The core hands them over through ``sockerless_container_hosts`` before a start and again
whenever they change (a peer starts, stops, connects, disconnects or is renamed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..api.errors import DockerError
from .records import ContainerRecord

if TYPE_CHECKING:
    from .daemon import Engine

HOOK = "sockerless_container_hosts"


def _links(record: ContainerRecord) -> list[tuple[str, str]]:
    """(target, alias) pairs from ``HostConfig.Links`` (``/t:/me/alias``) and endpoint ``Links`` (``t:alias``)."""
    pairs = []
    raw = list(record.host_config.Links or [])
    for endpoint in record.networks.values():
        raw.extend(endpoint.Links or [])
    for link in raw:
        target, _, alias = link.partition(":")
        pairs.append((target.lstrip("/"), alias.rsplit("/", 1)[-1] or target.lstrip("/")))
    return pairs


def hosts_entries(engine: Engine, record: ContainerRecord) -> list[tuple[str, list[str]]]:
    """``(address, names)`` for every container ``record`` can reach by name."""
    entries: dict[str, list[str]] = {}

    def add(address: str, names: list[str]) -> None:
        known = entries.setdefault(address, [])
        known.extend(n for n in names if n and n not in known)

    for net_name in record.networks:
        network = engine.networks.lookup(net_name)
        if network is None or network.builtin:
            continue
        for peer in engine.networks.attached(network, running_only=True):
            endpoint = peer.networks.get(net_name)
            if peer.id != record.id and endpoint is not None and endpoint.IPAddress:
                add(endpoint.IPAddress, list(endpoint.DNSNames or [peer.name]))
    for target, alias in _links(record):
        try:
            peer = engine.containers.find(target)
        except DockerError:
            continue
        shared = [n for n in record.networks if n in peer.networks and peer.networks[n].IPAddress]
        addresses = [peer.networks[n].IPAddress for n in shared] or [e.IPAddress for e in peer.networks.values() if e.IPAddress]
        if addresses and peer.state.Running:
            add(addresses[0], [alias, peer.short_id, peer.name])
    return list(entries.items())


async def announce(engine: Engine, record: ContainerRecord) -> None:
    """Give the backend ``record``'s current hosts entries."""
    if engine.backend.implements(HOOK):
        await engine.backend.call(HOOK, container=record, entries=hosts_entries(engine, record))


async def refresh_peers(engine: Engine, record: ContainerRecord, networks: list[str] | None = None) -> None:
    """``record`` changed on ``networks`` (default: all of its own): update every running peer there."""
    if not engine.backend.implements(HOOK):
        return
    wanted = set(record.networks if networks is None else networks)
    peers: dict[str, ContainerRecord] = {}
    for name in wanted:
        network = engine.networks.lookup(name)
        if network is None or network.builtin:  # names resolve on user networks only (links aside)
            continue
        for peer in engine.networks.attached(network, running_only=True):
            if peer.id != record.id:
                peers[peer.id] = peer
    for other in engine.store.containers:  # containers linking to it
        if other.state.Running and other.id not in peers and other.id != record.id and any(
                t in (record.name, record.id) for t, _ in _links(other)):
            peers[other.id] = other
    for peer in peers.values():
        await announce(engine, peer)


def link_env(engine: Engine, record: ContainerRecord) -> list[str]:
    """Docker's legacy link variables (``ALIAS_NAME``, ``ALIAS_ENV_*``, ``ALIAS_PORT_*``) of ``HostConfig.Links``."""
    env: list[str] = []
    for target, alias in _links(record):
        try:
            peer = engine.containers.find(target)
        except DockerError:
            continue
        prefix = alias.upper().replace("-", "_")
        env.append(f"{prefix}_NAME=/{record.name}/{alias}")
        for entry in peer.config.Env or []:
            key, sep, value = entry.partition("=")
            if sep and key not in ("HOME", "PATH"):
                env.append(f"{prefix}_ENV_{key}={value}")
        address = next((e.IPAddress for e in peer.networks.values() if e.IPAddress), "")
        exposed = peer.config.ExposedPorts if isinstance(peer.config.ExposedPorts, dict) else {}
        ports = sorted(exposed, key=lambda p: (int(p.split("/")[0]) if p.split("/")[0].isdigit() else 0, p))
        if address and ports:
            number, _, proto = ports[0].partition("/")
            env.append(f"{prefix}_PORT={proto or 'tcp'}://{address}:{number}")
            for port in ports:
                number, _, proto = port.partition("/")
                proto = proto or "tcp"
                key = f"{prefix}_PORT_{number}_{proto.upper()}"
                env += [f"{key}={proto}://{address}:{number}", f"{key}_ADDR={address}", f"{key}_PORT={number}",
                        f"{key}_PROTO={proto}"]
    return env
