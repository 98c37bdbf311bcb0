"""Docker's stream framing: multiplexed 8-byte headers without a TTY, raw bytes with one."""

from __future__ import annotations

import struct

STDIN, STDOUT, STDERR, SYSTEM = 0, 1, 2, 3
MULTIPLEXED = "application/vnd.docker.multiplexed-stream"
RAW = "application/vnd.docker.raw-stream"

_HEADER = struct.Struct(">BxxxI")
_MAX_FRAME = 1 << 24


def frame(stream: int, data: bytes) -> bytes:
    """One or more multiplexed frames carrying ``data`` on ``stream``."""
    if len(data) <= _MAX_FRAME:
        return _HEADER.pack(stream, len(data)) + data
    return b"".join(_HEADER.pack(stream, len(data[i:i + _MAX_FRAME])) + data[i:i + _MAX_FRAME]
                    for i in range(0, len(data), _MAX_FRAME))


def encode(stream: int, data: bytes, *, tty: bool) -> bytes:
    """Raw with a TTY, framed otherwise."""
    return data if tty else frame(stream, data)


def content_type(tty: bool, api_version: tuple[int, int]) -> str:
    """The media type Docker announces for attach/exec/logs streams."""
    if not tty and api_version >= (1, 42):
        return MULTIPLEXED
    return RAW
