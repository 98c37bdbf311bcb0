"""The agent wire protocol (version 1), shared by the agent and the daemon's bridge.

One WebSocket connection carries many sessions. Text frames are small JSON control
messages (``{"type": ..., "session": N, ...}``); binary frames carry data, prefixed with a
5-byte header: the session id (unsigned 32-bit, big endian) and the stream number. The full
description is ``plugins/sockerless-agent/PROTOCOL.md``.

This module imports nothing beyond the standard library, so the agent stays small.
"""

from __future__ import annotations

import json
import struct
from typing import Any

VERSION = 1
SUBPROTOCOL = f"sockerless-agent.v{VERSION}"
"""Negotiated as the WebSocket subprotocol: a peer speaking another version is refused at the handshake."""

TOKEN_HEADER = "Authorization"
"""The token travels as ``Authorization: Bearer <token>``, never in the URL."""
CONTAINER_HEADER = "X-Sockerless-Container"
"""Reverse mode: which container the dialling agent belongs to."""
REVERSE_PATH = "/v1/agent/connect"
"""The path of the daemon's reverse-mode endpoint."""

TOKEN_ENV = "SOCKERLESS_AGENT_TOKEN"
"""The environment variable the agent reads its token from (then removes from its children's environment)."""

STDIN = 0
STDOUT = 1
STDERR = 2
DATA = 3
"""Archive tar bytes (both directions)."""
STREAMS = (STDIN, STDOUT, STDERR, DATA)

HEADER = struct.Struct(">IB")
MAX_FRAME_DATA = 256 * 1024
"""Senders split data into frames of at most this many bytes."""
MAX_MESSAGE = 2 * MAX_FRAME_DATA
DATA_WINDOW = 4 << 20
"""At most this many DATA bytes of one session are in flight unacknowledged (flow control for archives)."""

# Control message types, daemon -> agent (the ones that open a session are marked).
EXEC = "exec"                    # opens: run a command
ATTACH = "attach"                # opens: attach to the main process
PROBE = "probe"                  # opens: run a health-check command with a deadline
ARCHIVE_STAT = "archive_stat"    # opens
ARCHIVE_GET = "archive_get"      # opens
ARCHIVE_PUT = "archive_put"      # opens; followed by DATA frames and DATA_END
MAIN_SIGNAL = "main_signal"      # opens: deliver a signal to the main process
MAIN_RESIZE = "main_resize"      # opens: resize the main process's terminal
PING = "ping"                    # opens: liveness of the agent's loop, answered by PONG
STDIN_CLOSE = "stdin_close"
RESIZE = "resize"
SIGNAL = "signal"
CANCEL = "cancel"
WINDOW = "window"                # both directions: the receiver consumed ``bytes`` more DATA bytes
OPENING = frozenset({EXEC, ATTACH, PROBE, ARCHIVE_STAT, ARCHIVE_GET, ARCHIVE_PUT, MAIN_SIGNAL, MAIN_RESIZE, PING})

# agent -> daemon
HELLO = "hello"                  # session 0, first message of the agent on every connection
STARTED = "started"
ATTACHED = "attached"
EXIT = "exit"
ERROR = "error"
STAT = "stat"
DATA_END = "data_end"            # both directions: end of the DATA stream
DONE = "done"
PROBE_RESULT = "probe_result"
PONG = "pong"
ENDING = frozenset({EXIT, ERROR, DONE, PROBE_RESULT, PONG})
"""Messages after which the agent sends nothing more on a session."""

# error kinds carried by ERROR messages
NOT_FOUND = "not_found"
PERMISSION = "permission"
BAD_REQUEST = "bad_request"
CONFLICT = "conflict"
INTERNAL = "internal"
UNSUPPORTED = "unsupported"
ERROR_KINDS = frozenset({NOT_FOUND, PERMISSION, BAD_REQUEST, CONFLICT, INTERNAL, UNSUPPORTED})


class ProtocolError(Exception):
    """A peer sent something this version of the protocol does not allow."""


def pack(session: int, stream: int, payload: bytes) -> bytes:
    """A binary data frame."""
    return HEADER.pack(session, stream) + payload


def unpack(frame: bytes) -> tuple[int, int, bytes]:
    """``(session, stream, payload)`` of a binary data frame."""
    if len(frame) < HEADER.size:
        raise ProtocolError(f"data frame of {len(frame)} bytes is shorter than its header")
    session, stream = HEADER.unpack_from(frame)
    if stream not in STREAMS:
        raise ProtocolError(f"unknown stream {stream} in a data frame")
    return session, stream, frame[HEADER.size:]


def control(message_type: str, session: int, /, **fields: Any) -> str:
    """A control message as the text of a WebSocket frame."""
    fields["type"] = message_type
    fields["session"] = session
    return json.dumps(fields, separators=(",", ":"))


def parse_control(text: str) -> dict[str, Any]:
    """Decode and check the envelope of a control message."""
    try:
        message = json.loads(text)
    except ValueError as exc:
        raise ProtocolError(f"control message is not JSON: {exc}") from None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise ProtocolError("control message without a type")
    session = message.get("session")
    if not isinstance(session, int) or isinstance(session, bool) or not 0 <= session < 1 << 32:
        raise ProtocolError(f"control message {message['type']!r} without a valid session id")
    return message


def bearer(token: str) -> str:
    """The value of the token header."""
    return f"Bearer {token}"


def token_from_header(value: str | None) -> str:
    """The token of an ``Authorization: Bearer`` header (``""`` when absent or malformed)."""
    if not value:
        return ""
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


PING_INTERVAL = 10.0
"""Seconds between WebSocket pings, on both ends (liveness)."""
PING_TIMEOUT = 20.0
"""A peer that answers no ping for this long is gone."""


def ws_options() -> dict:
    """WebSocket settings of every agent connection, daemon and agent side alike."""
    return {"subprotocols": [SUBPROTOCOL], "compression": None, "max_size": MAX_MESSAGE,
            "ping_interval": PING_INTERVAL, "ping_timeout": PING_TIMEOUT}
