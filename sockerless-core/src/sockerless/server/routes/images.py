"""``/images`` endpoints (and the image endpoints this release refuses clearly)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from ...api import wire
from ...api.errors import DockerError, InvalidParameter, NotImplementedByBackend
from ...api.filters import Filters
from ...engine.builder.history import image_history
from ...engine.daemon import Engine
from ...engine.images import image_inspect, image_summary
from ..params import qbool, qstr
from ..responses import JSONResponse
from ..routing import DockerRoute, api_version

PRUNE_FILTERS = ("dangling", "label", "label!", "until")
log = logging.getLogger(__name__)


def _error_line(message: str) -> bytes:
    return wire.encode({"errorDetail": {"message": message}, "error": message}) + b"\r\n"


def routes(engine: Engine) -> list[DockerRoute]:
    """The image routes."""
    images = engine.images

    async def create(request: Request) -> Response:
        if qstr(request, "fromSrc"):
            raise NotImplementedByBackend("sockerless", "image import (docker import)", "arrives in a later release")
        name = qstr(request, "fromImage")
        if not name:
            raise InvalidParameter("fromImage or fromSrc is required")
        progress = await images.pull(name, qstr(request, "tag"), qstr(request, "platform"))

        async def body() -> AsyncIterator[bytes]:
            try:
                async for line in progress:
                    yield wire.encode(line) + b"\r\n"
            except DockerError as exc:
                yield _error_line(exc.message)
            except Exception as exc:  # the stream has started: report in it, as Docker does
                log.exception("pull of %s failed", name)
                yield _error_line(f"pull failed: {type(exc).__name__}: {exc}")

        return StreamingResponse(body(), media_type="application/json")

    async def list_images(request: Request) -> Response:
        filters = Filters.parse(qstr(request, "filters") or None, images.LIST_FILTERS)
        if qstr(request, "filter"):
            filters.values.setdefault("reference", set()).add(qstr(request, "filter"))
        version = api_version(request)
        counts: dict[str, int] = {}
        for container in engine.store.containers:
            counts[container.image_id] = counts.get(container.image_id, 0) + 1
        records = images.list(filters)
        if not qbool(request, "all"):  # build steps' images stay out of sight, as with dockerd
            parents = {image.Parent for image in engine.store.images if image.Parent}
            records = [i for i in records if i.RepoTags or i.Id not in parents]
        return JSONResponse([image_summary(i, version, counts.get(i.Id, 0) if qbool(request, "shared-size") else -1)
                             for i in records])

    async def inspect(request: Request) -> Response:
        return JSONResponse(image_inspect(images.find(request.path_params["name"]), api_version(request)))

    async def history(request: Request) -> Response:
        image = images.find(request.path_params["name"])
        return JSONResponse(image_history(image, engine.store.images.get))

    async def tag(request: Request) -> Response:
        repo = qstr(request, "repo")
        if not repo:
            raise InvalidParameter("repository name must have at least one component")
        images.tag(request.path_params["name"], repo, qstr(request, "tag"))
        return Response(status_code=201)

    async def remove(request: Request) -> Response:
        return JSONResponse(images.remove(request.path_params["name"], force=qbool(request, "force"),
                                          prune_parents=not qbool(request, "noprune")))

    async def prune(request: Request) -> Response:
        filters = Filters.parse(qstr(request, "filters") or None, PRUNE_FILTERS)
        return JSONResponse(images.prune(filters))

    def refused(operation: str):
        async def endpoint(request: Request) -> Response:
            raise NotImplementedByBackend("sockerless", operation, "arrives in a later release")

        return endpoint

    return [
        DockerRoute("/images/create", create, methods=["POST"]),
        DockerRoute("/images/json", list_images, methods=["GET"]),
        DockerRoute("/images/prune", prune, methods=["POST"]),
        DockerRoute("/images/load", refused("image load (docker load)"), methods=["POST"]),
        DockerRoute("/images/get", refused("image save (docker save)"), methods=["GET"]),
        DockerRoute("/images/search", refused("registry search"), methods=["GET"]),
        DockerRoute("/images/{name:path}/json", inspect, methods=["GET"]),
        DockerRoute("/images/{name:path}/history", history, methods=["GET"]),
        DockerRoute("/images/{name:path}/tag", tag, methods=["POST"]),
        DockerRoute("/images/{name:path}/push", refused("image push (docker push)"), methods=["POST"]),
        DockerRoute("/images/{name:path}/get", refused("image save (docker save)"), methods=["GET"]),
        DockerRoute("/images/{name:path}", remove, methods=["DELETE"]),
        DockerRoute("/distribution/{name:path}/json", refused("distribution inspect"), methods=["GET"]),
    ]
