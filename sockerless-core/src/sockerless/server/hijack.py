"""Connection hijacking for attach and exec: HTTP/1.1 ``Upgrade: tcp`` to a raw byte stream.

Docker clients send ``POST /containers/{id}/attach`` and ``POST /exec/{id}/start`` with
``Connection: Upgrade`` and ``Upgrade: tcp``; the daemon answers ``101 UPGRADED`` and
from then on the socket carries raw (or multiplexed) bytes in both directions. When the
client has no more stdin it half-closes its side (``shutdown(SHUT_WR)``) and keeps
reading until the daemon closes.

uvicorn does not do this by itself. :class:`HijackingProtocol` extends its httptools
protocol: it exposes a ``sockerless.hijack`` ASGI extension through which an endpoint
takes over the transport, routes later bytes to a :class:`HijackedStream`, keeps the
transport open for writing after the peer's EOF, and repairs a detail of llhttp, which
treats the body of an upgrade request as upgrade data (the exec start JSON would be
lost otherwise).
"""

from __future__ import annotations

import asyncio
import fcntl
import socket
import struct
import termios
from collections.abc import Callable

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

HIJACK_EXTENSION = "sockerless.hijack"


HEAD_GRACE = 0.05
"""Seconds the first stream bytes wait after the response head on a TCP or TLS connection.

Python clients (docker-py's ``exec_run``/``attach``, hence Compose v1 and Testcontainers) read
the head through a buffered file and then switch to the raw socket: bytes that arrived together
with the head are swallowed by that buffer. On a unix socket the daemon knows exactly when the
client has read the head (:func:`unread_by_peer`) and holds the first bytes until then; over
TCP that cannot be known, so the first bytes wait this long instead (a known limit).
"""

HEAD_POLL_MIN = 0.0005
HEAD_POLL_MAX = 0.01
"""Bounds of the interval at which held bytes re-check whether the head was read."""


def unread_by_peer(transport: asyncio.BaseTransport) -> int | None:
    """Bytes written to a unix stream socket that the peer has not read yet.

    ``None`` when this cannot be known (TCP, TLS, or no socket). On Linux a unix stream
    socket's send queue (``SIOCOUTQ``) holds every byte until the receiving process has
    read it, so 0 means the peer has consumed all we sent.
    """
    sock = transport.get_extra_info("socket")
    if sock is None or sock.family != socket.AF_UNIX or transport.get_extra_info("sslcontext") is not None:
        return None
    try:
        raw = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0")
    except OSError:
        return None
    return struct.unpack("i", raw)[0]


class HijackedStream:
    """A raw full-duplex stream taken over from an HTTP connection."""

    def __init__(self, protocol: HijackingProtocol, transport: asyncio.Transport) -> None:
        self._protocol = protocol
        self._transport = transport
        self._buffer = bytearray()
        self._eof = False
        self._lost = False
        self._waiter: asyncio.Future[None] | None = None
        loop = asyncio.get_running_loop()
        self._measurable = unread_by_peer(transport) is not None
        self._holding = True
        """True until the client has read the response head (see :data:`HEAD_GRACE`)."""
        self._release_at = loop.time() + HEAD_GRACE
        self._poll_delay = HEAD_POLL_MIN
        self._held: list[bytes] | None = None
        self._close_pending = False
        self.closed = loop.create_future()
        """Resolved when the connection is gone."""

    # -- fed by the protocol -------------------------------------------------------------
    def _feed(self, data: bytes) -> None:
        self._buffer += data
        self._wake()

    def _feed_eof(self) -> None:
        self._eof = True
        self._wake()

    def _connection_lost(self) -> None:
        self._lost = True
        self._eof = True
        if not self.closed.done():
            self.closed.set_result(None)
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    # -- used by endpoints ----------------------------------------------------------------
    @property
    def at_eof(self) -> bool:
        """True once the peer half-closed (or dropped) and everything was read."""
        return self._eof and not self._buffer

    @property
    def lost(self) -> bool:
        """True once the connection is gone entirely."""
        return self._lost

    async def read(self, n: int = 65536) -> bytes:
        """Bytes from the client; ``b""`` once it half-closed or disconnected."""
        while not self._buffer and not self._eof:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        data = bytes(self._buffer[:n])
        del self._buffer[:n]
        return data

    def write(self, data: bytes) -> None:
        """Queue bytes for the client (dropped once the connection is gone)."""
        if not data or self._lost or self._transport.is_closing():
            return
        if self._held is not None:
            self._held.append(data)
            return
        if self._holding and not self._head_read():
            self._held = [data]
            self._schedule_release()
            return
        self._transport.write(data)

    def _head_read(self) -> bool:
        """Has the client read the response head? (Stops holding once it has.)"""
        if self._measurable:
            done = self._transport.get_write_buffer_size() == 0 and unread_by_peer(self._transport) == 0
        else:
            done = asyncio.get_running_loop().time() >= self._release_at
        if done:
            self._holding = False
        return done

    def _schedule_release(self) -> None:
        loop = asyncio.get_running_loop()
        if self._measurable:
            loop.call_later(self._poll_delay, self._try_release)
            self._poll_delay = min(self._poll_delay * 2, HEAD_POLL_MAX)
        else:
            loop.call_at(self._release_at, self._try_release)

    def _try_release(self) -> None:
        if self._lost or self._transport.is_closing():
            self._held = None
            self._holding = False
            return
        if not self._head_read():
            self._schedule_release()
            return
        held, self._held = self._held or [], None
        if held:
            self._transport.write(b"".join(held))
        if self._close_pending:
            self.close()

    async def drain(self) -> None:
        """Wait while the transport's write buffer is above its high-water mark."""
        if not self._lost:
            await self._protocol.flow.drain()

    def close(self) -> None:
        """Flush and close the connection (after held bytes went out)."""
        if self._held is not None:
            self._close_pending = True
            return
        if not self._transport.is_closing():
            self._transport.close()


class HijackingProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol plus the ``sockerless.hijack`` extension."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._hijacked: HijackedStream | None = None
        self._upgrade_data: bytearray | None = None
        self._upgrade_body_needed = 0
        self._upgrade_eof = False

    # -- request setup ------------------------------------------------------------------
    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        cycle = self.cycle
        if cycle is not None and cycle.scope is self.scope:
            extensions = self.scope.setdefault("extensions", {})  # type: ignore[typeddict-item]
            extensions[HIJACK_EXTENSION] = self._make_hijacker(cycle)

    def _make_hijacker(self, cycle) -> Callable[[bytes], HijackedStream]:
        def hijack(head: bytes) -> HijackedStream:
            """Send ``head`` (status line and headers) and take over the connection."""
            if self._hijacked is not None or cycle.response_started:
                raise RuntimeError("response already started")
            cycle.response_started = True
            cycle.response_complete = True
            cycle.keep_alive = False
            self._unset_keepalive_if_required()
            self.flow.resume_reading()
            stream = HijackedStream(self, self.transport)
            self._hijacked = stream
            self.transport.write(head)
            if self._upgrade_data:
                stream._feed(bytes(self._upgrade_data))
            self._upgrade_data = None
            if self._upgrade_eof:
                stream._feed_eof()
            return stream

        return hijack

    # -- incoming bytes -----------------------------------------------------------------
    def data_received(self, data: bytes) -> None:
        if self._hijacked is not None:
            self._hijacked._feed(data)
            return
        if self._upgrade_data is not None:
            self._take_upgrade_bytes(data)
            return
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.logger.warning("Invalid HTTP request received.")
            self.send_400_response("Invalid HTTP request received.")
        except httptools.HttpParserUpgrade as exc:
            self._begin_upgrade(data[exc.args[0]:] if exc.args else b"")

    def _begin_upgrade(self, rest: bytes) -> None:
        """An ``Upgrade`` request: llhttp stopped after the headers; recover its body."""
        cycle = self.cycle
        length = 0
        for name, value in self.headers or []:
            if name == b"content-length" and value.strip().isdigit():
                length = int(value)
        self._upgrade_data = bytearray()
        if cycle is None:
            return
        cycle.keep_alive = False  # the parser cannot go on after an upgrade request
        self._upgrade_body_needed = length
        if length:
            cycle.more_body = True
        self._take_upgrade_bytes(rest)

    def _take_upgrade_bytes(self, data: bytes) -> None:
        cycle = self.cycle
        if self._upgrade_body_needed and cycle is not None:
            part = data[: self._upgrade_body_needed]
            data = data[len(part):]
            self._upgrade_body_needed -= len(part)
            cycle.body += part
            if not self._upgrade_body_needed:
                cycle.more_body = False
            cycle.message_event.set()
        if data:
            assert self._upgrade_data is not None
            self._upgrade_data += data

    def eof_received(self) -> bool | None:
        if self._hijacked is not None:
            self._hijacked._feed_eof()
            return True  # keep the transport open: the client still reads our output
        if self._upgrade_data is not None:
            self._upgrade_eof = True
            return True
        return super().eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        hijacked = self._hijacked
        super().connection_lost(exc)
        if hijacked is not None:
            hijacked._connection_lost()
