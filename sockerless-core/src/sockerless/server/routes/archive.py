"""``/containers/{id}/archive`` (``docker cp``) and ``/containers/{id}/export``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from ...api.errors import InvalidParameter
from ...engine.daemon import Engine
from ..params import qbool, qstr
from ..routing import DockerRoute

STAT_HEADER = "X-Docker-Container-Path-Stat"


def routes(engine: Engine) -> list[DockerRoute]:
    """The archive routes."""
    service = engine.archive

    def target(request: Request):
        ref = request.path_params["id"]
        path = qstr(request, "path")
        if not path:
            raise InvalidParameter("bad parameter: path cannot be empty")
        if "\x00" in path:
            raise InvalidParameter("bad parameter: path contains a NUL byte")
        return engine.containers.find(ref), path, ref

    async def head(request: Request) -> Response:
        record, path, ref = target(request)
        stat = await service.stat(record, path, ref)
        return Response(status_code=200, headers={STAT_HEADER: stat.header()}, media_type="application/json")

    async def get(request: Request) -> Response:
        if request.method == "HEAD":
            return await head(request)
        record, path, ref = target(request)
        stat, stream = await service.get(record, path, ref)
        return StreamingResponse(stream, media_type="application/x-tar", headers={STAT_HEADER: stat.header()})

    async def put(request: Request) -> Response:
        record, path, ref = target(request)
        await service.put(record, path, ref, request.stream(),
                          no_overwrite_dir_non_dir=qbool(request, "noOverwriteDirNonDir"),
                          copy_uid_gid=qbool(request, "copyUIDGID"))
        return Response(status_code=200)

    async def export(request: Request) -> Response:
        ref = request.path_params["id"]
        stream = await service.export(engine.containers.find(ref), ref)
        return StreamingResponse(stream, media_type="application/octet-stream")

    return [
        DockerRoute("/containers/{id}/archive", get, methods=["GET", "HEAD"]),
        DockerRoute("/containers/{id}/archive", put, methods=["PUT"]),
        DockerRoute("/containers/{id}/export", export, methods=["GET"]),
    ]
