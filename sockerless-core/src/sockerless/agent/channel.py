"""Sessions multiplexed on one agent WebSocket connection (used by both ends).

The daemon's end opens sessions (it allocates the ids); the agent's end is told about each
new session by its first control message and answers on the same id. Every message of a
session lands in that session's queue; when the connection ends, every open session
receives :class:`ConnectionLost` so nothing waits forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from . import protocol

log = logging.getLogger(__name__)


class WebSocketLike(Protocol):
    """What a channel needs of a ``websockets`` connection."""

    async def send(self, message: str | bytes) -> None: ...
    async def recv(self) -> str | bytes: ...
    async def close(self, code: int = 1000, reason: str = "") -> None: ...


class ConnectionLost(Exception):
    """The agent connection ended while a session was still open."""


Event = dict[str, Any] | tuple[int, bytes]
"""A session event: a control message (dict) or data ``(stream, bytes)``."""


class Session:
    """One multiplexed conversation (an exec, an attach, an archive transfer, ...)."""

    def __init__(self, channel: Channel, session_id: int) -> None:
        self.channel = channel
        self.id = session_id
        self._queue: asyncio.Queue[Event | ConnectionLost] = asyncio.Queue()
        self.ended = False

    def deliver(self, event: Event | ConnectionLost) -> None:
        """Queue an incoming event (called by the channel's reader)."""
        self._queue.put_nowait(event)

    async def next(self) -> Event:
        """The next event; raises :class:`ConnectionLost` when the connection went away."""
        event = await self._queue.get()
        if isinstance(event, ConnectionLost):
            self._queue.put_nowait(event)  # later calls fail the same way
            raise event
        return event

    async def send(self, message_type: str, /, **fields: Any) -> None:
        """Send a control message on this session."""
        await self.channel.send_text(protocol.control(message_type, self.id, **fields))

    async def write(self, stream: int, data: bytes) -> None:
        """Send data on ``stream``, split into frames of bounded size."""
        view = memoryview(data)
        for start in range(0, len(view), protocol.MAX_FRAME_DATA):
            await self.channel.send_bytes(protocol.pack(self.id, stream, view[start:start + protocol.MAX_FRAME_DATA]))

    def close(self) -> None:
        """Forget the session: later messages for it are dropped."""
        self.ended = True
        self.channel.sessions.pop(self.id, None)


class SendWindow:
    """Credit for sending DATA on a session: the peer grants bytes back as it consumes them."""

    def __init__(self, size: int = protocol.DATA_WINDOW) -> None:
        self.available = size
        self._more = asyncio.Event()

    def grant(self, count: int) -> None:
        """The peer consumed ``count`` bytes."""
        self.available += count
        self._more.set()

    async def take(self, count: int) -> None:
        """Wait until ``count`` bytes may be sent, then spend them."""
        while self.available < count:
            self._more.clear()
            await self._more.wait()
        self.available -= count


class ReceiveWindow:
    """The consuming side of a :class:`SendWindow`: grants credit back in batches."""

    def __init__(self, session: Session, size: int = protocol.DATA_WINDOW) -> None:
        self.session = session
        self.batch = size // 4
        self._consumed = 0

    async def consumed(self, count: int) -> None:
        """``count`` bytes were used up; tell the sender now and then."""
        self._consumed += count
        if self._consumed >= self.batch:
            grant, self._consumed = self._consumed, 0
            await self.session.send(protocol.WINDOW, bytes=grant)


OpenHandler = Callable[[Session, dict[str, Any]], Awaitable[None]]


class Channel:
    """A connection carrying sessions. Run :meth:`run` as a task for as long as it lives."""

    def __init__(self, ws: WebSocketLike, *, on_open: OpenHandler | None = None, name: str = "agent") -> None:
        self.ws = ws
        self.name = name
        self.sessions: dict[int, Session] = {}
        self._on_open = on_open
        self._next_id = 1
        self._tasks: set[asyncio.Task] = set()
        self.closed = asyncio.Event()
        self.close_reason = ""

    # -- sending ---------------------------------------------------------------------------------
    async def send_text(self, text: str) -> None:
        """Send one control frame; raises :class:`ConnectionLost` when the connection is gone."""
        if self.closed.is_set():
            raise ConnectionLost(self.close_reason)
        try:
            await self.ws.send(text)
        except Exception as exc:
            raise ConnectionLost(f"sending to the {self.name} failed: {exc}") from None

    async def send_bytes(self, frame: bytes) -> None:
        """Send one data frame."""
        if self.closed.is_set():
            raise ConnectionLost(self.close_reason)
        try:
            await self.ws.send(frame)
        except Exception as exc:
            raise ConnectionLost(f"sending to the {self.name} failed: {exc}") from None

    # -- sessions --------------------------------------------------------------------------------
    def open(self) -> Session:
        """A new session started from this end (the daemon's)."""
        if self.closed.is_set():
            raise ConnectionLost(self.close_reason)
        session_id = self._next_id
        self._next_id = self._next_id % 0xFFFFFFFF + 1
        session = Session(self, session_id)
        self.sessions[session_id] = session
        return session

    # -- receiving -------------------------------------------------------------------------------
    async def run(self) -> None:
        """Read frames and dispatch them until the connection ends."""
        reason = "the connection was closed"
        try:
            while True:
                try:
                    frame = await self.ws.recv()
                except Exception as exc:
                    reason = _describe_close(exc)
                    break
                try:
                    self._dispatch(frame)
                except protocol.ProtocolError as exc:
                    reason = f"protocol error: {exc}"
                    log.warning("%s sent a bad frame: %s", self.name, exc)
                    with contextlib.suppress(Exception):
                        await self.ws.close(1002, str(exc)[:120])
                    break
        finally:
            self._lose(reason)

    def _dispatch(self, frame: str | bytes) -> None:
        if isinstance(frame, str):
            message = protocol.parse_control(frame)
            session = self.sessions.get(message["session"])
            if session is not None:
                session.deliver(message)
            elif self._on_open is not None and message["type"] in protocol.OPENING:
                self._start_handler(message)
            return
        session_id, stream, payload = protocol.unpack(frame)
        session = self.sessions.get(session_id)
        if session is not None:
            session.deliver((stream, payload))

    def _start_handler(self, message: dict[str, Any]) -> None:
        session = Session(self, message["session"])
        self.sessions[session.id] = session
        task = asyncio.ensure_future(self._handle(session, message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, session: Session, message: dict[str, Any]) -> None:
        assert self._on_open is not None
        try:
            await self._on_open(session, message)
        except ConnectionLost:
            pass
        except Exception as exc:
            log.exception("session %d (%s) failed", session.id, message.get("type"))
            with contextlib.suppress(ConnectionLost):
                await session.send(protocol.ERROR, kind=protocol.INTERNAL, message=f"agent error: {exc}")
        finally:
            session.close()

    def _lose(self, reason: str) -> None:
        self.close_reason = reason
        self.closed.set()
        lost = ConnectionLost(reason)
        for session in list(self.sessions.values()):
            session.deliver(lost)
        self.sessions.clear()

    async def close(self, reason: str = "closing") -> None:
        """Close the connection; open sessions see :class:`ConnectionLost`."""
        with contextlib.suppress(Exception):
            await self.ws.close(1000, reason)
        self._lose(reason)
        for task in list(self._tasks):
            task.cancel()


def _describe_close(exc: BaseException) -> str:
    rcvd = getattr(exc, "rcvd", None)
    if rcvd is not None:
        return f"the connection was closed (code {rcvd.code}{': ' + rcvd.reason if rcvd.reason else ''})"
    return f"the connection was lost ({type(exc).__name__}: {exc})" if str(exc) else f"the connection was lost ({type(exc).__name__})"
