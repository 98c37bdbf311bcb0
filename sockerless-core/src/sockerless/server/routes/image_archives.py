"""``docker save``, ``docker load`` and ``docker import``: image data in and out as tar archives."""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from ...api import wire
from ...api.errors import InvalidParameter
from ...engine.daemon import Engine
from ...engine.images.archive import load_archive, select_for_save, write_archive
from ...engine.images.importer import import_rootfs
from ...engine.images.progress import layer_progress, short_id
from ..params import qbool, qstr

log = logging.getLogger(__name__)
CHUNK = 1 << 20


def _spool_dir(engine: Engine) -> Path:
    path = engine.image_store.root / "tmp"
    path.mkdir(parents=True, exist_ok=True)
    return path


async def _spool_body(engine: Engine, request: Request) -> Path:
    """The request body in a temporary file (removed by the caller)."""
    fd, name = tempfile.mkstemp(prefix="upload-", dir=_spool_dir(engine))
    try:
        with os.fdopen(fd, "wb") as out:
            async for chunk in request.stream():
                out.write(chunk)
    except BaseException:
        os.unlink(name)
        raise
    return Path(name)


async def _spool_url(engine: Engine, url: str) -> Path:
    fd, name = tempfile.mkstemp(prefix="import-", dir=_spool_dir(engine))
    try:
        with os.fdopen(fd, "wb") as out:
            async with httpx.AsyncClient(follow_redirects=True, timeout=60, trust_env=False) as client, \
                    client.stream("GET", url) as response:
                if response.status_code >= 400:
                    raise InvalidParameter(f"import from {url.split('?', 1)[0]}: server answered {response.status_code}")
                async for chunk in response.aiter_bytes(CHUNK):
                    out.write(chunk)
    except httpx.HTTPError as exc:
        os.unlink(name)
        raise InvalidParameter(f"import from {url.split('?', 1)[0]}: {exc}") from None
    except BaseException:
        os.unlink(name)
        raise
    return Path(name)


def _line(**fields: object) -> bytes:
    return wire.encode(fields) + b"\r\n"


async def import_image(engine: Engine, request: Request) -> Response:
    """``POST /images/create?fromSrc=-`` (body) or ``fromSrc=URL``."""
    source = qstr(request, "fromSrc")
    if source == "-":
        path = await _spool_body(engine, request)
    elif source.startswith(("http://", "https://")):
        path = await _spool_url(engine, source)
    else:
        raise InvalidParameter(f"fromSrc must be - or an http(s) URL, got {source!r}")
    changes = request.query_params.getlist("changes")
    try:
        image = await asyncio.to_thread(import_rootfs, engine.image_store, path, repo=qstr(request, "repo"),
                                        tag=qstr(request, "tag"), changes=changes, message=qstr(request, "message"),
                                        platform=qstr(request, "platform"), source=source.split("?", 1)[0])
    finally:
        path.unlink(missing_ok=True)
    engine.events.publish("image", "import", image.Id, {"name": image.Id})
    return Response(_line(status=image.Id), media_type="application/json")


def routes(engine: Engine) -> tuple:
    """The save and load endpoints (import is reached through ``/images/create``)."""
    store = engine.image_store

    async def save(request: Request) -> Response:
        names = request.query_params.getlist("names") if "name" not in request.path_params else [request.path_params["name"]]
        if not names:
            raise InvalidParameter("no image names given to save")
        items = select_for_save(store, names)
        fd, name = tempfile.mkstemp(prefix="save-", dir=_spool_dir(engine))
        path = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                await asyncio.to_thread(write_archive, store, items, out)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        for item in items:
            engine.events.publish("image", "save", item.image.Id, {"name": item.image.Id})

        async def body() -> AsyncIterator[bytes]:
            try:
                with open(path, "rb") as handle:
                    while chunk := await asyncio.to_thread(handle.read, CHUNK):
                        yield chunk
            finally:
                path.unlink(missing_ok=True)

        return StreamingResponse(body(), media_type="application/x-tar")

    async def load(request: Request) -> Response:
        quiet = qbool(request, "quiet")
        path = await _spool_body(engine, request)
        lines: list[bytes] = []

        def progress(diff_id: str, size: int) -> None:
            if not quiet:
                lines.append(_line(**layer_progress(short_id(diff_id), "Loading layer", size, size)))

        try:
            loaded = await asyncio.to_thread(load_archive, store, path, progress)
        finally:
            path.unlink(missing_ok=True)
        for tag, old in loaded.renamed:
            lines.append(_line(stream=f"The image {tag} already exists, renaming the old one with ID {old} to empty string\n"))
        for image_id, tags in loaded.images:
            for tag in tags:
                lines.append(_line(stream=f"Loaded image: {tag}\n"))
                engine.events.publish("image", "load", image_id, {"name": tag})
            if not tags:
                lines.append(_line(stream=f"Loaded image ID: {image_id}\n"))
                engine.events.publish("image", "load", image_id, {"name": image_id})
        return Response(b"".join(lines), media_type="application/json")

    return save, load
