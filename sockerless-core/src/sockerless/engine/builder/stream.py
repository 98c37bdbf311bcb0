"""The JSON message stream of ``POST /build``, framed as the classic builder frames it."""

from __future__ import annotations

import asyncio
import codecs
from typing import Any

from ...api import wire

_GO_ESCAPES = ((b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026"),
               ("\u2028".encode(), b"\\u2028"), ("\u2029".encode(), b"\\u2029"))


def encode(message: dict[str, Any]) -> bytes:
    """One message as Go's ``encoding/json`` writes it (HTML characters escaped), CRLF-terminated."""
    data = wire.encode(message)
    for raw, escaped in _GO_ESCAPES:
        data = data.replace(raw, escaped)
    return data + b"\r\n"


class BuildStream:
    """Messages of one build, queued for the HTTP response."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue()

    def send(self, message: dict[str, Any]) -> None:
        """Queue any message (progress, aux, error)."""
        self.queue.put_nowait(encode(message))

    def say(self, text: str) -> None:
        """A ``{"stream": ...}`` line, unless the build is quiet."""
        if not self.quiet:
            self.send({"stream": text})

    def error(self, message: str, code: int | None = None) -> None:
        """The build failed: ``errorDetail`` and ``error``, as Docker ends a failed build."""
        detail: dict[str, Any] = {"message": message}
        if code is not None:
            detail = {"code": code, "message": message}
        self.send({"errorDetail": detail, "error": message})

    def close(self) -> None:
        """No more messages."""
        self.queue.put_nowait(None)


class OutputSink:
    """A RUN container's output as stream messages (an attach sink of its streams)."""

    def __init__(self, stream: BuildStream) -> None:
        self._stream = stream
        self._decoders = {1: codecs.getincrementaldecoder("utf-8")("replace"),
                          2: codecs.getincrementaldecoder("utf-8")("replace")}

    def output(self, stream: int, data: bytes) -> None:
        """Bytes the process wrote."""
        text = self._decoders.get(stream, self._decoders[1]).decode(data)
        if text:
            self._stream.say(text)

    def finish(self) -> None:
        """The run ended."""
        for decoder in self._decoders.values():
            rest = decoder.decode(b"", final=True)
            if rest:
                self._stream.say(rest)
