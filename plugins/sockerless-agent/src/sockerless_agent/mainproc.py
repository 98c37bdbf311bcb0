"""The workload's main process: run it, pass its output through, keep a replay buffer.

Its stdout and stderr go to the agent's own stdout and stderr (so the cloud's log service
captures them), to every attached session, and into a bounded replay buffer with absolute
byte offsets, so a daemon that (re)attaches late loses nothing that is still buffered.
In keep-alive mode there is no process: the agent stays up until it is told to stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import queue
import signal
import threading
from collections.abc import Callable

from sockerless.agent import protocol

from .spawn import Child, SpawnSpec, read_fd, spawn

log = logging.getLogger("sockerless_agent")

Subscriber = Callable[[int, bytes], None]
FORWARDED_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2,
                     signal.SIGWINCH)
NON_TERMINATING = frozenset({signal.SIGWINCH, signal.SIGCHLD, signal.SIGURG, signal.SIGCONT, signal.SIGSTOP,
                             signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU})
"""Signals whose default action does not end a process (what a ``tail -f /dev/null`` would survive)."""


class ReplayBuffer:
    """The last ``limit`` bytes of one stream, addressed by absolute offset."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.data = bytearray()
        self.start = 0

    @property
    def end(self) -> int:
        """Offset just past the last byte written."""
        return self.start + len(self.data)

    def append(self, chunk: bytes) -> None:
        """Add bytes, dropping the oldest beyond the limit."""
        self.data += chunk
        excess = len(self.data) - self.limit
        if excess > 0:
            del self.data[:excess]
            self.start += excess

    def since(self, offset: int) -> tuple[int, bytes]:
        """(offset of the first byte returned, the bytes from ``offset`` on, or from the oldest kept)."""
        offset = max(offset, self.start)
        return offset, bytes(self.data[offset - self.start:])


class PassThrough:
    """Writes to one of the agent's own descriptors from a thread, so a slow reader never stalls the loop."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._queue: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=f"passthrough-{fd}", daemon=True)
        self._thread.start()

    def write(self, data: bytes) -> None:
        """Queue bytes."""
        self._queue.put(data)

    def close(self, timeout: float = 5.0) -> None:
        """Flush what is queued (bounded wait)."""
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        while (data := self._queue.get()) is not None:
            view = memoryview(data)
            while view:
                try:
                    view = view[os.write(self.fd, view):]
                except OSError:
                    view = view[:0]


class MainProcess:
    """The workload's main process (or the keep-alive stand-in)."""

    def __init__(self, spec: SpawnSpec | None, replay_limit: int = 1 << 20) -> None:
        self.spec = spec
        self.keep_alive = spec is None
        self.tty = bool(spec and spec.tty)
        self.child: Child | None = None
        self.buffers = {protocol.STDOUT: ReplayBuffer(replay_limit), protocol.STDERR: ReplayBuffer(replay_limit)}
        self.subscribers: set[Subscriber] = set()
        self.exited: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._stop_signal: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.exit_delivered = asyncio.Event()
        """Set once an attach session has handed the exit status to a daemon."""
        self._outs = {protocol.STDOUT: PassThrough(1), protocol.STDERR: PassThrough(2)}

    @property
    def pid(self) -> int:
        """The main process's pid (the agent's own in keep-alive mode)."""
        return self.child.pid if self.child is not None else os.getpid()

    @property
    def exit_code(self) -> int | None:
        """The exit code once it ended."""
        return self.exited.result() if self.exited.done() else None

    async def start(self) -> None:
        """Start the command (raises ``SpawnError``) and forward the agent's signals to it."""
        loop = asyncio.get_running_loop()
        for signum in FORWARDED_SIGNALS:
            loop.add_signal_handler(signum, self.signal, signum)
        if self.spec is not None:
            self.child = await spawn(self.spec)

    async def run(self) -> int:
        """Pump output until the process ends; returns its exit code."""
        if self.child is None:
            code = await self._stop_signal
        else:
            pumps = [asyncio.ensure_future(self._pump(stream, fd)) for stream, fd in self.child.outputs]
            code = await self.child.wait()
            # as when a container's init ends: what it left running goes too (and lets go of the output pipes)
            self.child.kill_group()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*pumps), 5.0)
            for pump in pumps:
                pump.cancel()
            self.child.release()
        for out in self._outs.values():
            await asyncio.to_thread(out.close)
        if not self.exited.done():
            self.exited.set_result(code)
        return code

    async def _pump(self, stream: int, fd: int) -> None:
        async for data in read_fd(fd):
            self._outs[stream].write(data)
            self.buffers[stream].append(data)
            for subscriber in list(self.subscribers):
                subscriber(stream, data)

    # -- control ---------------------------------------------------------------------------------
    def signal(self, signum: int) -> None:
        """Deliver ``signum``; in keep-alive mode a terminating signal ends the agent (128 + signum)."""
        if self.child is not None:
            self.child.signal(signum)
        elif signum not in NON_TERMINATING and not self._stop_signal.done():
            self._stop_signal.set_result(128 + signum)

    def resize(self, height: int, width: int) -> None:
        """Resize the main process's terminal."""
        if self.child is not None:
            self.child.resize(height, width)

    async def write_stdin(self, data: bytes) -> None:
        """Feed the main process's stdin (when it has one)."""
        if self.child is not None:
            await self.child.write_stdin(data)

    def close_stdin(self) -> None:
        """End the main process's stdin."""
        if self.child is not None:
            self.child.close_stdin()

    @property
    def has_stdin(self) -> bool:
        """True while stdin is open."""
        return self.child is not None and self.child.stdin_fd is not None
