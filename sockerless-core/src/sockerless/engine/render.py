"""Container inspect and list answers, rendered from records per API version."""

from __future__ import annotations

import time
from typing import Any

import msgspec

from .records import ContainerRecord
from .timeutil import ZERO_TIME, human_duration, parse_rfc3339

ApiVersion = tuple[int, int]


def _since(stamp: str) -> float:
    if not stamp or stamp == ZERO_TIME:
        return 0.0
    return max(0.0, time.time() - parse_rfc3339(stamp) / 1e9)


def health_status(record: ContainerRecord) -> str:
    """``healthy``/``unhealthy``/``starting``, or ``""`` without a health check."""
    health = record.state.Health
    return health.Status if isinstance(health, msgspec.Struct) else ""


def status_text(record: ContainerRecord) -> str:
    """The human ``Status`` column of ``docker ps``."""
    state = record.state
    if state.Status == "removing":
        return "Removal In Progress"
    if state.Dead:
        return "Dead"
    if state.Restarting:
        return f"Restarting ({state.ExitCode}) {human_duration(_since(state.FinishedAt))} ago"
    if state.Running:
        text = f"Up {human_duration(_since(state.StartedAt))}"
        if state.Paused:
            text += " (Paused)"
        health = health_status(record)
        if health == "starting":
            text += " (health: starting)"
        elif health:
            text += f" ({health})"
        return text
    if state.StartedAt == ZERO_TIME or not record.has_been_started:
        return "Created"
    return f"Exited ({state.ExitCode}) {human_duration(_since(state.FinishedAt))} ago"


def command_text(record: ContainerRecord) -> str:
    """``Command`` of ``docker ps``: arguments with spaces single-quoted, as Docker prints them."""
    parts = [record.path] + [f"'{a}'" if " " in a else a for a in record.args]
    return " ".join(parts)


def _mounts(record: ContainerRecord) -> list[dict[str, Any]]:
    return [msgspec.to_builtins(m) for m in record.mounts]


def _networks(record: ContainerRecord, version: ApiVersion) -> dict[str, Any]:
    result = {}
    for name, endpoint in record.networks.items():
        data = msgspec.to_builtins(endpoint)
        if version < (1, 44):
            data.pop("DNSNames", None)
            if name not in ("bridge", "host", "none") and endpoint.DNSNames:
                # before 1.44 the short id was listed among a user network's aliases
                data["Aliases"] = list(dict.fromkeys([*(endpoint.Aliases or []), record.short_id]))
        if not record.state.Running:
            # like Docker, a stopped container holds no live endpoint
            for key in ("EndpointID", "Gateway", "IPAddress", "IPv6Gateway", "GlobalIPv6Address", "MacAddress"):
                data[key] = ""
            data["IPPrefixLen"] = data["GlobalIPv6PrefixLen"] = 0
        result[name] = data
    return result


def network_settings(record: ContainerRecord, version: ApiVersion) -> dict[str, Any]:
    """``NetworkSettings`` of container inspect."""
    networks = _networks(record, version)
    primary = networks.get("bridge", {})
    settings: dict[str, Any] = {
        "Bridge": "",
        "SandboxID": record.backend_state.get("sandbox_id", "") if record.state.Running else "",
        "HairpinMode": False,
        "LinkLocalIPv6Address": "",
        "LinkLocalIPv6PrefixLen": 0,
        "Ports": _ports(record),
        "SandboxKey": "",
        "SecondaryIPAddresses": None,
        "SecondaryIPv6Addresses": None,
        "EndpointID": primary.get("EndpointID", ""),
        "Gateway": primary.get("Gateway", ""),
        "GlobalIPv6Address": primary.get("GlobalIPv6Address", ""),
        "GlobalIPv6PrefixLen": primary.get("GlobalIPv6PrefixLen", 0),
        "IPAddress": primary.get("IPAddress", ""),
        "IPPrefixLen": primary.get("IPPrefixLen", 0),
        "IPv6Gateway": primary.get("IPv6Gateway", ""),
        "MacAddress": primary.get("MacAddress", ""),
        "Networks": networks,
    }
    return settings


def _ports(record: ContainerRecord) -> dict[str, Any]:
    """Exposed ports; nothing is published (no backend forwards host ports yet)."""
    exposed = record.config.ExposedPorts if isinstance(record.config.ExposedPorts, dict) else {}
    return {port: None for port in exposed}


def inspect(record: ContainerRecord, version: ApiVersion, exec_ids: list[str]) -> dict[str, Any]:
    """``GET /containers/{id}/json``."""
    state = msgspec.to_builtins(record.state)
    config = msgspec.to_builtins(record.config)
    host = msgspec.to_builtins(record.host_config)
    if version < (1, 44):
        host.pop("Annotations", None)
    return {
        "Id": record.id,
        "Created": record.created,
        "Path": record.path,
        "Args": record.args,
        "State": state,
        "Image": record.image_id,
        "ResolvConfPath": record.resolv_conf_path,
        "HostnamePath": record.hostname_path,
        "HostsPath": record.hosts_path,
        "LogPath": record.log_path,
        "Name": "/" + record.name,
        "RestartCount": record.restart_count,
        "Driver": record.driver,
        "Platform": record.platform,
        "MountLabel": "",
        "ProcessLabel": "",
        "AppArmorProfile": "",
        "ExecIDs": exec_ids or None,
        "HostConfig": host,
        "GraphDriver": {"Data": None, "Name": record.driver},
        "Mounts": _mounts(record),
        "Config": config,
        "NetworkSettings": network_settings(record, version),
    }


def summary(record: ContainerRecord, version: ApiVersion, *, with_size: bool = False) -> dict[str, Any]:
    """An entry of ``GET /containers/json``."""
    body: dict[str, Any] = {
        "Id": record.id,
        "Names": ["/" + record.name],
        "Image": record.config.Image,
        "ImageID": record.image_id,
        "Command": command_text(record),
        "Created": parse_rfc3339(record.created) // 1_000_000_000,
        "Ports": [],
        "Labels": record.config.Labels or {},
        "State": record.state.Status,
        "Status": status_text(record),
        "HostConfig": {"NetworkMode": record.host_config.NetworkMode},
        "NetworkSettings": {"Networks": _networks(record, version)},
        "Mounts": _mounts(record),
    }
    if with_size:
        body["SizeRw"] = record.backend_state.get("size_rw", 0)
        body["SizeRootFs"] = record.backend_state.get("size_rootfs", 0)
    return body

