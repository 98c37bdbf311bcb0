"""The ASGI application that forwards every Docker API request to the engine.

The core has already checked the version and stripped its prefix; here the path gets the
version the engine understands, adapters rewrite the few bodies that need it, and replies
stream back as they arrive (logs, events, pull and build progress). Attach and exec are
hijacked and spliced to the engine's connection.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import quote

from sockerless.api import errors
from sockerless.api.errors import DockerError, ServerError
from sockerless.server.hijack import HIJACK_EXTENSION
from sockerless.server.routing import API_VERSION_KEY

from . import adapt, emulate
from .duplex import splice
from .negotiate import EngineVersion, text
from .settings import Settings
from .upstream import Response, Upstream, UpstreamError

log = logging.getLogger(__name__)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

BUFFER_LIMIT = 1 << 16
"""Request bodies up to this size (or any an adapter reads) are buffered, larger ones stream."""
HOP_BY_HOP = frozenset({b"connection", b"keep-alive", b"transfer-encoding", b"upgrade", b"te", b"trailer",
                        b"proxy-connection", b"proxy-authorization", b"host", b"content-length", b"expect"})
CORE_HEADERS = frozenset({b"api-version", b"server", b"ostype", b"docker-experimental", b"date"})
REPLY_DROPPED = HOP_BY_HOP | CORE_HEADERS
PATH_SAFE = "/:@!$&'()*+,;=-._~"


class PassthroughAPI:
    """Forwards each request to the engine and its reply back."""

    def __init__(self, upstream: Upstream, engine: EngineVersion, settings: Settings) -> None:
        self.upstream = upstream
        self.engine = engine
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        method = scope["method"]
        path = scope["path"]
        requested = scope.get(API_VERSION_KEY)
        forwarded = self.engine.forward(requested)
        exchange = adapt.Exchange(method, path, requested or forwarded, forwarded, self.engine, self.settings)
        adapter = adapt.find(method, path)
        headers = scope["headers"]
        query = scope.get("query_string") or b""
        if emulate.prune_needs_emulation(method, path, requested or forwarded, forwarded, query):
            await _drain(receive)
            status, body = await emulate.prune_anonymous_volumes(self.call, forwarded, query)
            await _send_json(send, status, body)
            return
        query = emulate.prune_query(method, path, requested or forwarded, forwarded, query)
        upgrade = any(name == b"upgrade" for name, _ in headers)
        body, length, more = await _start_body(receive, headers, force=adapter is not None and adapter.request)
        if adapter is not None and adapter.request is not None:
            body = _rewrite_json(body, lambda doc: adapter.request(exchange, doc))
            length = len(body)
        target = f"/v{text(forwarded)}{quote(path, safe=PATH_SAFE)}"
        head = _request_head(method, target, query, headers, length, upgrade, streamed=more)
        try:
            reply = await self.upstream.request(head, _stream_body(body, receive) if more else body,
                                                chunked=more and length is None)
        except (UpstreamError, ConnectionError) as exc:
            raise ServerError(f"docker backend: the engine at {self.settings.address.url} failed: {exc}") from None
        if upgrade and reply.status in (101, 200) and _is_stream(reply):
            await self._hijack(scope, reply)
            return
        if adapter is not None and adapter.reply is not None and 200 <= reply.status < 300:
            await self._send_adapted(exchange, adapter, reply, send)
            return
        await self._stream_reply(reply, receive, send)

    async def _hijack(self, scope: Scope, reply: Response) -> None:
        hijack = scope.get("extensions", {}).get(HIJACK_EXTENSION)
        if hijack is None:
            reply.connection.close()
            raise ServerError("docker backend: this connection cannot be hijacked for attach/exec")
        lines = [f"HTTP/1.1 {reply.status} {reply.reason}".encode()]
        lines += [name + b": " + value for name, value in reply.headers
                  if name not in CORE_HEADERS and name not in (b"content-length", b"transfer-encoding")]
        lines += [name + b": " + value for name, value in scope.get("sockerless.headers", [])]
        stream = hijack(b"\r\n".join(lines) + b"\r\n\r\n")
        await splice(stream, reply.connection)

    async def _send_adapted(self, exchange: adapt.Exchange, adapter: adapt.Adapter, reply: Response,
                            send: Send) -> None:
        raw = await self._finish(reply)
        body = _rewrite_json(raw, lambda doc: adapter.reply(exchange, doc))
        if exchange.extra_endpoints:
            await self._connect_extra(exchange, json.loads(body)["Id"])
        await send({"type": "http.response.start", "status": reply.status,
                    "headers": _reply_headers(reply, len(body))})
        await send({"type": "http.response.body", "body": body})

    async def _connect_extra(self, exchange: adapt.Exchange, container_id: str) -> None:
        """Networks beyond the first, for 1.44 clients: connected right after create, as the
        engine allows only one at create; the container is removed again if one fails."""
        version = text(exchange.forwarded)
        for network, endpoint in exchange.extra_endpoints.items():
            payload = json.dumps({"Container": container_id, "EndpointConfig": endpoint}).encode()
            status, answer = await self.call("POST", f"/v{version}/networks/{quote(network, safe='')}/connect", payload)
            if status >= 300:
                await self.call("DELETE", f"/v{version}/containers/{container_id}?force=1", b"")
                message = _message(answer) or f"status {status}"
                raise _error(status, message)

    async def call(self, method: str, target: str, body: bytes) -> tuple[int, bytes]:
        """One buffered request of the backend's own (status, body)."""
        head = _request_head(method, target, b"", [(b"content-type", b"application/json")], len(body), False, False)
        reply = await self.upstream.request(head, body)
        return reply.status, await self._finish(reply)

    async def _finish(self, reply: Response) -> bytes:
        data = await reply.read_all()
        self._recycle(reply)
        return data

    def _recycle(self, reply: Response) -> None:
        if reply.done and reply.reusable:
            self.upstream.release(reply.connection)
        else:
            reply.connection.close()

    async def _stream_reply(self, reply: Response, receive: Receive, send: Send) -> None:
        length = reply.length
        if not reply.has_body or (length is not None and length <= BUFFER_LIMIT):
            body = await self._finish(reply)  # small and sized (or none): one write, no streaming machinery
            declared = length if reply.has_body or reply.method == "HEAD" else None
            await send({"type": "http.response.start", "status": reply.status,
                        "headers": _reply_headers(reply, declared)})
            await send({"type": "http.response.body", "body": body})
            return
        await send({"type": "http.response.start", "status": reply.status, "headers": _reply_headers(reply, length)})
        finished = False

        async def watch() -> None:
            # uvicorn answers receive() with http.disconnect once the client goes away
            while (await receive())["type"] != "http.disconnect":
                pass
            if not finished:
                reply.connection.close()

        watcher = asyncio.create_task(watch())
        try:
            async for chunk in reply.body():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except (UpstreamError, ConnectionError, OSError) as exc:
            if not watcher.done():
                log.warning("docker backend: reply stream from the engine broke: %s", exc)
        finally:
            finished = True
            watcher.cancel()
        self._recycle(reply)
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _drain(receive: Receive) -> None:
    message = await receive()
    while message.get("more_body", False):
        message = await receive()


async def _send_json(send: Send, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _error(status: int, message: str) -> DockerError:
    """The engine's error, re-raised with its status."""
    for cls in (errors.InvalidParameter, errors.NotFound, errors.Conflict, errors.Forbidden, errors.Unauthorized):
        if cls.status == status:
            return cls(message)
    return errors.ServerError(message)


def _message(body: bytes) -> str:
    try:
        return str(json.loads(body).get("message", ""))
    except (ValueError, AttributeError):
        return body.decode(errors="replace").strip()


def _is_stream(reply: Response) -> bool:
    if reply.status == 101:
        return True
    kind = reply.header(b"content-type") or b""
    return kind.startswith(b"application/vnd.docker.")


def _reply_headers(reply: Response, length: int | None) -> list[tuple[bytes, bytes]]:
    headers = [(name, value) for name, value in reply.headers if name not in REPLY_DROPPED]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    return headers


def _request_head(method: str, target: str, query: bytes, headers: list[tuple[bytes, bytes]],
                  length: int | None, upgrade: bool, streamed: bool) -> bytes:
    parts = [f"{method} {target}".encode()]
    if query:
        parts.append(b"?" + query)
    parts.append(b" HTTP/1.1\r\nHost: docker\r\n")
    for name, value in headers:
        if name not in HOP_BY_HOP:
            parts.append(name + b": " + value + b"\r\n")
    if upgrade:
        parts.append(b"Connection: Upgrade\r\nUpgrade: tcp\r\n")
    if length is not None:
        parts.append(b"Content-Length: %d\r\n" % length)
    elif streamed:
        parts.append(b"Transfer-Encoding: chunked\r\n")
    parts.append(b"\r\n")
    return b"".join(parts)


async def _start_body(receive: Receive, headers: list[tuple[bytes, bytes]],
                      force: bool) -> tuple[bytes, int | None, bool]:
    """The request body, buffered when small (or ``force``): ``(bytes so far, length, more to come)``."""
    declared: int | None = None
    for name, value in headers:
        if name == b"content-length" and value.strip().isdigit():
            declared = int(value)
    message = await receive()
    body = message.get("body", b"")
    more = message.get("more_body", False)
    if more and (force or (declared is not None and declared <= BUFFER_LIMIT)):
        chunks = [body]
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
    if not more:
        return body, len(body) if body or declared is not None else None, False
    return body, declared, True


async def _stream_body(first: bytes, receive: Receive) -> AsyncIterator[bytes]:
    yield first
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return
        yield message.get("body", b"")
        if not message.get("more_body", False):
            return


def _rewrite_json(raw: bytes, change: Callable[[dict[str, Any]], dict[str, Any]]) -> bytes:
    if not raw.strip():
        return raw
    try:
        doc = json.loads(raw)
    except ValueError:
        return raw  # the engine answers malformed JSON itself
    if not isinstance(doc, dict):
        return raw
    return json.dumps(change(doc), separators=(",", ":")).encode()
