"""The ``docker`` backend: hands the whole Docker API to a real engine (``sockerless_backend_api``).

Nothing is kept in Sockerless's store: containers, images, networks and volumes are the
engine's, so ``docker ps`` through Sockerless and against the engine directly agree.
"""

from __future__ import annotations

import json
from typing import Any

from sockerless.plugins.backend import BackendContext, BackendInfo, Capability
from sockerless.plugins.hookspecs import hookimpl

from .events import EventFollower
from .negotiate import EngineVersion
from .proxy import PassthroughAPI
from .settings import Settings, SettingsError, load
from .upstream import Upstream, UpstreamError

ALL_CAPABILITIES = frozenset(Capability)


class DockerBackend:
    """Passthrough to the engine at ``docker-host``."""

    def __init__(self, context: BackendContext) -> None:
        self.context = context
        try:
            self.settings: Settings = load(context.options)
        except SettingsError as exc:
            raise RuntimeError(str(exc)) from None
        self.upstream = Upstream(self.settings)
        self.api: PassthroughAPI | None = None
        self.follower: EventFollower | None = None

    @hookimpl
    def sockerless_backend_info(self) -> BackendInfo:
        return BackendInfo(name="docker", capabilities=ALL_CAPABILITIES, driver="passthrough",
                           operating_system=f"engine at {self.settings.address.url}")

    @hookimpl
    def sockerless_backend_recover(self, containers: list[Any]) -> list[Any]:
        return []  # the core's store holds no containers of this backend: the engine has them

    @hookimpl
    async def sockerless_backend_api(self, engine: Any) -> PassthroughAPI:
        version = await self._engine_version()
        self.api = PassthroughAPI(self.upstream, version, self.settings)
        self.context.logger.info("docker backend: engine at %s speaks API %s-%s%s", self.settings.address.url,
                                 version.details.get("MinAPIVersion", "?"), version.details.get("ApiVersion", "?"),
                                 " (Podman)" if version.is_podman else "")
        mode = self.settings.events
        observers = engine.plugins.hook.sockerless_event.get_hookimpls()
        if mode == "always" or (mode == "auto" and observers):
            self.follower = EventFollower(self.api, engine.events.publish)
            self.follower.start()
        return self.api

    async def _engine_version(self) -> EngineVersion:
        head = b"GET /version HTTP/1.1\r\nHost: docker\r\n\r\n"
        try:
            reply = await self.upstream.request(head, b"")
            body = await reply.read_all()
            reply.connection.close()
        except (UpstreamError, ConnectionError) as exc:
            raise RuntimeError(f"docker backend: the engine at {self.settings.address.url} "
                               f"did not answer GET /version: {exc}") from None
        except Exception as exc:
            message = getattr(exc, "message", str(exc))
            raise RuntimeError(message) from None
        if reply.status != 200:
            raise RuntimeError(f"docker backend: GET /version at {self.settings.address.url} answered {reply.status}")
        return EngineVersion.from_reply(json.loads(body))

    @hookimpl
    async def sockerless_backend_close(self) -> None:
        if self.follower is not None:
            await self.follower.stop()
        self.upstream.close()

