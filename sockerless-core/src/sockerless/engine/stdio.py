"""The byte streams between the core and a backend's processes.

The core owns the event loop; backends may run their processes on threads (the memory
sandbox) or drive them asynchronously (cloud agents). These two classes are the only
hand-off points, and both are safe to use from any thread:

* :class:`InputStream` carries stdin *into* a process. The core feeds it on the event loop;
  the backend reads it blocking (from a worker thread) or with ``await aread()``.
* :class:`OutputStream` carries stdout or stderr *out of* a process. The backend writes from
  any thread; the core receives coalesced, timestamped chunks on the event loop.
"""

from __future__ import annotations

import asyncio
import collections
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

Chunk = tuple[int, bytes]
"""An output chunk: (wall-clock time in ns when it was written, the bytes)."""


class InputStream:
    """A stdin pipe from the core to one process.

    ``read`` returns ``b""`` once the writer has sent EOF and every byte has been read.
    A reader that stops early calls :meth:`close`; later data is discarded.
    """

    HIGH_WATER = 1 << 20

    def __init__(self, on_drained: Callable[[], None] | None = None) -> None:
        self.condition = threading.Condition()
        self._chunks: collections.deque[bytes] = collections.deque()
        self._buffered = 0
        self._eof = False
        self._closed = False
        self._on_drained = on_drained
        self._waiter: asyncio.Future[None] | None = None

    # -- producer side (the core, on the event loop) ---------------------------------
    @property
    def buffered(self) -> int:
        """Bytes fed but not read yet (the core pauses its source above ``HIGH_WATER``)."""
        return self._buffered

    @property
    def closed(self) -> bool:
        """True once the reader has closed its end."""
        return self._closed

    def feed(self, data: bytes) -> None:
        """Append bytes; ignored after EOF or after the reader closed."""
        if not data:
            return
        with self.condition:
            if self._eof or self._closed:
                return
            self._chunks.append(bytes(data))
            self._buffered += len(data)
            self.condition.notify_all()
        self._wake_async()

    def feed_eof(self) -> None:
        """Signal end of input."""
        with self.condition:
            self._eof = True
            self.condition.notify_all()
        self._wake_async()

    # -- consumer side (the backend, any thread) -------------------------------------
    @property
    def at_eof(self) -> bool:
        """True when EOF was fed and all data has been consumed."""
        return self._eof and not self._chunks

    def ready(self) -> bool:
        """True when a read would not block (data buffered, EOF, or closed)."""
        return bool(self._chunks) or self._eof or self._closed

    def read_nowait(self, n: int = -1) -> bytes | None:
        """Return up to ``n`` bytes (all buffered when ``n < 0``), ``b""`` at EOF, ``None`` if nothing yet."""
        with self.condition:
            return self._take(n)

    def read(self, n: int = -1, timeout: float | None = None) -> bytes | None:
        """Blocking read; ``None`` only when ``timeout`` expires first."""
        with self.condition:
            if not self.condition.wait_for(self.ready, timeout):
                return None
            return self._take(n)

    async def aread(self, n: int = -1) -> bytes:
        """Read on the event loop (for asynchronous backends)."""
        while True:
            data = self.read_nowait(n)
            if data is not None:
                return data
            loop = asyncio.get_running_loop()
            self._waiter = loop.create_future()
            try:
                if not self.ready():
                    await self._waiter
            finally:
                self._waiter = None

    def close(self) -> None:
        """The reader is done: drop buffered data and ignore further input."""
        with self.condition:
            self._closed = True
            self._chunks.clear()
            self._buffered = 0
            self.condition.notify_all()
        self._notify_drained()

    def _take(self, n: int) -> bytes | None:
        if self._closed:
            return b""
        if not self._chunks:
            return b"" if self._eof else None
        if n < 0 or n >= self._buffered:
            data = b"".join(self._chunks)
            self._chunks.clear()
        else:
            parts = []
            need = n
            while need:
                head = self._chunks[0]
                if len(head) <= need:
                    parts.append(self._chunks.popleft())
                    need -= len(head)
                else:
                    parts.append(head[:need])
                    self._chunks[0] = head[need:]
                    need = 0
            data = b"".join(parts)
        was_high = self._buffered > self.HIGH_WATER
        self._buffered -= len(data)
        if was_high and self._buffered <= self.HIGH_WATER:
            self._notify_drained()
        return data

    def _notify_drained(self) -> None:
        if self._on_drained is not None:
            self._on_drained()

    def _wake_async(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.get_loop().call_soon_threadsafe(_resolve, waiter)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class OutputStream:
    """stdout or stderr of one process, written by the backend and delivered on the loop.

    Writes are coalesced: the first write after a delivery schedules one callback on the
    event loop and later writes join the same batch, so a chatty process costs one loop
    wake-up per batch rather than per write. A writer on another thread blocks once
    ``limit`` bytes are waiting, which gives backpressure against a slow consumer.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        deliver: Callable[[list[Chunk]], None],
        on_eof: Callable[[], None] | None = None,
        *,
        limit: int = 1 << 20,
    ) -> None:
        self._loop = loop
        self._deliver = deliver
        self._on_eof = on_eof
        self._limit = limit
        self._cond = threading.Condition()
        self._batch: list[Chunk] = []
        self._pending = 0
        self._scheduled = False
        self._closed = False
        self._loop_thread = _loop_thread_id(loop)

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._closed

    def write(self, data: bytes) -> None:
        """Queue bytes for delivery (a write after :meth:`close` raises ``BrokenPipeError``)."""
        if not data:
            return
        now = time.time_ns()
        on_loop = threading.get_ident() == self._loop_thread
        with self._cond:
            if self._closed:
                raise BrokenPipeError("output stream closed")
            if not on_loop:
                self._cond.wait_for(lambda: self._pending < self._limit or self._closed)
                if self._closed:
                    raise BrokenPipeError("output stream closed")
            self._batch.append((now, bytes(data)))
            self._pending += len(data)
            schedule = not self._scheduled
            self._scheduled = True
        if schedule:
            self._schedule(self._flush)

    def close(self) -> None:
        """Deliver what is queued, then end of stream. Idempotent."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._cond.notify_all()
        self._schedule(self._finish)

    def _schedule(self, callback: Callable[[], None]) -> None:
        if threading.get_ident() == self._loop_thread:
            self._loop.call_soon(callback)
        else:
            try:
                self._loop.call_soon_threadsafe(callback)
            except RuntimeError:  # loop closed: the daemon is shutting down
                pass

    def _take_batch(self) -> list[Chunk]:
        with self._cond:
            batch, self._batch = self._batch, []
            self._pending = 0
            self._scheduled = False
            self._cond.notify_all()
        return batch

    def _flush(self) -> None:
        batch = self._take_batch()
        if batch:
            self._deliver(batch)

    def _finish(self) -> None:
        self._flush()
        if self._on_eof is not None:
            on_eof, self._on_eof = self._on_eof, None
            on_eof()


def _loop_thread_id(loop: asyncio.AbstractEventLoop) -> int | None:
    """The id of the thread running ``loop`` (streams are normally made on that thread)."""
    try:
        if asyncio.get_running_loop() is loop:
            return threading.get_ident()
    except RuntimeError:
        pass
    return getattr(loop, "_thread_id", None)


@dataclass
class ProcessIO:
    """The standard streams the core hands a backend for one process.

    ``stdin`` is ``None`` when the process has no open stdin (reads see EOF at once).
    With ``tty`` the backend must give the process a terminal and write everything to
    ``stdout``; ``stderr`` is then the same object.
    """

    stdin: InputStream | None
    stdout: OutputStream
    stderr: OutputStream
    tty: bool = False
    console_size: tuple[int, int] | None = None
    """Initial terminal size as (height, width), when the client sent one."""
