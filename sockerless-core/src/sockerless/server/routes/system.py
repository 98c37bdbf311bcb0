"""System endpoints: ``/_ping``, ``/version``, ``/info``, ``/events``, ``/system/df``, ``/auth``."""

from __future__ import annotations

import asyncio
import os
import platform
import re
import socket
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from ... import __version__
from ...api import versions, wire
from ...api.errors import InvalidParameter, Unauthorized, Unavailable
from ...api.filters import Filters
from ...engine import render
from ...engine.daemon import Engine
from ...engine.events import Event
from ...engine.registry import RegistryError
from ...engine.registry.auth import decode_auth_config, registry_domain
from ...engine.timeutil import now_ns, parse_timestamp, rfc3339_nano
from ..params import qstr
from ..responses import JSONResponse
from ..routing import DockerRoute

EVENT_FILTERS = ("config", "container", "daemon", "event", "image", "label", "network", "node", "plugin",
                 "scope", "secret", "service", "type", "volume")


def routes(engine: Engine) -> list:
    """The system routes."""
    daemon_id = engine.store.get_meta("daemon_id")
    if daemon_id is None:
        daemon_id = str(uuid.uuid4())
        engine.store.set_meta("daemon_id", daemon_id)

    ping_headers = {
        "Cache-Control": "no-cache, no-store, must-revalidate",
        "Pragma": "no-cache",
        "Builder-Version": "1",
        "Swarm": "inactive",
    }

    async def ping(request: Request) -> Response:
        body = b"" if request.method == "HEAD" else b"OK"
        headers = dict(ping_headers)
        if request.method == "HEAD":
            headers["Content-Length"] = "0"
        return Response(body, media_type="text/plain; charset=utf-8", headers=headers)

    async def version(request: Request) -> Response:
        facts = engine.host_facts()
        details = {"ApiVersion": versions.MAX_API_VERSION, "Arch": _go_arch(facts["arch"]),
                   "BuildTime": "", "Experimental": "false", "GitCommit": "", "GoVersion": f"python{platform.python_version()}",
                   "KernelVersion": facts["kernel"], "MinAPIVersion": versions.MIN_API_VERSION, "Os": "linux"}
        return JSONResponse({
            "Platform": {"Name": f"Sockerless {__version__} ({engine.backend.name} backend)"},
            "Components": [{"Name": "Engine", "Version": __version__, "Details": details},
                           {"Name": f"sockerless-{engine.backend.name}", "Version": __version__,
                            "Details": {"Backend": engine.backend.name}}],
            "Version": __version__,
            "ApiVersion": versions.MAX_API_VERSION,
            "MinAPIVersion": versions.MIN_API_VERSION,
            "GitCommit": "",
            "GoVersion": f"python{platform.python_version()}",
            "Os": "linux",
            "Arch": _go_arch(facts["arch"]),
            "KernelVersion": facts["kernel"],
            "BuildTime": "",
        })

    async def info(request: Request) -> Response:
        return JSONResponse(_info(engine, daemon_id))

    async def events(request: Request) -> Response:
        filters = Filters.parse(qstr(request, "filters") or None, EVENT_FILTERS)
        now = now_ns()
        since = parse_timestamp(request.query_params["since"], now=now) if request.query_params.get("since") else None
        until = parse_timestamp(request.query_params["until"], now=now, name="until") if request.query_params.get("until") else None
        queue = engine.events.subscribe() if until is None or until > now else None
        history = engine.events.history(since, until) if since is not None else []

        async def stream() -> AsyncIterator[bytes]:
            try:
                for event in history:
                    if _event_matches(event, filters):
                        yield wire.encode(event.to_wire()) + b"\n"
                if queue is None:
                    return
                while True:
                    timeout = None if until is None else max(0.0, (until - now_ns()) / 1e9)
                    try:
                        event = await asyncio.wait_for(queue.get(), timeout)
                    except TimeoutError:
                        return
                    if until is not None and event.time_ns > until:
                        return
                    if _event_matches(event, filters):
                        yield wire.encode(event.to_wire()) + b"\n"
            finally:
                if queue is not None:
                    engine.events.unsubscribe(queue)

        return StreamingResponse(stream(), media_type="application/json")

    async def system_df(request: Request) -> Response:
        images = [{"Id": i.Id, "ParentId": i.Parent, "RepoTags": i.RepoTags, "RepoDigests": i.RepoDigests,
                   "Created": 0, "Size": i.Size, "SharedSize": -1, "Labels": i.Config.Labels,
                   "Containers": sum(1 for c in engine.store.containers if c.image_id == i.Id)}
                  for i in engine.store.images]
        vols = []
        for volume in engine.store.volumes:
            body = engine.volumes.render(volume)
            size = await asyncio.to_thread(engine.volumes.size, volume)
            body["UsageData"] = {"Size": size, "RefCount": len(engine.volumes.users(volume.name))}
            vols.append(body)
        return JSONResponse({
            "LayersSize": sum(i.Size for i in engine.store.images),
            "Images": images,
            "Containers": [render.summary(c, versions.MAX, with_size=True) for c in engine.store.containers],
            "Volumes": vols,
            "BuildCache": [],
        })

    async def auth(request: Request) -> Response:
        body = wire.loads(await request.body())
        credentials = decode_auth_config(body)
        server = (body.get("serveraddress") or "") if isinstance(body, dict) else ""
        if not isinstance(server, str):
            raise InvalidParameter("serveraddress must be a string")
        domain = registry_domain(server)
        if not _REGISTRY_HOST.fullmatch(domain):
            raise InvalidParameter(f"invalid registry address {server!r}: expected a host name with an optional port")
        try:
            identity_token = await engine.registry.login(domain, credentials)
        except RegistryError as exc:
            if exc.status in (401, 403):
                raise Unauthorized(f"login attempt to {server or domain} failed with status: 401 Unauthorized") from None
            if exc.status >= 500:  # unreachable or failing: the registry is unavailable, not the daemon
                raise Unavailable(f"registry {domain} unavailable for login: {exc.message}") from None
            raise InvalidParameter(f"login to {domain} failed: {exc.message}") from None
        return JSONResponse({"Status": "Login Succeeded", "IdentityToken": identity_token})

    return [
        DockerRoute("/_ping", ping, methods=["GET", "HEAD"]),
        DockerRoute("/version", version, methods=["GET"]),
        DockerRoute("/info", info, methods=["GET"]),
        DockerRoute("/events", events, methods=["GET"]),
        DockerRoute("/system/df", system_df, methods=["GET"]),
        DockerRoute("/auth", auth, methods=["POST"]),
    ]


_REGISTRY_HOST = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.?)+(?::[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](?::[0-9]{1,5})?")


def _host_cgroup_version() -> str:
    """The host's cgroup hierarchy version, as dockerd reports it ("2" on a unified hierarchy)."""
    return "2" if os.path.exists("/sys/fs/cgroup/cgroup.controllers") else "1"


def _go_arch(machine: str) -> str:
    return {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm"}.get(machine, machine)


def _fuzzy(filters: Filters, key: str, *candidates: str) -> bool:
    """Docker's FuzzyMatch: absent key passes; a value matches exactly or as an id prefix."""
    wanted = filters.get(key)
    if not wanted:
        return True
    return any(c and (c == w or c.startswith(w)) for c in candidates for w in wanted)


def _event_matches(event: Event, filters: Filters) -> bool:
    """Each filter key must accept the event, as in Docker's event filter."""
    if not filters.values:
        return True
    attrs = event.attributes
    name = attrs.get("name", "")
    action = event.action.split(":", 1)[0]
    return (
        filters.match_any("type", [event.type])
        and filters.match_any("event", [event.action, action])
        and filters.match_any("scope", [event.scope])
        and _fuzzy(filters, "container", event.actor_id, name)
        and _fuzzy(filters, "network", event.actor_id, name)
        and _fuzzy(filters, "volume", event.actor_id)
        and filters.match_any("image", [event.actor_id, attrs.get("image", ""), name])
        and filters.match_labels(attrs)
    )


def _info(engine: Engine, daemon_id: str) -> dict[str, Any]:
    facts = engine.host_facts()
    counts = engine.counts()
    backend = engine.backend
    return {
        "ID": daemon_id,
        **counts,
        "Driver": backend.info.driver or backend.name,
        "DriverStatus": [["Backend", backend.name], ["Capabilities", ", ".join(sorted(backend.info.capabilities))]],
        "Plugins": {"Volume": ["local"], "Network": ["bridge", "host", "null"], "Authorization": None, "Log": ["json-file"]},
        "MemoryLimit": "Memory" in backend.info.honoured_resources,
        "SwapLimit": False,
        "CpuCfsPeriod": False,
        "CpuCfsQuota": False,
        "CPUShares": False,
        "CPUSet": False,
        "PidsLimit": False,
        "IPv4Forwarding": False,
        "BridgeNfIptables": False,
        "BridgeNfIp6tables": False,
        "Debug": False,
        "NFd": 0,
        "OomKillDisable": False,
        "NGoroutines": 0,
        "SystemTime": rfc3339_nano(time.time_ns()),
        "LoggingDriver": "json-file",
        "CgroupDriver": "none",
        "CgroupVersion": _host_cgroup_version(),
        "NEventsListener": 0,
        "KernelVersion": facts["kernel"],
        "OperatingSystem": facts["operating_system"],
        "OSVersion": "",
        "OSType": facts["os_type"],
        "Architecture": facts["arch"],
        "IndexServerAddress": "https://index.docker.io/v1/",
        "RegistryConfig": engine.registry.settings.info(),
        "NCPU": facts["ncpu"],
        "MemTotal": facts["mem_total"],
        "GenericResources": None,
        "DockerRootDir": str(engine.data_root),
        "HttpProxy": "",
        "HttpsProxy": "",
        "NoProxy": "",
        "Name": socket.gethostname(),
        "Labels": [],
        "ExperimentalBuild": False,
        "ServerVersion": __version__,
        "Runtimes": {backend.name: {"path": f"sockerless-{backend.name}"}},
        "DefaultRuntime": backend.name,
        "Swarm": {"NodeID": "", "NodeAddr": "", "LocalNodeState": "inactive", "ControlAvailable": False,
                  "Error": "", "RemoteManagers": None},
        "LiveRestoreEnabled": False,
        "Isolation": "",
        "InitBinary": "",
        "ContainerdCommit": {"ID": "", "Expected": ""},
        "RuncCommit": {"ID": "", "Expected": ""},
        "InitCommit": {"ID": "", "Expected": ""},
        "SecurityOptions": [],
        "Warnings": None,
    }
