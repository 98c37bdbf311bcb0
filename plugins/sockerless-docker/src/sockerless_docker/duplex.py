"""Attach and exec: the client's hijacked connection spliced to the engine's, both directions.

The client half-closes after its stdin ends and keeps reading; that half-close is passed on
to the engine (``write_eof``), and the client's connection is closed only when the engine
closes its side. A TLS connection to the engine cannot be half-closed (Python's TLS
transports have no ``write_eof``): there stdin EOF cannot reach the engine.
"""

from __future__ import annotations

import asyncio
import contextlib

from sockerless.server.hijack import HijackedStream

from .upstream import READ_SIZE, Connection


async def _client_to_engine(stream: HijackedStream, connection: Connection) -> None:
    writer = connection.writer
    while data := await stream.read(READ_SIZE):
        writer.write(data)
        await writer.drain()
    if not stream.lost and writer.can_write_eof():
        writer.write_eof()


async def splice(stream: HijackedStream, connection: Connection) -> None:
    """Copy bytes both ways until the engine closes (or the client disconnects entirely)."""
    upward = asyncio.create_task(_client_to_engine(stream, connection))
    stream.closed.add_done_callback(lambda _: connection.close())
    reader = connection.reader
    try:
        while data := await reader.read(READ_SIZE):
            stream.write(data)
            await stream.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        upward.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError, OSError):
            await upward
        connection.close()
        stream.close()
