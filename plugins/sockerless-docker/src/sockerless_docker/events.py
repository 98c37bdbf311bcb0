"""Following the engine's ``/events`` so that observer plugins see what happens there.

Clients' own ``GET /events`` go straight to the engine; this follower exists for the
plugins (``sockerless_event``). It republishes each engine event on the core's bus and
reconnects after a failure, resuming from the last event it saw.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable

from .negotiate import text
from .proxy import PassthroughAPI
from .upstream import UpstreamError

log = logging.getLogger(__name__)

Publish = Callable[..., object]
"""``publish(type, action, actor_id, attributes, time_ns=...)``: the core's ``EventBus.publish``."""
RETRY_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0)


class EventFollower:
    """A task streaming the engine's events into ``publish`` with the engine's own times."""

    def __init__(self, api: PassthroughAPI, publish: Publish) -> None:
        self.api = api
        self.publish = publish
        self._since_ns = time.time_ns()
        self._task: asyncio.Task | None = None
        self.connected = asyncio.Event()

    def start(self) -> None:
        """Begin following (idempotent)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Stop following."""
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                await self._follow()
                failures = 0
            except Exception as exc:  # whatever broke, keep following
                delay = RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)]
                failures += 1
                log.warning("docker backend: following the engine's events failed (%s); retrying in %ss", exc, delay)
                self.connected.clear()
                await asyncio.sleep(delay)

    async def _follow(self) -> None:
        since = f"{self._since_ns // 1_000_000_000}.{self._since_ns % 1_000_000_000:09d}"
        version = text(self.api.engine.api)
        head = f"GET /v{version}/events?since={since} HTTP/1.1\r\nHost: docker\r\n\r\n".encode()
        connection = await self.api.upstream.connect()
        try:
            reply = await self.api.upstream.send(connection, head, b"")
            if reply.status != 200:
                raise UpstreamError(f"GET /events answered {reply.status}")
            self.connected.set()
            decoder = json.JSONDecoder()
            buffer = ""
            async for chunk in reply.body():
                buffer += chunk.decode("utf-8", errors="replace")
                buffer = self._drain(decoder, buffer)
            raise UpstreamError("the engine ended the event stream")
        finally:
            connection.close()

    def _drain(self, decoder: json.JSONDecoder, buffer: str) -> str:
        while True:
            buffer = buffer.lstrip()
            if not buffer:
                return buffer
            try:
                message, end = decoder.raw_decode(buffer)
            except ValueError:
                return buffer  # incomplete: wait for more
            buffer = buffer[end:]
            self._deliver(message)

    def _deliver(self, message: dict) -> None:
        actor = message.get("Actor") or {}
        kind = str(message.get("Type") or "container")
        action = str(message.get("Action") or message.get("status") or "")
        actor_id = str(actor.get("ID") or message.get("id") or "")
        attributes = {str(k): str(v) for k, v in (actor.get("Attributes") or {}).items()}
        stamp = message.get("timeNano")
        if not isinstance(stamp, int):
            stamp = int(message.get("time") or 0) * 1_000_000_000 or None
        if stamp is not None:
            self._since_ns = max(self._since_ns, stamp + 1)
        self.publish(kind, action, actor_id, attributes, time_ns=stamp)
