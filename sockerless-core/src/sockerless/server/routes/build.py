"""``POST /build``, ``POST /build/prune``, ``POST /commit`` and ``GET /containers/{id}/changes``."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from ...api import wire
from ...api.errors import InvalidParameter, NotImplementedByBackend
from ...api.models.containers import ContainerConfig, HostConfig, normalize_create
from ...engine.builder.service import BuildService
from ...engine.builder.state import BuildOptions
from ...engine.daemon import Engine
from ...engine.registry.auth import decode_auth_config
from ..params import json_body, qbool, qint, qstr
from ..responses import JSONResponse
from ..routing import DockerRoute

RESOURCE_PARAMS = {"memory": "Memory", "memswap": "MemorySwap", "cpushares": "CpuShares", "cpuperiod": "CpuPeriod",
                   "cpuquota": "CpuQuota", "shmsize": "ShmSize"}


def _json_param(request: Request, name: str) -> Any:
    raw = qstr(request, name)
    if not raw:
        return {}
    try:
        return wire.loads(raw.encode())
    except InvalidParameter:
        raise InvalidParameter(f"invalid {name} parameter: {raw!r} is not JSON") from None


def registry_config(value: str | None) -> dict[str, Any]:
    """``X-Registry-Config``: base64 JSON of credentials by registry, for the pulls of a build."""
    if not value:
        return {}
    padded = value + "=" * (-len(value) % 4)
    try:
        document = wire.loads(base64.urlsafe_b64decode(padded) or b"{}")
    except (binascii.Error, ValueError, InvalidParameter):
        raise InvalidParameter("invalid X-Registry-Config header: not base64-encoded JSON") from None
    if not isinstance(document, dict):
        raise InvalidParameter("invalid X-Registry-Config header: not a JSON object")
    found = {}
    for registry, entry in document.items():
        if isinstance(entry, dict):
            credentials = decode_auth_config(entry)
            if not credentials.empty:
                found[_registry_domain(registry)] = credentials
    return found


def _registry_domain(key: str) -> str:
    """``https://index.docker.io/v1/`` -> ``docker.io``; ``127.0.0.1:5000`` stays."""
    host = key.split("://", 1)[-1].split("/", 1)[0]
    return "docker.io" if host in ("index.docker.io", "registry-1.docker.io") else host


def build_options(request: Request) -> BuildOptions:
    """The build's options from the query string, refusing what the classic builder cannot do here."""
    if qstr(request, "remote"):
        raise NotImplementedByBackend("sockerless", "builds from a remote context (remote=)",
                                      "send the context as a tar in the request body")
    if qstr(request, "version") == "2":
        raise NotImplementedByBackend("sockerless", "BuildKit builds (version=2)", "only the classic builder is served")
    if qbool(request, "squash"):
        raise NotImplementedByBackend("sockerless", "squashed builds (squash=1)")
    if qstr(request, "outputs"):
        raise NotImplementedByBackend("sockerless", "build outputs (outputs=)", "a BuildKit feature")
    buildargs = _json_param(request, "buildargs")
    labels = _json_param(request, "labels")
    if not isinstance(buildargs, dict) or not all(isinstance(v, (str, type(None))) for v in buildargs.values()):
        raise InvalidParameter("buildargs must be a JSON object of strings")
    if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
        raise InvalidParameter("labels must be a JSON object of strings")
    host = HostConfig(NetworkMode=qstr(request, "networkmode") or "default")
    for param, field_name in RESOURCE_PARAMS.items():
        value = qint(request, param)
        if value:
            setattr(host, field_name, value)
    if qstr(request, "cpusetcpus"):
        host.CpusetCpus = qstr(request, "cpusetcpus")
    extra_hosts = qstr(request, "extrahosts")
    if extra_hosts:
        host.ExtraHosts = [h for h in extra_hosts.split(",") if h]
    return BuildOptions(
        dockerfile=qstr(request, "dockerfile"),
        tags=request.query_params.getlist("t"),
        target=qstr(request, "target"),
        buildargs=buildargs,
        labels=labels,
        nocache=qbool(request, "nocache"),
        remove=qbool(request, "rm", True),
        forcerm=qbool(request, "forcerm"),
        pull=qbool(request, "pull"),
        quiet=qbool(request, "q"),
        platform=qstr(request, "platform"),
        host_config=host,
        registry_auth=registry_config(request.headers.get("X-Registry-Config")),
    )


def routes(engine: Engine) -> list[DockerRoute]:
    """The build and commit routes."""
    service = BuildService(engine)

    async def build(request: Request) -> Response:
        options = build_options(request)
        messages = await service.build(request.stream(), options)
        return StreamingResponse(messages, media_type="application/json")

    async def prune(request: Request) -> Response:
        return JSONResponse(service.prune_cache())

    async def commit(request: Request) -> Response:
        name = qstr(request, "container")
        if not name:
            raise InvalidParameter("a container name or id is required (container=)")
        record = engine.containers.find(name)
        config = await json_body(request, ContainerConfig, transform=normalize_create)
        image = await service.commit(
            record, repo=qstr(request, "repo"), tag=qstr(request, "tag"), comment=qstr(request, "comment"),
            author=qstr(request, "author"), pause=qbool(request, "pause", True),
            changes=request.query_params.getlist("changes"), config=config)
        return JSONResponse({"Id": image.Id}, status_code=201)

    async def changes(request: Request) -> Response:
        record = engine.containers.find(request.path_params["id"])
        return JSONResponse(await service.changes(record))

    return [
        DockerRoute("/build", build, methods=["POST"]),
        DockerRoute("/build/prune", prune, methods=["POST"]),
        DockerRoute("/commit", commit, methods=["POST"]),
        DockerRoute("/containers/{id}/changes", changes, methods=["GET"]),
    ]
