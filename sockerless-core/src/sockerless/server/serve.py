"""Running the daemon: engine recovery, listeners, uvicorn's HTTP protocol, signals."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import os
import signal
import socket
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn
from uvicorn.server import ServerState

from ..agent.hub import HubSettings
from ..engine.daemon import Engine
from ..engine.registry import RegistrySettings
from ..plugins.manager import PluginManager
from .app import DockerAPI
from .hijack import HijackingProtocol
from .listeners import Listener, TLSSettings, bind, check_security

log = logging.getLogger("sockerless")


@dataclass
class ServeOptions:
    """Everything ``sockerless serve`` was asked to do."""

    backend: str
    data_root: Path
    listeners: list[Listener]
    tls: TLSSettings = field(default_factory=TLSSettings)
    insecure_tcp: bool = False
    backend_options: dict[str, str] = field(default_factory=dict)
    keep_alive: int = 60
    agents: HubSettings = field(default_factory=HubSettings)
    """The reverse-mode agent endpoint (a listener of its own, separate from the Docker API's)."""
    registry: RegistrySettings = field(default_factory=RegistrySettings)


class Daemon:
    """A started daemon (usable from tests without the CLI)."""

    def __init__(self, options: ServeOptions, plugins: PluginManager) -> None:
        self.options = options
        self.plugins = plugins
        self.engine: Engine | None = None
        self._servers: list[asyncio.base_events.Server] = []
        self._sockets: list[socket.socket] = []
        self._stopping = asyncio.Event()
        self._date_task: asyncio.Task | None = None

    async def start(self) -> None:
        """Check listeners, recover state, start listening."""
        opts = self.options
        for listener in opts.listeners:
            warning = check_security(listener, opts.tls, opts.insecure_tcp)
            if warning:
                log.warning(warning)
        ssl_context = opts.tls.context()
        self.engine = Engine(opts.data_root, self.plugins, opts.backend, opts.backend_options, opts.agents,
                             opts.registry)
        await self.engine.start()
        sockets = [bind(listener) for listener in opts.listeners]
        self._sockets = sockets
        takeover = await self.engine.backend.call("sockerless_backend_api", engine=self.engine)
        app = DockerAPI(self.engine, takeover)
        config = uvicorn.Config(app, http=HijackingProtocol, lifespan="off", ws="none", access_log=False,
                                server_header=False, date_header=False, proxy_headers=False,
                                timeout_keep_alive=opts.keep_alive, log_level="warning")
        config.load()
        state = ServerState()
        loop = asyncio.get_running_loop()

        def protocol() -> HijackingProtocol:
            return HijackingProtocol(config=config, server_state=state, app_state={}, _loop=loop)

        for listener, sock in zip(opts.listeners, sockets, strict=True):
            tls = ssl_context if listener.scheme == "tcp" else None
            server = await loop.create_server(protocol, sock=sock, ssl=tls, backlog=1024)
            self._servers.append(server)
            log.info("listening on %s%s", listener.url, " (TLS)" if tls else "")
        self._date_task = loop.create_task(_keep_date_header(state))
        self.plugins.hook.sockerless_daemon_started(
            backend=opts.backend, data_root=str(opts.data_root), listeners=[listener.url for listener in opts.listeners])

    def request_stop(self) -> None:
        """Ask :meth:`run_until_stopped` to return."""
        self._stopping.set()

    async def run_until_stopped(self) -> None:
        """Serve until SIGINT/SIGTERM (or :meth:`request_stop`)."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.request_stop)
        await self._stopping.wait()
        await self.stop()

    async def stop(self) -> None:
        """Stop listening and close the engine cleanly."""
        self.plugins.hook.sockerless_daemon_stopping()
        for server in self._servers:
            server.close()
        if self._date_task is not None:
            self._date_task.cancel()
        for listener in self.options.listeners:
            if listener.scheme == "unix":
                try:
                    os.unlink(listener.path)
                except FileNotFoundError:
                    pass
        if self.engine is not None:
            await self.engine.close()


async def _keep_date_header(state: ServerState) -> None:
    while True:
        state.default_headers = [(b"date", email.utils.formatdate(usegmt=True).encode())]
        await asyncio.sleep(1)


def run(options: ServeOptions, plugins: PluginManager) -> None:
    """Run the daemon in the foreground until it is told to stop."""

    async def main() -> None:
        daemon = Daemon(options, plugins)
        await daemon.start()
        await daemon.run_until_stopped()

    asyncio.run(main())
