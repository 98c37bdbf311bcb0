"""``docker cp`` and ``docker export`` on the active backend.

A backend hands over the container's files (``sockerless_archive_filesystem``) and the
archive semantics of :mod:`sockerless.archive` run here, in worker threads; a backend
without local files answers the ``sockerless_archive_stat/get/put`` hooks itself.
"""

from __future__ import annotations

import asyncio
import errno
import os
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

from ..api.errors import DockerError, InvalidParameter, NotFound, NotImplementedByBackend
from ..archive import (
    ArchiveError,
    ArchiveFS,
    ExtractOptions,
    PathNotFound,
    PathStat,
    archive_path,
    container_owner,
    export_root,
    extract,
    extraction_dir,
    stat_path,
)
from ..plugins.backend import Capability
from .containers import labels_of
from .records import ContainerRecord

if TYPE_CHECKING:
    from .daemon import Engine

OPERATION = "archive access (docker cp)"


def _docker_error(exc: BaseException, ref: str) -> DockerError:
    if isinstance(exc, PathNotFound):
        return NotFound(f"{exc.message} in container {ref}")
    if isinstance(exc, ArchiveError):
        return NotFound(exc.message) if exc.kind == ArchiveError.NOT_FOUND else InvalidParameter(exc.message)
    if isinstance(exc, OSError):
        where = f" {exc.filename}" if exc.filename else ""
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        if exc.errno == errno.EROFS:
            return InvalidParameter(f"cannot write{where}: read-only file system")
        return InvalidParameter(f"{reason.lower()}:{where}" if where else reason)
    raise exc


class _BodyReader:
    """A blocking ``read()`` over an async byte iterator, for a worker thread."""

    def __init__(self, chunks: AsyncIterator[bytes], loop: asyncio.AbstractEventLoop) -> None:
        self._chunks = chunks
        self._loop = loop
        self._buffer = b""
        self._eof = False

    def _more(self) -> bool:
        if self._eof:
            return False
        try:
            chunk = asyncio.run_coroutine_threadsafe(self._chunks.__anext__(), self._loop).result()
        except StopAsyncIteration:
            self._eof = True
            return False
        self._buffer += chunk
        return True

    def read(self, size: int = -1) -> bytes:
        while (size < 0 or len(self._buffer) < size) and self._more():
            pass
        if size < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


async def _thread_stream(chunks: Iterator[bytes], fs: ArchiveFS) -> AsyncIterator[bytes]:
    """Drive a blocking byte iterator in worker threads; close ``fs`` at the end."""
    try:
        while (chunk := await asyncio.to_thread(next, chunks, None)) is not None:
            yield chunk
    finally:
        await asyncio.to_thread(fs.close)


class ArchiveService:
    """The archive endpoints' behaviour."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def _backend(self):
        return self.engine.backend

    def _own_hooks(self) -> bool:
        return self._backend.implements("sockerless_archive_stat")

    async def _filesystem(self, record: ContainerRecord, *, mounts: bool, operation: str = OPERATION) -> ArchiveFS:
        backend = self._backend
        backend.require(Capability.ARCHIVE, operation)
        if not backend.implements("sockerless_archive_filesystem"):
            raise NotImplementedByBackend(backend.name, operation)
        return await backend.call("sockerless_archive_filesystem", container=record, mounts=mounts)

    async def _in_thread(self, fs: ArchiveFS, ref: str, func, *args: Any) -> Any:
        try:
            return await asyncio.to_thread(func, fs, *args)
        except (ArchiveError, OSError) as exc:
            raise _docker_error(exc, ref) from None
        except ValueError as exc:  # malformed content met on the way (a passwd line, a tar field)
            raise InvalidParameter(f"cannot copy: {exc}") from None

    def _event(self, record: ContainerRecord, action: str) -> None:
        self.engine.events.publish("container", action, record.id, labels_of(record))

    # -- HEAD ------------------------------------------------------------------------------
    async def stat(self, record: ContainerRecord, path: str, ref: str) -> PathStat:
        """``HEAD /containers/{id}/archive``."""
        if self._own_hooks():
            self._backend.require(Capability.ARCHIVE, OPERATION)
            try:
                raw = await self._backend.call("sockerless_archive_stat", container=record, path=path)
            except (ArchiveError, OSError) as exc:
                raise _docker_error(exc, ref) from None
            return PathStat.from_dict(raw)
        fs = await self._filesystem(record, mounts=True)
        try:
            return await self._in_thread(fs, ref, stat_path, path)
        finally:
            await asyncio.to_thread(fs.close)

    # -- GET -------------------------------------------------------------------------------
    async def get(self, record: ContainerRecord, path: str, ref: str) -> tuple[PathStat, AsyncIterator[bytes]]:
        """``GET /containers/{id}/archive``: the stat and the tar stream."""
        if self._own_hooks():
            self._backend.require(Capability.ARCHIVE, OPERATION)
            try:
                raw, stream = await self._backend.call("sockerless_archive_get", container=record, path=path)
            except (ArchiveError, OSError) as exc:
                raise _docker_error(exc, ref) from None
            self._event(record, "archive-path")
            return PathStat.from_dict(raw), stream
        fs = await self._filesystem(record, mounts=True)
        try:
            stat, chunks = await self._in_thread(fs, ref, archive_path, path)
        except BaseException:
            await asyncio.to_thread(fs.close)
            raise
        self._event(record, "archive-path")
        return stat, _thread_stream(chunks, fs)

    # -- PUT -------------------------------------------------------------------------------
    async def put(self, record: ContainerRecord, path: str, ref: str, body: AsyncIterator[bytes], *,
                  no_overwrite_dir_non_dir: bool, copy_uid_gid: bool) -> None:
        """``PUT /containers/{id}/archive``: extract a tar stream into a directory."""
        if self._own_hooks():
            self._backend.require(Capability.ARCHIVE, OPERATION)
            try:
                await self._backend.call("sockerless_archive_put", container=record, path=path, tar_stream=body,
                                         no_overwrite_dir_non_dir=no_overwrite_dir_non_dir, copy_uid_gid=copy_uid_gid)
            except (ArchiveError, OSError) as exc:
                raise _docker_error(exc, ref) from None
            self._event(record, "extract-to-dir")
            return
        fs = await self._filesystem(record, mounts=True)
        try:
            dest = await self._in_thread(fs, ref, extraction_dir, path)
            self._check_writable(record, dest)
            owner = await self._in_thread(fs, ref, container_owner, record.config.User) if copy_uid_gid else None
            options = ExtractOptions(no_overwrite_dir_non_dir=no_overwrite_dir_non_dir, chown=owner,
                                     set_owner=os.geteuid() == 0)
            reader = _BodyReader(body, asyncio.get_running_loop())
            await self._in_thread(fs, ref, extract, dest, reader, options)
        finally:
            await asyncio.to_thread(fs.close)
        self._event(record, "extract-to-dir")

    @staticmethod
    def _check_writable(record: ContainerRecord, dest: str) -> None:
        """Docker's rule: a read-only volume, or a read-only root outside the volumes, refuses the copy."""
        mount = None
        for candidate in record.mounts:
            target = candidate.Destination.rstrip("/") or "/"
            if (dest == target or dest.startswith(target.rstrip("/") + "/")) and (
                    mount is None or len(target) > len(mount.Destination)):
                mount = candidate
        if mount is not None:
            if not mount.RW:
                raise InvalidParameter("mounted volume is marked read-only")
        elif record.host_config.ReadonlyRootfs:
            raise InvalidParameter("container rootfs is marked read-only")

    # -- export ----------------------------------------------------------------------------
    async def export(self, record: ContainerRecord, ref: str) -> AsyncIterator[bytes]:
        """``GET /containers/{id}/export``: the root filesystem as a tar stream."""
        fs = await self._filesystem(record, mounts=False, operation="export")
        try:
            chunks = await self._in_thread(fs, ref, export_root)
        except BaseException:
            await asyncio.to_thread(fs.close)
            raise
        self._event(record, "export")
        return _thread_stream(chunks, fs)
