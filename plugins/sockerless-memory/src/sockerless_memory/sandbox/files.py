"""Open file descriptions of the sandbox: host files, pipes, devices, the container's streams.

An :class:`OpenFile` is what a file descriptor points at. Several descriptors (``dup``,
inheritance by child processes) share one description and its read buffer and offset,
as on Unix; the description is released when its last reference goes.

All reads and writes block *interruptibly*: they wait through the current process (see
:func:`~sockerless_memory.sandbox.process.current`), so a signal sent to that process
wakes them up.
"""

from __future__ import annotations

import collections
import errno
import os
import select
import threading
from collections.abc import Iterator

from sockerless.engine.stdio import InputStream, OutputStream

from . import process as _process
from .signals import SIGPIPE, SignalTermination

CHUNK = 1 << 16


class OpenFile:
    """Base class: an open file description with reference counting."""

    readable = False
    writable = False
    kind = "file"

    def __init__(self) -> None:
        self._refs = 1
        self._rbuf = b""
        self._lock = threading.Lock()

    # -- reference counting ------------------------------------------------------------
    def acquire(self) -> OpenFile:
        """Take another reference (a new fd pointing here)."""
        with self._lock:
            self._refs += 1
        return self

    def release(self) -> None:
        """Drop a reference; the description is closed with the last one."""
        with self._lock:
            self._refs -= 1
            last = self._refs == 0
        if last:
            self._close()

    def close(self) -> None:
        """Alias of :meth:`release` for file-object style code."""
        self.release()

    def _close(self) -> None:
        pass

    # -- reading -----------------------------------------------------------------------
    def _raw_read(self, n: int) -> bytes:
        """Read at most ``n`` bytes, blocking until at least one is available or EOF."""
        raise OSError(errno.EBADF, "Bad file descriptor")

    def read1(self, n: int = CHUNK) -> bytes:
        """Return what is available (at most ``n``), blocking only while nothing is."""
        if self._rbuf:
            data, self._rbuf = self._rbuf[:n], self._rbuf[n:]
            return data
        return self._raw_read(n)

    def read(self, n: int = -1) -> bytes:
        """Read ``n`` bytes (fewer only at EOF), or everything up to EOF when ``n < 0``."""
        parts = []
        if n < 0:
            while chunk := self.read1(CHUNK):
                parts.append(chunk)
            return b"".join(parts)
        remaining = n
        while remaining > 0:
            chunk = self.read1(remaining)
            if not chunk:
                break
            parts.append(chunk)
            remaining -= len(chunk)
        return b"".join(parts)

    def readline(self, limit: int = -1) -> bytes:
        """Read through the next newline (kept), or to EOF."""
        buf = self._rbuf
        self._rbuf = b""
        while True:
            idx = buf.find(b"\n")
            if idx >= 0:
                end = idx + 1
                if 0 <= limit < end:
                    end = limit
                self._rbuf = buf[end:] + self._rbuf
                return buf[:end]
            if 0 <= limit <= len(buf):
                self._rbuf = buf[limit:]
                return buf[:limit]
            chunk = self._raw_read(CHUNK)
            if not chunk:
                return buf
            buf += chunk

    def read_byte(self) -> bytes:
        """Read one byte without buffering ahead (what ``read`` in a shell needs on pipes)."""
        if self._rbuf:
            data, self._rbuf = self._rbuf[:1], self._rbuf[1:]
            return data
        return self._raw_read(1)

    def unread(self, data: bytes) -> None:
        """Push bytes back so the next read returns them first."""
        self._rbuf = data + self._rbuf

    def wait_readable(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for data (or EOF); False on timeout (``read -t``)."""
        return True

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line

    # -- writing -----------------------------------------------------------------------
    def write(self, data: bytes) -> int:
        """Write all of ``data``; a write to a closed pipe ends the process with SIGPIPE."""
        raise OSError(errno.EBADF, "Bad file descriptor")

    def flush(self) -> None:
        """Deliver buffered output (most descriptions do not buffer)."""

    # -- misc --------------------------------------------------------------------------
    def isatty(self) -> bool:
        """True for a terminal."""
        return False

    def fileno(self) -> int | None:
        """The host descriptor behind this description, if there is one."""
        return None

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        """Reposition (regular files only)."""
        raise OSError(errno.ESPIPE, "Illegal seek")

    def tell(self) -> int:
        """Current offset (regular files only)."""
        return self.seek(0, os.SEEK_CUR)


class HostFile(OpenFile):
    """A file (or directory) opened through the jail: a host descriptor."""

    def __init__(self, fd: int, flags: int, path: str = "") -> None:
        super().__init__()
        self.fd = fd
        self.path = path
        access = flags & os.O_ACCMODE
        self.readable = access in (os.O_RDONLY, os.O_RDWR)
        self.writable = access in (os.O_WRONLY, os.O_RDWR)

    def _raw_read(self, n: int) -> bytes:
        if not self.readable:
            raise OSError(errno.EBADF, "Bad file descriptor")
        return os.read(self.fd, n)

    def write(self, data: bytes) -> int:
        if not self.writable:
            raise OSError(errno.EBADF, "Bad file descriptor")
        if self._rbuf:  # keep the shared offset right for read-write descriptions
            os.lseek(self.fd, -len(self._rbuf), os.SEEK_CUR)
            self._rbuf = b""
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view):]
        return len(data)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if whence == os.SEEK_CUR:
            offset -= len(self._rbuf)
        self._rbuf = b""
        return os.lseek(self.fd, offset, whence)

    def fileno(self) -> int:
        return self.fd

    def _close(self) -> None:
        os.close(self.fd)


class Pipe:
    """An in-memory pipe with the 64 KiB capacity of a Linux pipe."""

    CAPACITY = 1 << 16

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.chunks: collections.deque[bytes] = collections.deque()
        self.size = 0
        self.writers = 1
        self.readers = 1


class PipeReader(OpenFile):
    """The read end of a :class:`Pipe`."""

    readable = True
    kind = "pipe"

    def __init__(self, pipe: Pipe) -> None:
        super().__init__()
        self.pipe = pipe

    def _raw_read(self, n: int) -> bytes:
        pipe = self.pipe
        _process.wait_for(pipe.cond, lambda: pipe.chunks or not pipe.writers)
        with pipe.cond:
            if not pipe.chunks:
                return b""
            head = pipe.chunks.popleft()
            if len(head) > n:
                pipe.chunks.appendleft(head[n:])
                head = head[:n]
            pipe.size -= len(head)
            pipe.cond.notify_all()
            return head

    def wait_readable(self, timeout: float) -> bool:
        if self._rbuf:
            return True
        pipe = self.pipe
        return _process.wait_for(pipe.cond, lambda: pipe.chunks or not pipe.writers, timeout)

    def _close(self) -> None:
        with self.pipe.cond:
            self.pipe.readers -= 1
            self.pipe.chunks.clear()
            self.pipe.size = 0
            self.pipe.cond.notify_all()


class PipeWriter(OpenFile):
    """The write end of a :class:`Pipe`."""

    writable = True
    kind = "pipe"

    def __init__(self, pipe: Pipe) -> None:
        super().__init__()
        self.pipe = pipe

    def write(self, data: bytes) -> int:
        pipe = self.pipe
        view = memoryview(data)
        while view:
            _process.wait_for(pipe.cond, lambda: pipe.size < Pipe.CAPACITY or not pipe.readers)
            with pipe.cond:
                if not pipe.readers:
                    raise_sigpipe()
                room = Pipe.CAPACITY - pipe.size
                if room <= 0:
                    continue
                part = bytes(view[:room])
                pipe.chunks.append(part)
                pipe.size += len(part)
                view = view[len(part):]
                pipe.cond.notify_all()
        return len(data)

    def _close(self) -> None:
        with self.pipe.cond:
            self.pipe.writers -= 1
            self.pipe.cond.notify_all()


def make_pipe() -> tuple[PipeReader, PipeWriter]:
    """A new pipe: (read end, write end), each with one reference."""
    pipe = Pipe()
    return PipeReader(pipe), PipeWriter(pipe)


def raise_sigpipe() -> None:
    """What writing to a pipe without readers does to a process with default SIGPIPE."""
    proc = _process.current()
    if proc is not None and proc.ignores(SIGPIPE):
        raise BrokenPipeError(errno.EPIPE, "Broken pipe")
    raise SignalTermination(SIGPIPE)


class NullFile(OpenFile):
    """``/dev/null``."""

    readable = writable = True
    kind = "device"

    def _raw_read(self, n: int) -> bytes:
        return b""

    def write(self, data: bytes) -> int:
        return len(data)


class ZeroFile(NullFile):
    """``/dev/zero``."""

    def _raw_read(self, n: int) -> bytes:
        _process.check()
        return bytes(min(n, CHUNK))


class FullFile(ZeroFile):
    """``/dev/full``: reads zeros, writes fail with ENOSPC."""

    def write(self, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")


class RandomFile(NullFile):
    """``/dev/random`` and ``/dev/urandom``."""

    def _raw_read(self, n: int) -> bytes:
        _process.check()
        return os.urandom(min(n, CHUNK))


class StreamInput(OpenFile):
    """The container's (or an exec's) stdin, fed by the core."""

    readable = True
    kind = "pipe"

    def __init__(self, stream: InputStream) -> None:
        super().__init__()
        self.stream = stream

    def _raw_read(self, n: int) -> bytes:
        stream = self.stream
        _process.wait_for(stream.condition, stream.ready)
        data = stream.read_nowait(n)
        return data or b""

    def wait_readable(self, timeout: float) -> bool:
        if self._rbuf:
            return True
        stream = self.stream
        return _process.wait_for(stream.condition, stream.ready, timeout)

    def _close(self) -> None:
        self.stream.close()


class StreamOutput(OpenFile):
    """The container's (or an exec's) stdout or stderr, delivered to the core."""

    writable = True
    kind = "pipe"

    def __init__(self, stream: OutputStream, *, owner: bool = True) -> None:
        super().__init__()
        self.stream = stream
        self.owner = owner

    def write(self, data: bytes) -> int:
        try:
            self.stream.write(data)
        except BrokenPipeError:
            raise_sigpipe()
        return len(data)

    def _close(self) -> None:
        if self.owner:
            self.stream.close()


class TtyFile(OpenFile):
    """The slave side of the container's pseudo-terminal (a host pty)."""

    readable = writable = True
    kind = "tty"

    def __init__(self, fd: int, name: str = "/dev/pts/0") -> None:
        super().__init__()
        self.fd = fd
        self.name = name

    def _raw_read(self, n: int) -> bytes:
        while True:
            proc = _process.current()
            wake = proc.wakeup_fd() if proc is not None else None
            watch = [self.fd] if wake is None else [self.fd, wake]
            ready, _, _ = select.select(watch, [], [])
            if proc is not None:
                proc.drain_wakeup()
                proc.check()
            if self.fd in ready:
                try:
                    return os.read(self.fd, n)
                except OSError as exc:
                    if exc.errno == errno.EIO:  # the terminal went away
                        return b""
                    raise

    def wait_readable(self, timeout: float) -> bool:
        if self._rbuf:
            return True
        proc = _process.current()
        wake = proc.wakeup_fd() if proc is not None else None
        watch = [self.fd] if wake is None else [self.fd, wake]
        ready, _, _ = select.select(watch, [], [], max(0.0, timeout))
        if proc is not None:
            proc.drain_wakeup()
            proc.check()
        return self.fd in ready

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self.fd, view):]
        except OSError as exc:
            if exc.errno == errno.EIO:
                raise_sigpipe()
            raise
        return len(data)

    def isatty(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.fd

    def _close(self) -> None:
        os.close(self.fd)


class BytesInput(OpenFile):
    """A readable description over fixed bytes (here-documents, test input)."""

    readable = True
    kind = "pipe"

    def __init__(self, data: bytes) -> None:
        super().__init__()
        self._data = memoryview(bytes(data))

    def _raw_read(self, n: int) -> bytes:
        chunk, self._data = self._data[:n], self._data[n:]
        return bytes(chunk)


class CaptureOutput(OpenFile):
    """A writable description that collects everything written (command substitution)."""

    writable = True
    kind = "pipe"

    def __init__(self) -> None:
        super().__init__()
        self.buffer = bytearray()
        self._wlock = threading.Lock()

    def write(self, data: bytes) -> int:
        with self._wlock:
            self.buffer += data
        return len(data)

    def getvalue(self) -> bytes:
        """Everything written so far."""
        with self._wlock:
            return bytes(self.buffer)


DEVICES: dict[str, type[OpenFile]] = {
    "/dev/null": NullFile,
    "/dev/zero": ZeroFile,
    "/dev/full": FullFile,
    "/dev/random": RandomFile,
    "/dev/urandom": RandomFile,
}
