"""Hijacked attach and exec sessions: client bytes to stdin, process output to the client.

Both directions are handled here once: framing, detach keys, the client's half-close
(stdin EOF) and the client going away altogether.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from starlette.requests import Request

from ..api.errors import InvalidParameter, ServerError
from ..engine.stdio import Chunk, InputStream, OutputStream
from . import framing
from .hijack import HIJACK_EXTENSION, HijackedStream

DEFAULT_DETACH_KEYS = "ctrl-p,ctrl-q"
_CTRL_SPECIAL = {"@": 0, "[": 27, "\\": 28, "]": 29, "^": 30, "_": 31}


def parse_detach_keys(spec: str) -> bytes:
    """``ctrl-p,ctrl-q`` -> ``b"\\x10\\x11"`` (Docker's syntax: ``ctrl-<x>`` or single characters)."""
    keys = bytearray()
    for part in spec.split(","):
        part = part.strip()
        if len(part) == 1:
            keys.append(ord(part))
        elif part.lower().startswith("ctrl-") and len(part) == 6:
            char = part[5].lower()
            if "a" <= char <= "z":
                keys.append(ord(char) - ord("a") + 1)
            elif char in _CTRL_SPECIAL:
                keys.append(_CTRL_SPECIAL[char])
            else:
                raise InvalidParameter(f"Invalid escape keys ({spec}) provided")
        else:
            raise InvalidParameter(f"Invalid escape keys ({spec}) provided")
    return bytes(keys)


class DetachMatcher:
    """Finds the detach key sequence in stdin, holding back a partial match."""

    def __init__(self, keys: bytes) -> None:
        self.keys = keys
        self._held = b""

    def feed(self, data: bytes) -> tuple[bytes, bool]:
        """Returns (bytes to pass on, detached?)."""
        if not self.keys:
            return data, False
        buffer = self._held + data
        self._held = b""
        idx = buffer.find(self.keys)
        if idx >= 0:
            return buffer[:idx], True
        for keep in range(min(len(self.keys) - 1, len(buffer)), 0, -1):
            if self.keys.startswith(buffer[-keep:]):
                self._held = buffer[-keep:]
                return buffer[:-keep], False
        return buffer, False


def hijack(request: Request, content_type: str) -> HijackedStream:
    """Answer ``101 UPGRADED`` (or ``200 OK`` without an Upgrade header) and take the connection."""
    take = request.scope.get("extensions", {}).get(HIJACK_EXTENSION)
    if take is None:
        raise ServerError("this connection cannot be hijacked")
    upgrade = "upgrade" in request.headers.get("connection", "").lower() and request.headers.get("upgrade", "").lower() == "tcp"
    if upgrade:
        head = f"HTTP/1.1 101 UPGRADED\r\nContent-Type: {content_type}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
    else:
        head = f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\n"
    extra = "".join(f"{k.decode()}: {v.decode()}\r\n" for k, v in request.scope.get("sockerless.headers", []))
    return take((head + extra + "\r\n").encode("latin-1"))


class StreamSink:
    """Writes a process's output to a hijacked connection (framed without a TTY)."""

    def __init__(self, conn: HijackedStream, *, tty: bool, stdout: bool = True, stderr: bool = True) -> None:
        self.conn = conn
        self.tty = tty
        self.want = {framing.STDOUT: stdout, framing.STDERR: stderr}
        self.done = asyncio.Event()

    def output(self, stream: int, data: bytes) -> None:
        """Deliver bytes of ``stream``."""
        if self.want.get(stream) and data:
            self.conn.write(framing.encode(stream, data, tty=self.tty))

    def finish(self) -> None:
        """The process (or run) ended."""
        self.done.set()

    def output_stream(self, stream: int, on_eof: Callable[[], None] | None = None) -> OutputStream:
        """An :class:`OutputStream` delivering into this sink (for exec)."""

        def deliver(chunks: list[Chunk]) -> None:
            self.output(stream, b"".join(data for _, data in chunks))

        return OutputStream(asyncio.get_running_loop(), deliver, on_eof)


async def pump_stdin(conn: HijackedStream, stdin: InputStream, detach_keys: bytes,
                     *, close_on_eof: bool) -> bool:
    """Copy client bytes into ``stdin`` until EOF or detach; returns True when the client detached."""
    matcher = DetachMatcher(detach_keys)
    while True:
        data = await conn.read()
        if not data:
            if close_on_eof:
                stdin.feed_eof()
            return False
        data, detached = matcher.feed(data)
        if data:
            stdin.feed(data)
        if detached:
            return True
        while stdin.buffered > InputStream.HIGH_WATER and not stdin.closed and not conn.lost:
            await asyncio.sleep(0.01)


async def until_first(*aws: asyncio.Future | asyncio.Task) -> None:
    """Wait for the first of several awaitables; cancel nothing."""
    await asyncio.wait(aws, return_when=asyncio.FIRST_COMPLETED)
