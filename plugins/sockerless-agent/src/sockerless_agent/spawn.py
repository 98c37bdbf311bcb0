"""Starting processes for the main command, execs and probes: pipes or a pty, a user, a cwd.

Output is read from non-blocking descriptors on the event loop; stdin is written the same
way, so a process that does not read its stdin never blocks the agent.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import os
import signal
import struct
import subprocess
import termios
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from sockerless.agent import protocol

from .users import Identity

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
READ_SIZE = 65536


class SpawnError(Exception):
    """The program could not be started (``exit_code`` 127 when missing, 126 otherwise)."""

    def __init__(self, kind: str, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.exit_code = exit_code


@dataclass
class SpawnSpec:
    """What to start and how."""

    argv: list[str]
    env: dict[str, str]
    cwd: str
    identity: Identity | None = None
    tty: bool = False
    stdin: bool = False
    size: tuple[int, int] | None = None
    new_session: bool = True
    root: str = ""
    """Run the process chrooted into this host directory; ``cwd`` and ``argv[0]`` are then paths inside it."""


def host_path(root: str, path: str) -> str:
    """Where the path ``path`` inside ``root`` is on the host (``path`` itself without a root)."""
    return os.path.join(root, path.lstrip("/")) if root else path


def find_program(name: str, path: str, cwd: str, root: str = "") -> str:
    """The file ``name`` runs (as a path inside ``root`` when there is one), with the error a container
    runtime gives when there is none."""
    # inside a root, absolute symlinks point into it: only the link itself can be checked from outside
    exists = os.path.lexists if root else os.path.exists
    if "/" in name:
        candidate = os.path.join(cwd, name)
        if not exists(host_path(root, candidate)):
            raise SpawnError(protocol.NOT_FOUND, f'exec: "{name}": no such file or directory', 127)
        return candidate
    for directory in path.split(":"):
        candidate = os.path.join(cwd, directory or ".", name)
        found = host_path(root, candidate)
        if root and os.path.islink(found):
            return candidate
        if os.path.isfile(found) and os.access(found, os.X_OK):
            return candidate
    raise SpawnError(protocol.NOT_FOUND, f'exec: "{name}": executable file not found in $PATH', 127)


def set_size(fd: int, height: int, width: int) -> None:
    """Set a terminal's window size (the process group gets SIGWINCH)."""
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))


def _controlling_tty() -> None:  # runs in the child, after setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _enter_root(spec: SpawnSpec) -> Callable[[], None]:
    """The child's set-up inside a root: chroot, the working directory, then the user (which needs the root's files)."""
    identity = spec.identity

    def enter() -> None:
        os.chroot(spec.root)
        os.chdir(spec.cwd)
        if identity is not None:
            os.setgroups(list(identity.groups))
            os.setgid(identity.gid)
            os.setuid(identity.uid)
        if spec.tty:
            _controlling_tty()

    return enter


class Child:
    """A started process and the parent's ends of its standard streams."""

    def __init__(self, proc: asyncio.subprocess.Process, stdin_fd: int | None, outputs: list[tuple[int, int]],
                 tty_fd: int | None) -> None:
        self.proc = proc
        self.pid = proc.pid
        self.stdin_fd = stdin_fd
        self.outputs = outputs
        """(stream, fd) pairs to read: stdout and stderr, or only the pty master."""
        self.tty_fd = tty_fd
        self._stdin_lock = asyncio.Lock()
        self.exit_code: int | None = None

    async def wait(self) -> int:
        """The exit code, Docker style (128 + signal number when killed)."""
        code = await self.proc.wait()
        self.exit_code = 128 - code if code < 0 else code
        return self.exit_code

    def signal(self, signum: int) -> None:
        """Deliver a signal to the process (ignored once it is gone)."""
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)

    def kill_group(self) -> None:
        """SIGKILL the process and its process group (probe timeouts)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        self.signal(signal.SIGKILL)

    def resize(self, height: int, width: int) -> None:
        """Resize the terminal, when there is one."""
        if self.tty_fd is not None and height > 0 and width > 0:
            with contextlib.suppress(OSError):
                set_size(self.tty_fd, height, width)

    async def write_stdin(self, data: bytes) -> None:
        """Write to the process's stdin; silently drops data once the process closed it."""
        async with self._stdin_lock:
            fd = self.stdin_fd
            view = memoryview(data)
            while view and fd is not None and self.stdin_fd is not None:
                try:
                    written = os.write(fd, view)
                    view = view[written:]
                except BlockingIOError:
                    await _wait_writable(fd)
                except OSError:  # EPIPE / EIO: the reader is gone
                    return

    def close_stdin(self) -> None:
        """Half-close: the process sees EOF on stdin (a pty has no half-close and stays open)."""
        fd, self.stdin_fd = self.stdin_fd, None
        if fd is not None and fd != self.tty_fd:
            with contextlib.suppress(OSError):
                os.close(fd)

    def release(self) -> None:
        """Close every descriptor still held."""
        self.close_stdin()
        if self.tty_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.tty_fd)
            self.tty_fd = None


async def _wait_writable(fd: int) -> None:
    loop = asyncio.get_running_loop()
    ready = loop.create_future()
    loop.add_writer(fd, lambda: ready.done() or ready.set_result(None))
    try:
        await ready
    finally:
        loop.remove_writer(fd)


async def read_fd(fd: int, *, close: bool = True) -> AsyncIterator[bytes]:
    """Chunks read from a non-blocking descriptor until EOF (EIO on a pty master counts as EOF)."""
    loop = asyncio.get_running_loop()
    try:
        while True:
            try:
                data = os.read(fd, READ_SIZE)
            except BlockingIOError:
                ready = loop.create_future()
                loop.add_reader(fd, lambda f=ready: f.done() or f.set_result(None))
                try:
                    await ready
                finally:
                    loop.remove_reader(fd)
                continue
            except OSError as exc:
                if exc.errno in (errno.EIO, errno.EBADF):
                    return
                raise
            if not data:
                return
            yield data
    finally:
        if close:
            with contextlib.suppress(OSError):
                os.close(fd)


async def spawn(spec: SpawnSpec) -> Child:
    """Start ``spec``; raises :class:`SpawnError` with a runtime-style message when it cannot."""
    if not spec.argv:
        raise SpawnError(protocol.BAD_REQUEST, "no command specified", 126)
    if not os.path.isdir(host_path(spec.root, spec.cwd)):
        raise SpawnError(protocol.NOT_FOUND, f'chdir to cwd ("{spec.cwd}") set in config.json failed: no such file or directory', 126)
    program = find_program(spec.argv[0], spec.env.get("PATH", DEFAULT_PATH), spec.cwd, spec.root)
    child_fds: list[int] = []
    parent_fds: list[int] = []
    try:
        if spec.tty:
            master, slave = os.openpty()
            if spec.size:
                set_size(slave, *spec.size)
            child_fds.append(slave)
            parent_fds.append(master)
            stdin_child = stdout_child = stderr_child = slave
            stdin_parent: int | None = master
            outputs = [(protocol.STDOUT, os.dup(master))]
            parent_fds.append(outputs[0][1])
            tty_fd: int | None = master
        else:
            tty_fd = None
            if spec.stdin:
                read_end, write_end = os.pipe()
                child_fds.append(read_end)
                parent_fds.append(write_end)
                stdin_child, stdin_parent = read_end, write_end
            else:
                stdin_child, stdin_parent = os.open(os.devnull, os.O_RDONLY), None
                child_fds.append(stdin_child)
            out_r, out_w = os.pipe()
            err_r, err_w = os.pipe()
            child_fds += [out_w, err_w]
            parent_fds += [out_r, err_r]
            stdout_child, stderr_child = out_w, err_w
            outputs = [(protocol.STDOUT, out_r), (protocol.STDERR, err_r)]
        for fd in parent_fds:
            os.set_blocking(fd, False)
        identity = spec.identity
        kwargs: dict[str, Any] = {"cwd": spec.cwd, "preexec_fn": _controlling_tty if spec.tty else None}
        if spec.root:
            kwargs = {"cwd": spec.root, "preexec_fn": _enter_root(spec)}
        elif identity is not None:
            kwargs.update(user=identity.uid, group=identity.gid, extra_groups=list(identity.groups))
        proc = await asyncio.create_subprocess_exec(
            spec.argv[0], *spec.argv[1:], executable=program, stdin=stdin_child, stdout=stdout_child, stderr=stderr_child,
            env=spec.env, start_new_session=spec.new_session or spec.tty, close_fds=True, **kwargs)
    except subprocess.SubprocessError:  # the set-up inside the root failed (chroot needs root privileges)
        _close_all(child_fds + parent_fds)
        raise SpawnError(protocol.PERMISSION, f"cannot enter the container root {spec.root} (the agent must run as "
                                              "root to use --root)", 126) from None
    except SpawnError:
        _close_all(child_fds + parent_fds)
        raise
    except PermissionError as exc:
        _close_all(child_fds + parent_fds)
        raise SpawnError(protocol.PERMISSION, f'exec: "{spec.argv[0]}": {os.strerror(exc.errno or errno.EACCES).lower()}', 126) from None
    except OSError as exc:
        _close_all(child_fds + parent_fds)
        raise SpawnError(protocol.INTERNAL, f'exec: "{spec.argv[0]}": {os.strerror(exc.errno or errno.EIO).lower()}', 126) from None
    _close_all(child_fds)
    return Child(proc, stdin_parent, outputs, tty_fd)


def _close_all(fds: list[int]) -> None:
    for fd in dict.fromkeys(fds):
        with contextlib.suppress(OSError):
            os.close(fd)
