"""Connections to the real engine: HTTP/1.1 over a unix socket or TCP (optionally TLS), kept alive."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from sockerless.api.errors import Unavailable

from .settings import Settings

MAX_HEAD = 1 << 20
READ_SIZE = 1 << 16
IDLE_LIMIT = 16


class UpstreamError(Exception):
    """The engine's reply could not be read (malformed, or the connection dropped)."""


@dataclass
class Connection:
    """One HTTP/1.1 connection to the engine."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    reused: bool = False

    def close(self) -> None:
        """Close without waiting."""
        self.writer.close()

    @property
    def usable(self) -> bool:
        """False once the engine closed it (or it was closed here)."""
        return not (self.writer.is_closing() or self.reader.at_eof())


@dataclass
class Response:
    """The head of a reply; the body is read with :meth:`body` (or the stream taken over)."""

    status: int
    reason: str
    headers: list[tuple[bytes, bytes]]
    connection: Connection
    method: str
    _length: int | None = None
    _chunked: bool = False
    _keep_alive: bool = True
    done: bool = field(default=False)

    @property
    def length(self) -> int | None:
        """The body's declared length (``None`` when chunked or running to the connection's end)."""
        return None if self._chunked else self._length

    def header(self, name: bytes) -> bytes | None:
        """The first value of a header (name in lower case)."""
        for key, value in self.headers:
            if key == name:
                return value
        return None

    @property
    def has_body(self) -> bool:
        """False for HEAD, 1xx, 204 and 304 replies."""
        return not (self.method == "HEAD" or self.status < 200 or self.status in (204, 304))

    @property
    def reusable(self) -> bool:
        """True when the connection can carry another request once the body is read."""
        return self._keep_alive and (not self.has_body or self._chunked or self._length is not None)

    async def body(self) -> AsyncIterator[bytes]:
        """The body as it arrives (chunked decoding done here)."""
        reader = self.connection.reader
        if not self.has_body:
            pass
        elif self._chunked:
            async for chunk in _read_chunked(reader):
                yield chunk
        elif self._length is not None:
            async for chunk in _read_counted(reader, self._length, "mid-body"):
                yield chunk
        else:
            while chunk := await reader.read(READ_SIZE):
                yield chunk
        self.done = True

    async def read_all(self) -> bytes:
        """The whole body."""
        return b"".join([chunk async for chunk in self.body()])


async def _read_chunked(reader: asyncio.StreamReader) -> AsyncIterator[bytes]:
    while True:
        try:
            line = await reader.readuntil(b"\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
            raise UpstreamError("the engine closed the connection mid-chunk") from exc
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise UpstreamError(f"bad chunk size line from the engine: {line[:40]!r}") from None
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                pass
            return
        async for chunk in _read_counted(reader, size, "mid-chunk"):
            yield chunk
        await reader.readexactly(2)


async def _read_counted(reader: asyncio.StreamReader, size: int, where: str) -> AsyncIterator[bytes]:
    """Exactly ``size`` bytes, as they arrive; the engine closing early is an :class:`UpstreamError`."""
    remaining = size
    while remaining:
        chunk = await reader.read(min(remaining, READ_SIZE))
        if not chunk:
            raise UpstreamError(f"the engine closed the connection {where}")
        remaining -= len(chunk)
        yield chunk


def parse_head(data: bytes, connection: Connection, method: str) -> Response:
    """Status line and headers (``data`` ends with the blank line)."""
    lines = data[:-4].split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise UpstreamError(f"not an HTTP reply from the engine: {lines[0][:60]!r}")
    headers = []
    length: int | None = None
    chunked = False
    keep_alive = parts[0] == b"HTTP/1.1"
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep:
            continue
        name, value = name.strip().lower(), value.strip()
        headers.append((name, value))
        if name == b"content-length" and value.isdigit():
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
        elif name == b"connection":
            keep_alive = b"close" not in value.lower() and (keep_alive or b"keep-alive" in value.lower())
    reason = parts[2].decode("latin-1") if len(parts) > 2 else ""
    return Response(int(parts[1]), reason, headers, connection, method, length, chunked, keep_alive)


class Upstream:
    """Opens, reuses and closes connections to the engine."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._idle: list[Connection] = []

    async def connect(self) -> Connection:
        """A new connection (a 503 naming the address when the engine cannot be reached)."""
        address = self.settings.address
        try:
            if address.scheme == "unix":
                reader, writer = await asyncio.open_unix_connection(address.path, limit=MAX_HEAD)
            else:
                reader, writer = await asyncio.open_connection(
                    address.host, address.port, ssl=self.settings.tls, limit=MAX_HEAD,
                    server_hostname=address.host if self.settings.tls else None)
        except OSError as exc:
            raise Unavailable(f"docker backend: cannot reach the engine at {address.url}: "
                              f"{exc.strerror or exc}") from None
        return Connection(reader, writer)

    async def acquire(self) -> Connection:
        """An idle connection when one is still open, else a new one."""
        while self._idle:
            connection = self._idle.pop()
            if connection.usable:
                connection.reused = True
                return connection
            connection.close()
        return await self.connect()

    def release(self, connection: Connection) -> None:
        """Give back a connection whose exchange is complete."""
        if connection.usable and len(self._idle) < IDLE_LIMIT:
            self._idle.append(connection)
        else:
            connection.close()

    async def send(self, connection: Connection, head: bytes, body: bytes | AsyncIterator[bytes],
                   chunked: bool = False) -> Response:
        """Write a request (a streamed body is chunk-encoded when ``chunked``) and read the reply's head."""
        writer = connection.writer
        writer.write(head)
        if isinstance(body, bytes):
            if body:
                writer.write(body)
        else:
            async for chunk in body:
                if chunk:
                    writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
                    await writer.drain()
            if chunked:
                writer.write(b"0\r\n\r\n")
        await writer.drain()
        try:
            data = await connection.reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            raise UpstreamError("the engine closed the connection before replying") from exc
        except asyncio.LimitOverrunError as exc:
            raise UpstreamError("the engine's reply head is too large") from exc
        method = head.split(b" ", 1)[0].decode("ascii")
        return parse_head(data, connection, method)

    async def request(self, head: bytes, body: bytes | AsyncIterator[bytes], chunked: bool = False) -> Response:
        """Send on a pooled connection; a buffered request is retried once on a fresh one
        when a kept-alive connection turns out to be closed by the engine."""
        connection = await self.acquire()
        try:
            return await self.send(connection, head, body, chunked)
        except (UpstreamError, ConnectionError):
            connection.close()
            if not (connection.reused and isinstance(body, bytes)):
                raise
        connection = await self.connect()
        try:
            return await self.send(connection, head, body, chunked)
        except BaseException:
            connection.close()
            raise

    def close(self) -> None:
        """Close every idle connection."""
        while self._idle:
            self._idle.pop().close()
