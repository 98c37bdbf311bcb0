"""Request and reply adaptations between the version a client speaks and the engine's.

The engine receives requests at :meth:`EngineVersion.forward`'s version. Most API changes
after 1.41 are additions an older engine simply ignores; the ones handled here are those
where ignoring would change what the client gets:

* ``POST /containers/create``: the Sockerless label; ``default-network``; 1.44 moved the MAC
  address to the endpoint and allows several endpoints at create (the others are connected
  right after create); fields the engine cannot honour are refused (mount options that
  change what is mounted) or reported in ``Warnings`` (health-check start interval,
  annotations).
* ``POST /networks/create``: 1.44 made duplicate-name checks unconditional (``CheckDuplicate``
  is set for older engines, which allowed duplicates otherwise).
* ``GET /version``: the API range is the one Sockerless serves; the engine's own is kept in a
  ``Sockerless`` component.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sockerless import __version__
from sockerless.api import versions
from sockerless.api.errors import InvalidParameter

from .negotiate import EngineVersion, Version, text
from .settings import LABEL, Settings

CREATE_CONTAINER = re.compile(r"^/containers/create$")
CREATE_NETWORK = re.compile(r"^/networks/create$")
VERSION = re.compile(r"^/version$")


@dataclass
class Exchange:
    """One forwarded request, as the adapters see it."""

    method: str
    path: str
    requested: Version
    forwarded: Version
    engine: EngineVersion
    settings: Settings
    warnings: list[str] = field(default_factory=list)
    extra_endpoints: dict[str, Any] = field(default_factory=dict)
    """Networks to connect a new container to after create (1.44 clients, older engine)."""

    def bridged(self, since: str) -> bool:
        """True when the client speaks ``since`` or newer but the engine is forwarded older."""
        wanted = versions.parse(since)
        return self.requested >= wanted > self.forwarded


def _refuse(exchange: Exchange, what: str, since: str) -> InvalidParameter:
    return InvalidParameter(f"docker backend: {what} needs API {since}, but the engine at "
                            f"{exchange.settings.address.url} speaks {text(exchange.engine.api)}")


def _mount_options(exchange: Exchange, mounts: list[dict[str, Any]]) -> None:
    for mount in mounts:
        bind = mount.get("BindOptions") or {}
        if bind.get("CreateMountpoint") and exchange.bridged("1.42"):
            raise _refuse(exchange, "Mounts[].BindOptions.CreateMountpoint", "1.42")
        if (bind.get("ReadOnlyNonRecursive") or bind.get("ReadOnlyForceRecursive")) and exchange.bridged("1.44"):
            raise _refuse(exchange, "read-only recursive bind options", "1.44")
        if (mount.get("VolumeOptions") or {}).get("Subpath") and exchange.bridged("1.45"):
            raise _refuse(exchange, "Mounts[].VolumeOptions.Subpath", "1.45")


def _endpoints(exchange: Exchange, body: dict[str, Any]) -> None:
    endpoints = (body.get("NetworkingConfig") or {}).get("EndpointsConfig") or {}
    if not exchange.bridged("1.44") or not endpoints:
        return
    mode = (body.get("HostConfig") or {}).get("NetworkMode") or ""
    names = list(endpoints)
    first = mode if mode in endpoints else names[0]
    for name in names:
        if name != first:
            exchange.extra_endpoints[name] = endpoints.pop(name)
    mac = (endpoints[first] or {}).get("MacAddress")
    if mac and not body.get("MacAddress"):
        body["MacAddress"] = mac


def _use_network(body: dict[str, Any], host: dict[str, Any], network: str) -> None:
    """Put the container on ``network``; 1.44+ clients also name the default in an endpoint."""
    host["NetworkMode"] = network
    endpoints = (body.get("NetworkingConfig") or {}).get("EndpointsConfig") or {}
    if "default" in endpoints:
        settings = endpoints.pop("default")
        if network not in ("none", "host") and not network.startswith("container:"):
            endpoints[network] = settings


def container_create(exchange: Exchange, body: dict[str, Any]) -> dict[str, Any]:
    """Adapt a create request for the engine."""
    labels = body.get("Labels") or {}
    labels[LABEL] = "docker"
    body["Labels"] = labels
    host = body.get("HostConfig")
    if not isinstance(host, dict):
        host = body["HostConfig"] = {}
    if exchange.settings.default_network and host.get("NetworkMode") in (None, "", "default"):
        _use_network(body, host, exchange.settings.default_network)
    _mount_options(exchange, host.get("Mounts") or [])
    _endpoints(exchange, body)
    health = body.get("Healthcheck") or {}
    if health.get("StartInterval") and exchange.bridged("1.44"):
        exchange.warnings.append(f"Healthcheck.StartInterval is ignored: the engine speaks API {text(exchange.engine.api)}")
    if host.get("Annotations") and exchange.bridged("1.43"):
        exchange.warnings.append(f"HostConfig.Annotations are ignored: the engine speaks API {text(exchange.engine.api)}")
    return body


def container_created(exchange: Exchange, reply: dict[str, Any]) -> dict[str, Any]:
    """Add the adaptation warnings to the create reply."""
    if exchange.warnings:
        reply["Warnings"] = list(reply.get("Warnings") or []) + exchange.warnings
    return reply


def network_create(exchange: Exchange, body: dict[str, Any]) -> dict[str, Any]:
    """1.44 clients expect duplicate network names to be refused."""
    if exchange.bridged("1.44"):
        body["CheckDuplicate"] = True
    return body


def version_reply(exchange: Exchange, reply: dict[str, Any]) -> dict[str, Any]:
    """``docker version``: the API range served here; the engine's own range in a component."""
    engine_api, engine_min = reply.get("ApiVersion", ""), reply.get("MinAPIVersion", "")
    reply["ApiVersion"] = versions.MAX_API_VERSION
    reply["MinAPIVersion"] = max(versions.MIN_API_VERSION, engine_min or versions.MIN_API_VERSION,
                                 key=versions.parse)
    component = {"Name": "Sockerless", "Version": __version__,
                 "Details": {"Backend": "docker", "Engine": exchange.settings.address.url,
                             "EngineApiVersion": engine_api, "EngineMinAPIVersion": engine_min}}
    reply["Components"] = [*(reply.get("Components") or []), component]
    return reply


@dataclass(frozen=True)
class Adapter:
    """Body rewrites for one endpoint (either side may be absent)."""

    method: str
    path: re.Pattern[str]
    request: Any = None
    reply: Any = None


ADAPTERS = (
    Adapter("POST", CREATE_CONTAINER, container_create, container_created),
    Adapter("POST", CREATE_NETWORK, network_create),
    Adapter("GET", VERSION, None, version_reply),
)


def find(method: str, path: str) -> Adapter | None:
    """The adapter of an endpoint, if it has one."""
    for adapter in ADAPTERS:
        if adapter.method == method and adapter.path.match(path):
            return adapter
    return None
