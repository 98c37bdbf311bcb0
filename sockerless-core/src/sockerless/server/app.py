"""The ASGI application: version prefixes, Docker's headers and errors, then the routes.

This is a small pure-ASGI layer in front of a starlette router rather than a full
starlette app: every request passes through it, so it stays cheap.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.routing import Route, Router

from .. import __version__
from ..api import versions
from ..api.errors import DockerError
from ..engine.daemon import Engine
from .responses import error_body
from .routes import archive, build, containers, execs, images, networks, pods, swarm, system, volumes
from .routing import API_VERSION_KEY

log = logging.getLogger(__name__)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class DockerAPI:
    """The Docker Engine API as an ASGI application."""

    def __init__(self, engine: Engine, takeover: ASGIApp | None = None) -> None:
        """``takeover``: the active backend's own API app (hook ``sockerless_backend_api``), served
        instead of the core's routes behind the same version checks, headers and errors."""
        self.engine = engine
        self.router: ASGIApp
        if takeover is not None:
            self.router = takeover
        else:
            routes: list[Route] = []
            for module in (system, archive, containers, execs, images, build, networks, pods, volumes, swarm):
                routes.extend(module.routes(engine))
            self.router = Router(routes=routes, default=self._not_found)
        self.headers = [
            (b"api-version", versions.MAX_API_VERSION.encode()),
            (b"docker-experimental", b"false"),
            (b"ostype", b"linux"),
            (b"server", f"Sockerless/{__version__} (linux)".encode()),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        requested, path = versions.split_path(scope["path"])
        if requested is not None and path.startswith("/libpod/"):
            scope["path"], scope["raw_path"], requested = path, path.encode(), None  # Podman's own versions
        started = False
        headers = self.headers
        scope["sockerless.headers"] = headers

        async def send_with_headers(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = list(message.get("headers", [])) + headers
            await send(message)

        if requested is not None:
            problem = versions.check(requested)
            if problem is not None:
                await _send_error(send_with_headers, 400, problem)
                return
            scope["path"] = path
            scope["raw_path"] = path.encode()
            scope[API_VERSION_KEY] = versions.parse(requested)
        try:
            await self.router(scope, receive, send_with_headers)
        except DockerError as exc:
            if started:
                log.warning("error after the response started: %s", exc.message)
                return
            await _send_error(send_with_headers, exc.status, exc.message)
        except Exception as exc:
            log.exception("unhandled error in %s %s", scope.get("method"), scope.get("path"))
            if not started:
                await _send_error(send_with_headers, 500, f"internal error: {type(exc).__name__}: {exc}")

    async def _not_found(self, scope: Scope, receive: Receive, send: Send) -> None:
        await _send_error(send, 404, "page not found")


async def _send_error(send: Send, status: int, message: str) -> None:
    if status == 304:
        await send({"type": "http.response.start", "status": 304, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    body = error_body(message)
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
    })
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
