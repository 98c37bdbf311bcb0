"""How the agent meets the daemon: it listens (forward mode) or dials back (reverse mode)."""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
from collections.abc import Awaitable, Callable

from sockerless.agent import protocol
from sockerless.agent.channel import Channel
from sockerless.agent.tokens import tokens_match
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import InvalidStatus
from websockets.http11 import Request, Response

from .sessions import AgentService

log = logging.getLogger("sockerless_agent")

BACKOFF_START = 0.1
BACKOFF_MAX = 5.0
STABLE_AFTER = 10.0
"""A connection that lasted this long resets the back-off."""



async def run_forward(service: AgentService, host: str, port: int, token: str, tls: ssl.SSLContext | None,
                      stopped: Awaitable[object], on_listening: Callable[[int], None] | None = None) -> None:
    """Listen for the daemon until ``stopped`` completes."""

    def authorize(connection: ServerConnection, request: Request) -> Response | None:
        presented = protocol.token_from_header(request.headers.get(protocol.TOKEN_HEADER))
        if not tokens_match(presented, token):
            log.warning("refused a connection from %s: missing or wrong token", _peer(connection))
            return connection.respond(401, "sockerless agent: missing or wrong token\n")
        return None

    async def handler(ws: ServerConnection) -> None:
        if ws.subprotocol != protocol.SUBPROTOCOL:
            await ws.close(1002, f"this agent speaks {protocol.SUBPROTOCOL}")
            return
        log.info("daemon connected from %s", _peer(ws))
        channel = Channel(ws, on_open=service.open_session, name="daemon")
        await service.serve(channel)
        log.info("daemon connection ended: %s", channel.close_reason)

    async with serve(handler, host, port, process_request=authorize, ssl=tls, **protocol.ws_options()) as server:
        bound = server.sockets[0].getsockname()[1]
        log.info("listening on %s:%d%s", host, bound, " (TLS)" if tls else "")
        if on_listening is not None:
            on_listening(bound)
        await stopped


async def run_reverse(service: AgentService, url: str, token: str, container_id: str, tls: ssl.SSLContext | None,
                      stopped: asyncio.Future, on_connected: Callable[[], None] | None = None) -> None:
    """Dial the daemon, serve, and dial again with back-off whenever the connection ends, until ``stopped``.

    ``on_connected`` is called whenever a connection has been accepted.
    """
    headers = {protocol.TOKEN_HEADER: protocol.bearer(token), protocol.CONTAINER_HEADER: container_id}
    delay = BACKOFF_START
    loop = asyncio.get_running_loop()
    while not stopped.done():
        began = loop.time()
        try:
            async with connect(url, additional_headers=headers, ssl=tls if url.startswith("wss:") else None,
                               open_timeout=10, **protocol.ws_options()) as ws:
                log.info("connected to the daemon at %s", url)
                if on_connected is not None:
                    on_connected()
                channel = Channel(ws, on_open=service.open_session, name="daemon")
                serving = asyncio.ensure_future(service.serve(channel))
                await asyncio.wait([serving, stopped], return_when=asyncio.FIRST_COMPLETED)
                if not serving.done():
                    await channel.close("the workload ended")
                    serving.cancel()
                    return
                log.info("daemon connection ended: %s", channel.close_reason)
        except InvalidStatus as exc:
            status = exc.response.status_code
            log.warning("the daemon at %s refused this agent (HTTP %d)%s", url, status,
                        ": wrong token or unknown container" if status in (401, 403) else "")
        except (OSError, TimeoutError, Exception) as exc:
            log.info("cannot reach the daemon at %s: %s", url, exc)
        if loop.time() - began > STABLE_AFTER:
            delay = BACKOFF_START
        wait = delay * (0.5 + random.random())
        delay = min(delay * 2, BACKOFF_MAX)
        await asyncio.wait([stopped], timeout=wait)


def _peer(connection: ServerConnection) -> str:
    try:
        host, port = connection.remote_address[:2]
        return f"{host}:{port}"
    except Exception:
        return "unknown peer"
