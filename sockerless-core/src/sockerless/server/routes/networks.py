"""``/networks`` endpoints."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ...api.filters import Filters
from ...api.models.networks import NetworkConnectRequest, NetworkCreateRequest, NetworkDisconnectRequest
from ...engine import networks as network_mod
from ...engine.daemon import Engine
from ..params import json_body, qstr
from ..responses import JSONResponse, no_content
from ..routing import DockerRoute


def routes(engine: Engine) -> list[DockerRoute]:
    """The network routes."""
    service = engine.networks

    async def list_networks(request: Request) -> Response:
        filters = Filters.parse(qstr(request, "filters") or None, network_mod.LIST_FILTERS)
        found = [n for n in sorted(engine.store.networks, key=lambda n: n.created) if service.matches(n, filters)]
        return JSONResponse([service.render(n, with_containers=False) for n in found])

    async def inspect(request: Request) -> Response:
        return JSONResponse(service.render(service.find(request.path_params["id"])))

    async def create(request: Request) -> Response:
        body = await json_body(request, NetworkCreateRequest)
        record = await engine.create_network(body)
        return JSONResponse({"Id": record.id, "Warning": ""}, status_code=201)

    async def remove(request: Request) -> Response:
        await engine.remove_network(service.find(request.path_params["id"]))
        return no_content()

    async def connect(request: Request) -> Response:
        network = service.find(request.path_params["id"])
        body = await json_body(request, NetworkConnectRequest)
        await engine.connect_network(network, engine.containers.find(body.Container), body.EndpointConfig)
        return Response(status_code=200)

    async def disconnect(request: Request) -> Response:
        network = service.find(request.path_params["id"])
        body = await json_body(request, NetworkDisconnectRequest)
        await engine.disconnect_network(network, engine.containers.find(body.Container))
        return Response(status_code=200)

    async def prune(request: Request) -> Response:
        filters = Filters.parse(qstr(request, "filters") or None, network_mod.PRUNE_FILTERS)
        deleted = []
        for network in service.prunable(filters):
            await engine.remove_network(network)
            deleted.append(network.name)
        engine.events.publish("network", "prune", "", {"reclaimed": "0"})
        return JSONResponse({"NetworksDeleted": deleted or None})

    return [
        DockerRoute("/networks", list_networks, methods=["GET"]),
        DockerRoute("/networks/create", create, methods=["POST"]),
        DockerRoute("/networks/prune", prune, methods=["POST"]),
        DockerRoute("/networks/{id}", inspect, methods=["GET"]),
        DockerRoute("/networks/{id}", remove, methods=["DELETE"]),
        DockerRoute("/networks/{id}/connect", connect, methods=["POST"]),
        DockerRoute("/networks/{id}/disconnect", disconnect, methods=["POST"]),
    ]
