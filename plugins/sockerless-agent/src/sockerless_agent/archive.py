"""``docker cp`` inside the workload: the core's archive semantics over the workload's own files.

Everything Docker-specific (path resolution, the stat, tar production, extraction rules)
is :mod:`sockerless.archive`; this module only moves its byte streams over a session,
with flow control in both directions.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
from typing import Any

from sockerless.agent import protocol
from sockerless.agent.channel import ConnectionLost, ReceiveWindow, SendWindow, Session
from sockerless.archive import (
    ArchiveError,
    ExtractOptions,
    PathNotFound,
    RootedFileSystem,
    archive_path,
    container_owner,
    extract,
    extraction_dir,
    stat_path,
)


def _error_fields(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, PathNotFound):
        return {"kind": protocol.NOT_FOUND, "message": exc.message, "path": exc.path}
    if isinstance(exc, ArchiveError):
        kind = protocol.NOT_FOUND if exc.kind == ArchiveError.NOT_FOUND else protocol.BAD_REQUEST
        return {"kind": kind, "message": exc.message}
    if isinstance(exc, OSError):
        where = f" {exc.filename}" if exc.filename else ""
        reason = (os.strerror(exc.errno) if exc.errno else str(exc)).lower()
        return {"kind": protocol.PERMISSION if isinstance(exc, PermissionError) else protocol.BAD_REQUEST,
                "message": f"{reason}:{where}" if where else reason, "errno": exc.errno or 0}
    raise exc


class _QueueReader:
    """A blocking ``read()`` for the extracting thread, fed from the event loop."""

    def __init__(self, window: ReceiveWindow, loop: asyncio.AbstractEventLoop) -> None:
        self._queue: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._buffer = b""
        self._eof = False
        self._window = window
        self._loop = loop

    def feed(self, data: bytes | None) -> None:
        """Add bytes (``None``: end of stream)."""
        self._queue.put(data)

    def read(self, size: int = -1) -> bytes:
        while not self._eof and (size < 0 or len(self._buffer) < size):
            chunk = self._queue.get()
            if chunk is None:
                self._eof = True
                break
            self._buffer += chunk
            asyncio.run_coroutine_threadsafe(_quietly(self._window.consumed(len(chunk))), self._loop)
        if size < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


async def _quietly(aw) -> None:
    with contextlib.suppress(ConnectionLost):
        await aw


class ArchiveHandlers:
    """The three archive sessions, over the files under ``root`` (``/`` in a real workload)."""

    def __init__(self, root: str = "/") -> None:
        self.root = root

    async def stat(self, session: Session, message: dict[str, Any]) -> None:
        """``archive_stat``: answers ``stat``."""
        fs = RootedFileSystem(self.root)
        try:
            result = await asyncio.to_thread(stat_path, fs, str(message.get("path", "")))
        except (ArchiveError, OSError) as exc:
            await session.send(protocol.ERROR, **_error_fields(exc))
            return
        finally:
            fs.close()
        await session.send(protocol.STAT, stat=result.to_dict())

    async def get(self, session: Session, message: dict[str, Any]) -> None:
        """``archive_get``: ``stat``, then the tar stream as DATA frames, then ``data_end``."""
        fs = RootedFileSystem(self.root)
        try:
            try:
                result, chunks = await asyncio.to_thread(archive_path, fs, str(message.get("path", "")))
            except (ArchiveError, OSError) as exc:
                await session.send(protocol.ERROR, **_error_fields(exc))
                return
            await session.send(protocol.STAT, stat=result.to_dict())
            window = SendWindow()
            cancelled = asyncio.Event()
            listener = asyncio.ensure_future(_listen(session, window, cancelled))
            try:
                while not cancelled.is_set():
                    try:
                        chunk = await asyncio.to_thread(next, chunks, None)
                    except (ArchiveError, OSError) as exc:
                        await session.send(protocol.ERROR, **_error_fields(exc))
                        return
                    if chunk is None:
                        await session.send(protocol.DATA_END)
                        return
                    for start in range(0, len(chunk), protocol.MAX_FRAME_DATA):
                        part = chunk[start:start + protocol.MAX_FRAME_DATA]
                        await window.take(len(part))
                        await session.write(protocol.DATA, part)
            finally:
                listener.cancel()
        finally:
            await asyncio.to_thread(fs.close)

    async def put(self, session: Session, message: dict[str, Any]) -> None:
        """``archive_put``: ``started`` once the destination is known good, DATA in, then ``done``."""
        fs = RootedFileSystem(self.root)
        try:
            try:
                dest = await asyncio.to_thread(extraction_dir, fs, str(message.get("path", "")))
                owner = None
                if message.get("copy_uid_gid"):
                    owner = await asyncio.to_thread(container_owner, fs, str(message.get("user") or ""))
            except (ArchiveError, OSError) as exc:
                await session.send(protocol.ERROR, **_error_fields(exc))
                return
            options = ExtractOptions(no_overwrite_dir_non_dir=bool(message.get("no_overwrite_dir_non_dir")),
                                     chown=owner, set_owner=os.geteuid() == 0)
            reader = _QueueReader(ReceiveWindow(session), asyncio.get_running_loop())
            await session.send(protocol.STARTED)
            extracting = asyncio.ensure_future(asyncio.to_thread(extract, fs, dest, reader, options))
            feeding = asyncio.ensure_future(_feed(session, reader))
            await asyncio.wait([extracting, feeding], return_when=asyncio.FIRST_COMPLETED)
            if extracting.done() and not feeding.done():  # failed early, or ignored trailing data
                feeding.cancel()
            else:
                await feeding
            try:
                await extracting
            except (ArchiveError, OSError) as exc:
                await session.send(protocol.ERROR, **_error_fields(exc))
                return
            await session.send(protocol.DONE)
        finally:
            await asyncio.to_thread(fs.close)


async def _listen(session: Session, window: SendWindow, cancelled: asyncio.Event) -> None:
    with contextlib.suppress(ConnectionLost):
        while True:
            event = await session.next()
            if isinstance(event, dict) and event["type"] == protocol.WINDOW:
                window.grant(int(event.get("bytes", 0)))
            elif isinstance(event, dict) and event["type"] == protocol.CANCEL:
                cancelled.set()
                window.grant(1 << 40)
                return


async def _feed(session: Session, reader: _QueueReader) -> None:
    try:
        while True:
            event = await session.next()
            if isinstance(event, tuple):
                if event[0] == protocol.DATA:
                    reader.feed(event[1])
            elif event["type"] in (protocol.DATA_END, protocol.CANCEL):
                return
    finally:
        reader.feed(None)
