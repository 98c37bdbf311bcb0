"""A live connection to one agent, and where an agent is to be found."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from dataclasses import dataclass, field
from typing import Any

from . import protocol
from .channel import Channel, ConnectionLost, Session, WebSocketLike

HELLO_TIMEOUT = 10.0


class AgentUnavailable(Exception):
    """The agent cannot be reached (not up yet, gone, or it refused us)."""


@dataclass(frozen=True)
class ForwardAddress:
    """Forward mode: the agent listens at ``url`` (``ws://`` or ``wss://``) and the daemon dials it."""

    url: str
    token: str = field(repr=False)
    ssl: ssl.SSLContext | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class ReverseAddress:
    """Reverse mode: the agent of ``container_id`` dials the daemon's agent endpoint."""

    container_id: str
    token: str = field(repr=False)


AgentAddress = ForwardAddress | ReverseAddress


class AgentLink:
    """A connected agent: its channel, what it said in its hello, and the reader task."""

    def __init__(self, channel: Channel, hello: dict[str, Any], task: asyncio.Task) -> None:
        self.channel = channel
        self.hello = hello
        self.task = task

    @property
    def alive(self) -> bool:
        """True until the connection ends."""
        return not self.channel.closed.is_set()

    def open(self) -> Session:
        """A new session on this connection."""
        return self.channel.open()

    async def close(self, reason: str = "closing") -> None:
        """End the connection."""
        await self.channel.close(reason)
        self.task.cancel()

    @classmethod
    async def start(cls, ws: WebSocketLike, name: str) -> AgentLink:
        """Run a channel on ``ws`` and wait for the agent's hello (checks the protocol version)."""
        channel = Channel(ws, name=name)
        greeting = Session(channel, 0)
        channel.sessions[0] = greeting
        task = asyncio.ensure_future(channel.run())
        try:
            hello = await asyncio.wait_for(greeting.next(), HELLO_TIMEOUT)
        except (TimeoutError, ConnectionLost) as exc:
            await channel.close("no hello")
            task.cancel()
            raise AgentUnavailable(f"the {name} did not greet: {exc or 'timed out'}") from None
        if not isinstance(hello, dict) or hello.get("type") != protocol.HELLO:
            await channel.close("bad hello")
            raise AgentUnavailable(f"the {name} sent {hello!r} instead of a hello")
        if hello.get("version") != protocol.VERSION:
            await channel.close("version mismatch")
            raise AgentUnavailable(f"the {name} speaks protocol version {hello.get('version')}, "
                                   f"this daemon speaks {protocol.VERSION}")
        greeting.close()
        return cls(channel, hello, task)


async def drop(link: AgentLink | None, reason: str) -> None:
    """Close a link if there is one."""
    if link is not None:
        with contextlib.suppress(Exception):
            await link.close(reason)
