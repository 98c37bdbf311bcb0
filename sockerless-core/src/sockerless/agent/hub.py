"""The daemon's side of agent connections: dialling forward agents, receiving reverse ones.

One :class:`AgentHub` per daemon. Forward-mode agents are dialled on demand and the
connection is reused. Reverse-mode agents dial the hub's own WebSocket listener (a
dedicated one, never the Docker API listeners: the agent endpoint may have to be reachable
from the cloud, the Docker API must not); each must present the token the backend
registered for its container, compared in constant time, or it is refused with 401.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from dataclasses import dataclass
from pathlib import Path

from websockets.asyncio.client import connect
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import InvalidStatus
from websockets.http11 import Request, Response

from . import protocol
from .link import AgentAddress, AgentLink, AgentUnavailable, ForwardAddress, ReverseAddress, drop
from .tokens import tokens_match

log = logging.getLogger("sockerless.agent")

DIAL_RETRY = 0.05



@dataclass
class HubSettings:
    """Where the reverse-mode endpoint listens and how agents are told to reach it."""

    listen: str = "127.0.0.1:0"
    """``HOST:PORT`` of the dedicated listener (port 0: any free port, chosen when first needed)."""
    public_url: str = ""
    """The URL agents dial (``ws://`` or ``wss://``, ending in the endpoint path); default: the listener's."""
    tls: ssl.SSLContext | None = None
    """Serve ``wss://`` with this server context."""
    port_file: Path | None = None
    """With port 0: the port chosen is kept here and asked for again by the next daemon on this data root,
    so agents still running after a daemon restart find the endpoint where they left it."""


class AgentHub:
    """Connections to the agents of one daemon's containers."""

    def __init__(self, settings: HubSettings | None = None) -> None:
        self.settings = settings or HubSettings()
        self._expected: dict[str, str] = {}
        self._reverse: dict[str, AgentLink] = {}
        self._arrivals: dict[str, asyncio.Event] = {}
        self._forward: dict[tuple[str, ForwardAddress], AgentLink] = {}
        self._dial_locks: dict[tuple[str, ForwardAddress], asyncio.Lock] = {}
        self._server: Server | None = None
        self._starting = asyncio.Lock()
        self._url = ""

    # -- the reverse-mode endpoint ---------------------------------------------------------------
    async def reverse_url(self) -> str:
        """The URL a reverse-mode agent dials (starts the listener on first use)."""
        async with self._starting:
            if self._server is None:
                await self._listen()
        return self._url

    async def _listen(self) -> None:
        host, _, port_text = self.settings.listen.rpartition(":")
        host = host.strip("[]") or "127.0.0.1"
        port = int(port_text)
        remembered = self._remembered_port() if port == 0 else 0
        self._server = None
        if remembered:
            with contextlib.suppress(OSError):  # taken by someone else meanwhile: any free port
                self._server = await serve(self._serve_agent, host, remembered, process_request=self._authorize,
                                           ssl=self.settings.tls, **protocol.ws_options())
        if self._server is None:
            self._server = await serve(self._serve_agent, host, port, process_request=self._authorize,
                                       ssl=self.settings.tls, **protocol.ws_options())
        bound = self._server.sockets[0].getsockname()
        if port == 0:
            self._remember_port(bound[1])
        scheme = "wss" if self.settings.tls else "ws"
        shown = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
        self._url = self.settings.public_url or f"{scheme}://{shown}:{bound[1]}{protocol.REVERSE_PATH}"
        log.info("agent endpoint listening on %s:%d%s", bound[0], bound[1], " (TLS)" if self.settings.tls else "")

    def _remembered_port(self) -> int:
        file = self.settings.port_file
        try:
            text = file.read_text().strip() if file is not None else ""
        except OSError:
            return 0
        return int(text) if text.isdigit() and 0 < int(text) < 65536 else 0

    def _remember_port(self, port: int) -> None:
        file = self.settings.port_file
        if file is None:
            return
        try:
            tmp = file.with_suffix(".tmp")
            tmp.write_text(f"{port}\n")
            tmp.replace(file)
        except OSError as exc:
            log.warning("cannot remember the agent endpoint's port in %s: %s", file, exc)

    def _authorize(self, connection: ServerConnection, request: Request) -> Response | None:
        if request.path.split("?", 1)[0] != protocol.REVERSE_PATH:
            return connection.respond(404, "not an agent endpoint\n")
        container_id = request.headers.get(protocol.CONTAINER_HEADER, "")
        presented = protocol.token_from_header(request.headers.get(protocol.TOKEN_HEADER))
        if not tokens_match(presented, self._expected.get(container_id, "")):
            log.warning("refused an agent connection for container %s: unknown container or wrong token",
                        container_id[:12] or "(none given)")
            return connection.respond(401, "unknown container or wrong token\n")
        return None

    async def _serve_agent(self, ws: ServerConnection) -> None:
        container_id = ws.request.headers.get(protocol.CONTAINER_HEADER, "")
        if ws.subprotocol != protocol.SUBPROTOCOL:
            await ws.close(1002, f"the daemon speaks {protocol.SUBPROTOCOL}")
            return
        try:
            link = await AgentLink.start(ws, f"agent of container {container_id[:12]}")
        except AgentUnavailable as exc:
            log.warning("%s", exc)
            return
        old = self._reverse.get(container_id)
        self._reverse[container_id] = link
        await drop(old, "replaced by a new connection")
        self._arrivals.setdefault(container_id, asyncio.Event()).set()
        log.info("the agent of container %s connected", container_id[:12])
        await link.channel.closed.wait()
        if self._reverse.get(container_id) is link:
            del self._reverse[container_id]
            event = self._arrivals.get(container_id)
            if event is not None:
                event.clear()

    def expect(self, container_id: str, token: str) -> None:
        """Allow the agent of ``container_id`` to dial in with ``token``."""
        self._expected[container_id] = token

    async def forget(self, container_id: str) -> None:
        """The container is gone: refuse its agent and close its connections."""
        self._expected.pop(container_id, None)
        self._arrivals.pop(container_id, None)
        await drop(self._reverse.pop(container_id, None), "container removed")
        for key in [k for k in self._forward if k[0] == container_id]:
            await drop(self._forward.pop(key), "container removed")
            self._dial_locks.pop(key, None)

    # -- getting a link --------------------------------------------------------------------------
    async def link(self, container_id: str, address: AgentAddress, timeout: float) -> AgentLink:
        """A live connection to the agent, waiting up to ``timeout`` seconds for it to be reachable."""
        if isinstance(address, ReverseAddress):
            return await self._reverse_link(address, timeout)
        return await self._forward_link(container_id, address, timeout)

    def connected(self, container_id: str) -> AgentLink | None:
        """The live reverse connection of a container, if any."""
        link = self._reverse.get(container_id)
        return link if link is not None and link.alive else None

    async def _reverse_link(self, address: ReverseAddress, timeout: float) -> AgentLink:
        cid = address.container_id
        if cid not in self._expected:
            self.expect(cid, address.token)
        link = self.connected(cid)
        if link is not None:
            return link
        await self.reverse_url()
        event = self._arrivals.setdefault(cid, asyncio.Event())
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            link = self.connected(cid)
            if link is not None:
                return link
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AgentUnavailable(f"the agent of container {cid[:12]} has not connected back "
                                       f"to {self._url} within {timeout:g}s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)
            await asyncio.sleep(0)

    async def _forward_link(self, container_id: str, address: ForwardAddress, timeout: float) -> AgentLink:
        key = (container_id, address)  # a link made with one token never serves another
        lock = self._dial_locks.setdefault(key, asyncio.Lock())
        async with lock:
            link = self._forward.get(key)
            if link is not None and link.alive:
                return link
            link = await self._dial(address, container_id, timeout)
            self._forward[key] = link
            return link

    async def _dial(self, address: ForwardAddress, container_id: str, timeout: float) -> AgentLink:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        headers = {protocol.TOKEN_HEADER: protocol.bearer(address.token)}
        last = "no attempt made"
        while True:
            try:
                ws = await connect(address.url, additional_headers=headers, open_timeout=max(1.0, deadline - loop.time()),
                                   ssl=address.ssl if address.url.startswith("wss:") else None, **protocol.ws_options())
            except InvalidStatus as exc:
                status = exc.response.status_code
                if status in (401, 403):
                    raise AgentUnavailable(f"the agent of container {container_id[:12]} refused the daemon's token "
                                           f"(HTTP {status})") from None
                last = f"HTTP {status}"
            except (OSError, TimeoutError) as exc:
                last = str(exc) or type(exc).__name__
            except Exception as exc:  # handshake failures (bad subprotocol, TLS)
                raise AgentUnavailable(f"cannot connect to the agent of container {container_id[:12]}: {exc}") from None
            else:
                if ws.subprotocol != protocol.SUBPROTOCOL:
                    await ws.close()
                    raise AgentUnavailable(f"the agent of container {container_id[:12]} does not speak {protocol.SUBPROTOCOL}")
                return await AgentLink.start(ws, f"agent of container {container_id[:12]}")
            if loop.time() >= deadline:
                raise AgentUnavailable(f"cannot reach the agent of container {container_id[:12]} at {address.url}: {last}")
            await asyncio.sleep(DIAL_RETRY)

    async def close(self) -> None:
        """Close every connection and the listener."""
        for link in [*self._reverse.values(), *self._forward.values()]:
            await drop(link, "daemon shutting down")
        self._reverse.clear()
        self._forward.clear()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2.0)
            self._server = None
