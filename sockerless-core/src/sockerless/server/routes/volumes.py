"""``/volumes`` endpoints."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ...api.filters import Filters
from ...api.models.volumes import VolumeCreateRequest
from ...engine import volumes as volume_mod
from ...engine.daemon import Engine
from ..params import json_body, qstr
from ..responses import JSONResponse, no_content
from ..routing import DockerRoute, api_version


def routes(engine: Engine) -> list[DockerRoute]:
    """The volume routes."""
    service = engine.volumes

    async def list_volumes(request: Request) -> Response:
        filters = Filters.parse(qstr(request, "filters") or None, volume_mod.LIST_FILTERS)
        found = [service.render(v) for v in sorted(engine.store.volumes, key=lambda v: v.created) if service.matches(v, filters)]
        return JSONResponse({"Volumes": found, "Warnings": None})

    async def create(request: Request) -> Response:
        body = await json_body(request, VolumeCreateRequest)
        return JSONResponse(service.render(await engine.create_volume(body)), status_code=201)

    async def inspect(request: Request) -> Response:
        return JSONResponse(service.render(service.find(request.path_params["name"])))

    async def remove(request: Request) -> Response:
        name = request.path_params["name"]
        volume = engine.store.volumes.get(name)
        if volume is None:
            if request.query_params.get("force") in ("1", "true", "True"):
                return no_content()
            service.find(name)
        await engine.remove_volume(service.find(name))
        return no_content()

    async def prune(request: Request) -> Response:
        # before API 1.42 every unused volume goes and there is no "all" filter; since then
        # only anonymous ones unless all=true (and "until" was never a volume prune filter)
        legacy = api_version(request) < (1, 42)
        allowed = tuple(f for f in volume_mod.PRUNE_FILTERS if not (legacy and f == "all"))
        filters = Filters.parse(qstr(request, "filters") or None, allowed)
        deleted, reclaimed = [], 0
        for volume in service.prunable(filters, all_by_default=legacy):
            reclaimed += service.size(volume)
            await engine.remove_volume(volume)
            deleted.append(volume.name)
        engine.events.publish("volume", "prune", "", {"reclaimed": str(reclaimed)})
        return JSONResponse({"VolumesDeleted": deleted or None, "SpaceReclaimed": reclaimed})

    return [
        DockerRoute("/volumes", list_volumes, methods=["GET"]),
        DockerRoute("/volumes/create", create, methods=["POST"]),
        DockerRoute("/volumes/prune", prune, methods=["POST"]),
        DockerRoute("/volumes/{name}", inspect, methods=["GET"]),
        DockerRoute("/volumes/{name}", remove, methods=["DELETE"]),
    ]
