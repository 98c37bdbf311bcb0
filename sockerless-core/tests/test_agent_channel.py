"""The agent channel: sessions multiplexed on one connection, and what happens when it ends."""

from __future__ import annotations

import asyncio

import pytest
from sockerless.agent import protocol
from sockerless.agent.channel import Channel, ConnectionLost, ReceiveWindow, SendWindow


class FakeWebSocket:
    """Frames in through a queue, frames out into a list."""

    def __init__(self) -> None:
        self.incoming: asyncio.Queue = asyncio.Queue()
        self.sent: list = []
        self.closed_with: tuple[int, str] | None = None

    async def send(self, message) -> None:
        self.sent.append(message)

    async def recv(self):
        item = await self.incoming.get()
        if isinstance(item, Exception):
            raise item
        return item

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.closed_with = (code, reason)
        self.incoming.put_nowait(ConnectionResetError("closed"))  # as a real connection's recv() then fails


def test_frames_reach_their_sessions_and_loss_reaches_all():
    async def scenario():
        ws = FakeWebSocket()
        channel = Channel(ws)
        reader = asyncio.ensure_future(channel.run())
        a, b = channel.open(), channel.open()
        assert (a.id, b.id) == (1, 2)
        await a.write(protocol.STDIN, b"x" * (protocol.MAX_FRAME_DATA + 1))
        assert [len(f) for f in ws.sent] == [protocol.MAX_FRAME_DATA + 5, 6]
        ws.incoming.put_nowait(protocol.pack(2, protocol.STDOUT, b"for b"))
        ws.incoming.put_nowait(protocol.control(protocol.EXIT, 1, code=3))
        ws.incoming.put_nowait(protocol.pack(9, protocol.STDOUT, b"nobody's"))  # dropped
        assert await b.next() == (protocol.STDOUT, b"for b")
        assert (await a.next())["code"] == 3
        ws.incoming.put_nowait(ConnectionResetError("gone"))
        await reader
        for session in (a, b):
            with pytest.raises(ConnectionLost, match="gone"):
                await session.next()
        with pytest.raises(ConnectionLost):
            channel.open()

    asyncio.run(scenario())


def test_a_bad_frame_ends_the_connection_with_a_protocol_error():
    async def scenario():
        ws = FakeWebSocket()
        channel = Channel(ws)
        reader = asyncio.ensure_future(channel.run())
        session = channel.open()
        ws.incoming.put_nowait("{not json")
        await reader
        assert ws.closed_with is not None and ws.closed_with[0] == 1002
        with pytest.raises(ConnectionLost, match="protocol error"):
            await session.next()

    asyncio.run(scenario())


def test_the_agent_end_starts_a_handler_per_opening_message():
    async def scenario():
        ws = FakeWebSocket()
        seen = []

        async def on_open(session, message):
            seen.append(message["type"])
            await session.send(protocol.PONG, data=message.get("data"))

        channel = Channel(ws, on_open=on_open)
        reader = asyncio.ensure_future(channel.run())
        ws.incoming.put_nowait(protocol.control(protocol.PING, 5, data=1))
        ws.incoming.put_nowait(protocol.control(protocol.STDIN_CLOSE, 6))  # not an opening message
        await asyncio.sleep(0.05)
        assert seen == ["ping"]
        assert protocol.parse_control(ws.sent[0]) == {"type": "pong", "session": 5, "data": 1}
        await channel.close()
        await reader

    asyncio.run(scenario())


def test_windows_bound_unacknowledged_data():
    async def scenario():
        ws = FakeWebSocket()
        channel = Channel(ws)
        session = channel.open()
        window = SendWindow(size=10)
        await window.take(8)
        blocked = asyncio.ensure_future(window.take(5))
        await asyncio.sleep(0.01)
        assert not blocked.done()
        window.grant(4)
        await asyncio.wait_for(blocked, 1)
        receiver = ReceiveWindow(session, size=8)
        await receiver.consumed(1)
        assert ws.sent == []
        await receiver.consumed(1)
        assert protocol.parse_control(ws.sent[0]) == {"type": "window", "session": session.id, "bytes": 2}

    asyncio.run(scenario())
