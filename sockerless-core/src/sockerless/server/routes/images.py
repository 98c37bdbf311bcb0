"""``/images`` endpoints (and the image endpoints this release refuses clearly)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from ...api import wire
from ...api.errors import DockerError, InvalidParameter, NotImplementedByBackend
from ...api.filters import Filters
from ...engine.daemon import Engine
from ...engine.images import image_history, image_inspect, image_summary
from ...engine.reference import parse as parse_reference
from ...engine.registry import credentials_from_header
from ..params import qbool, qstr
from ..responses import JSONResponse
from ..routing import DockerRoute, api_version
from .image_archives import import_image
from .image_archives import routes as archive_routes

PRUNE_FILTERS = ("dangling", "label", "label!", "until")
log = logging.getLogger(__name__)


def _error_line(message: str) -> bytes:
    return wire.encode({"errorDetail": {"message": message}, "error": message}) + b"\r\n"


def _progress_response(progress: AsyncIterator[dict], what: str) -> StreamingResponse:
    """Stream progress lines; a failure after the first line is reported in the stream, as Docker does."""
    async def body() -> AsyncIterator[bytes]:
        try:
            async for line in progress:
                yield wire.encode(line) + b"\r\n"
        except DockerError as exc:
            yield _error_line(exc.message)
        except Exception as exc:
            log.exception("%s failed", what)
            yield _error_line(f"{what} failed: {type(exc).__name__}: {exc}")

    return StreamingResponse(body(), media_type="application/json")


def routes(engine: Engine) -> list[DockerRoute]:
    """The image routes."""
    images = engine.images

    async def create(request: Request) -> Response:
        if qstr(request, "fromSrc"):
            return await import_image(engine, request)
        name = qstr(request, "fromImage")
        if not name:
            raise InvalidParameter("fromImage or fromSrc is required")
        credentials = credentials_from_header(request.headers.get("X-Registry-Auth"))
        progress = await images.pull(name, qstr(request, "tag"), qstr(request, "platform"), credentials)
        return _progress_response(progress, f"pull of {name}")

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
        document = engine.image_store.config_document(image)
        sizes = {layer: record.Size for layer in image.Layers if (record := engine.store.layers.get(layer))}
        entries = image_history(image, document, sizes)
        # as dockerd: entries newest first belong to the image, then its parent, and so on, while known
        current = image
        for entry in entries:
            entry["Id"], entry["Tags"] = current.Id, list(current.RepoTags) or None
            parent = engine.store.images.get(current.Parent) if current.Parent else None
            if parent is None:
                break
            current = parent
        return JSONResponse(entries)

    async def distribution(request: Request) -> Response:
        credentials = credentials_from_header(request.headers.get("X-Registry-Auth"))
        ref = parse_reference(request.path_params["name"])
        return JSONResponse(await images.puller.distribution(ref, credentials))

    async def push(request: Request) -> Response:
        credentials = credentials_from_header(request.headers.get("X-Registry-Auth"))
        progress = await engine.pusher.push(request.path_params["name"], qstr(request, "tag"), credentials)
        return _progress_response(progress, f"push of {request.path_params['name']}")

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

    save, load = archive_routes(engine)
    return [
        DockerRoute("/images/create", create, methods=["POST"]),
        DockerRoute("/images/json", list_images, methods=["GET"]),
        DockerRoute("/images/prune", prune, methods=["POST"]),
        DockerRoute("/images/load", load, methods=["POST"]),
        DockerRoute("/images/get", save, methods=["GET"]),
        DockerRoute("/images/search", refused("registry search"), methods=["GET"]),
        DockerRoute("/images/{name:path}/json", inspect, methods=["GET"]),
        DockerRoute("/images/{name:path}/history", history, methods=["GET"]),
        DockerRoute("/images/{name:path}/tag", tag, methods=["POST"]),
        DockerRoute("/images/{name:path}/push", push, methods=["POST"]),
        DockerRoute("/images/{name:path}/get", save, methods=["GET"]),
        DockerRoute("/images/{name:path}", remove, methods=["DELETE"]),
        DockerRoute("/distribution/{name:path}/json", distribution, methods=["GET"]),
    ]
