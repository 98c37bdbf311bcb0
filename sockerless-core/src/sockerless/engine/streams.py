"""The standard streams of a container and the clients attached to them.

Each run of a container gets fresh :class:`~sockerless.engine.stdio.OutputStream` objects
whose output goes to the log store and to every attached client at once. Clients that
attach before ``start`` (as ``docker run`` does) are served from the first byte; stdin
sent before ``start`` is buffered until the process reads it.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from .logs import STDERR, STDOUT, ContainerLog
from .stdio import Chunk, InputStream, OutputStream, ProcessIO


class AttachSink(Protocol):
    """Something that receives a container's output (an attach connection)."""

    def output(self, stream: int, data: bytes) -> None:
        """Deliver bytes of ``stream`` (1 stdout, 2 stderr)."""

    def finish(self) -> None:
        """The run ended: flush and close."""


class ContainerStreams:
    """Output fan-out and stdin of one container across its runs."""

    def __init__(self, log: ContainerLog, loop: asyncio.AbstractEventLoop) -> None:
        self.log = log
        self._loop = loop
        self._sinks: set[AttachSink] = set()
        self._stdin: InputStream | None = None
        self._open_streams: set[int] = set()
        self._run_ended: asyncio.Event = asyncio.Event()
        self._run_ended.set()

    # -- runs --------------------------------------------------------------------------------
    def stdin(self) -> InputStream:
        """The stdin pipe of the current (or next) run, created on first use."""
        if self._stdin is None or self._stdin.closed or self._stdin.at_eof:
            self._stdin = InputStream()
        return self._stdin

    def new_run(self, *, tty: bool, open_stdin: bool, console_size: tuple[int, int] | None = None) -> ProcessIO:
        """Streams for a new run of the main process."""
        stdin = self.stdin() if open_stdin else None
        stdout = OutputStream(self._loop, lambda chunks: self._deliver(STDOUT, chunks), lambda: self._eof(STDOUT))
        if tty:
            stderr = stdout
            self._open_streams = {STDOUT}
        else:
            stderr = OutputStream(self._loop, lambda chunks: self._deliver(STDERR, chunks), lambda: self._eof(STDERR))
            self._open_streams = {STDOUT, STDERR}
        self._run_ended = asyncio.Event()
        return ProcessIO(stdin=stdin, stdout=stdout, stderr=stderr, tty=tty, console_size=console_size)

    def _deliver(self, stream: int, chunks: list[Chunk]) -> None:
        self.log.feed(stream, chunks)
        if self._sinks:
            data = b"".join(chunk for _, chunk in chunks)
            for sink in list(self._sinks):
                sink.output(stream, data)

    def _eof(self, stream: int) -> None:
        self.log.close_stream(stream)
        self._open_streams.discard(stream)
        if not self._open_streams:
            self._end_run()

    def _end_run(self) -> None:
        if self._run_ended.is_set():
            return
        self._run_ended.set()
        self.log.end_follow()
        stdin, self._stdin = self._stdin, None
        if stdin is not None:
            stdin.close()
        for sink in list(self._sinks):
            sink.finish()
        self._sinks.clear()

    async def wait_run_end(self, timeout: float) -> bool:
        """Wait until the run's streams are closed; returns False on timeout."""
        try:
            await asyncio.wait_for(self._run_ended.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def force_end(self) -> None:
        """End the run even if the backend left a stream open."""
        for stream in list(self._open_streams):
            self.log.close_stream(stream)
        self._open_streams.clear()
        self._end_run()

    @property
    def running(self) -> bool:
        """True while a run's streams are open."""
        return not self._run_ended.is_set()

    # -- attach ----------------------------------------------------------------------------
    def attach(self, sink: AttachSink) -> None:
        """Send this run's (or the next run's) output to ``sink``."""
        self._sinks.add(sink)

    def detach(self, sink: AttachSink) -> None:
        """Stop sending output to ``sink``."""
        self._sinks.discard(sink)
