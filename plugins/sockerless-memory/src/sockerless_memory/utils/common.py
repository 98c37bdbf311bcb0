"""What every utility shares: registration, usage errors, buffered output, opening inputs.

A utility is written as ``func(u: Util, argv) -> int`` and registered with
:func:`utility`, which wraps it into an applet: it answers ``--help``, turns
:class:`Exit` into an exit status (never ``ProcessExit``, because the shell calls some
utilities as builtins on its own process), and flushes buffered output.

Run as a builtin (``echo printf test [ true false kill``), a utility behaves as busybox's
do inside ash: messages carry the shell's name (``sh: invalid number 'x'``) and
``--help`` is an ordinary argument.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat as stat_mod
from collections.abc import Callable, Iterator, Mapping
from typing import NoReturn

from ..sandbox.applets import applet
from ..sandbox.files import CHUNK, DEVICES, OpenFile
from ..sandbox.fs import normpath
from ..sandbox.kernel import fd_alias
from ..sandbox.process import Process
from .options import OptionError, Options, getopt

BANNER = "BusyBox v1.36.1 (sockerless memory sandbox) multi-call binary."


class Exit(BaseException):
    """Raised by a utility to end with ``status`` (caught by the :func:`utility` wrapper)."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def strerror(exc: OSError) -> str:
    """The C library's text for an ``OSError`` (``No such file or directory``)."""
    if exc.errno:
        return os.strerror(exc.errno)
    return str(exc)


class Output:
    """A write buffer over a descriptor (stdio's full buffering: utilities write a lot of small pieces)."""

    LIMIT = 1 << 16

    def __init__(self, proc: Process, fd: int = 1) -> None:
        self._proc = proc
        self._fd = fd
        self._parts: list[bytes] = []
        self._size = 0
        self.line_buffered = False

    @property
    def file(self) -> OpenFile:
        """The description written to (raises EBADF when the descriptor is closed)."""
        return self._proc.fds[self._fd]

    def write(self, data: bytes) -> None:
        """Queue ``data``; delivered when the buffer fills or on :meth:`flush`."""
        if not data:
            return
        self._parts.append(data)
        self._size += len(data)
        if self._size >= self.LIMIT or (self.line_buffered and data.endswith(b"\n")):
            self.flush()

    def flush(self) -> None:
        """Deliver what is buffered."""
        if not self._parts:
            return
        data = b"".join(self._parts)
        self._parts = []
        self._size = 0
        self.file.write(data)

    def discard(self) -> None:
        """Drop buffered output (after a write error was reported)."""
        self._parts = []
        self._size = 0


class Util:
    """The running utility: its process, name, usage text and output buffer.

    ``name`` is the applet as called (``[`` or ``test``, ``egrep``...), which may change
    what it does; ``label``, which starts its messages, is the name its process was invoked
    as: the same, unless the shell runs the utility as a builtin on its own process.
    """

    def __init__(self, proc: Process, name: str, usage: str) -> None:
        self.proc = proc
        self.name = name
        self.label = proc.name
        self.usage = usage
        self.out = Output(proc)
        self.status = 0
        self.usage_status = 1  # grep's usage errors exit 2

    # -- environment -------------------------------------------------------------------
    @property
    def fs(self):
        """The container's file system (the jail)."""
        return self.proc.kernel.fs

    @property
    def cwd(self) -> str:
        """The working directory relative paths are resolved against."""
        return self.proc.cwd

    @property
    def env(self) -> dict[str, str]:
        """The process environment."""
        return self.proc.env

    @property
    def builtin(self) -> bool:
        """True when the shell runs the utility as a builtin (busybox's applets tell from
        ``applet_name``, which is then the shell's)."""
        return self.label != self.name

    # -- diagnostics -------------------------------------------------------------------
    def error(self, message: str) -> None:
        """Write ``LABEL: message`` to stderr (unbuffered, as stderr is)."""
        try:
            self.proc.stderr.write(f"{self.label}: {message}\n".encode("utf-8", "surrogateescape"))
        except OSError:
            pass

    def warn(self, message: str, status: int = 1) -> None:
        """Report a problem that does not stop the utility; the final status becomes ``status``."""
        self.error(message)
        self.status = status

    def fail(self, message: str | None = None, status: int = 1) -> NoReturn:
        """Report ``message`` (if any) and end with ``status``."""
        if message is not None:
            self.error(message)
        raise Exit(status)

    def perror(self, exc: OSError, what: str) -> None:
        """``NAME: WHAT: strerror`` and status 1 (``can't open 'x': No such file or directory``)."""
        self.warn(f"{what}: {strerror(exc)}")

    def show_usage(self, stream: int = 2) -> None:
        """Print the banner and usage text (to stdout for ``--help``, else stderr)."""
        text = f"{BANNER}\n\nUsage: {self.usage}\n"
        try:
            if stream == 1:
                self.out.write(text.encode())
                self.out.flush()
            else:
                self.proc.stderr.write(text.encode())
        except OSError:
            pass

    def usage_error(self, message: str | None = None) -> NoReturn:
        """Report ``message``, print the usage text and exit 1, as busybox's ``bb_show_usage``."""
        if message:
            self.error(message)
        self.show_usage()
        raise Exit(self.usage_status)

    def getopt(self, args: list[str], spec: str, longopts: Mapping[str, str] | None = None) -> tuple[Options, list[str]]:
        """Parse options; a bad command line prints the musl message and the usage (exit 1)."""
        try:
            return getopt(args, spec, longopts)
        except OptionError as exc:
            self.usage_error(str(exc))

    # -- files -------------------------------------------------------------------------
    def stat(self, path: str, *, follow: bool = True) -> os.stat_result:
        """``stat`` (or ``lstat``) a container path relative to the working directory.

        The sandbox's devices (``/dev/null``...) are virtual: they get the stat of a
        character device, so ``test -c``, ``ls -l`` and ``diff /dev/null`` see them.
        """
        if path.endswith("/"):
            follow = True  # "link/" names what the link points to, as on Linux
        try:
            return self.fs.stat(path, self.cwd, follow=follow)
        except OSError:
            logical = normpath(path, self.cwd)
            device = virtual_device_stat(logical)
            if device is None:
                device = self._descriptor_stat(logical)
            if device is None:
                raise
            return device

    def _descriptor_stat(self, logical: str) -> os.stat_result | None:
        """What ``/dev/fd/N`` (``/dev/stdin``...) stats as: the open file, or a pipe."""
        fd = fd_alias(logical)
        file = self.proc.fds.get(fd) if fd is not None else None
        if file is None:
            return None
        host_fd = file.fileno()
        if host_fd is not None:
            return os.fstat(host_fd)
        kind = stat_mod.S_IFCHR if file.isatty() else stat_mod.S_IFIFO
        return os.stat_result((kind | 0o600, 0, 0, 1, self.proc.creds.uid, self.proc.creds.gid, 0, 0, 0, 0))

    def lstat(self, path: str) -> os.stat_result:
        """``lstat`` a container path."""
        return self.stat(path, follow=False)

    def exists(self, path: str, *, follow: bool = True) -> bool:
        """True when ``path`` exists (a dangling symlink exists only with ``follow=False``)."""
        try:
            self.stat(path, follow=follow)
        except OSError:
            return False
        return True

    def is_dir(self, path: str) -> bool:
        """True when ``path`` is, or links to, a directory."""
        try:
            return stat_mod.S_ISDIR(self.stat(path).st_mode)
        except OSError:
            return False

    def dir_names(self, path: str) -> list[str]:
        """The names in the directory ``path``; none when it cannot be read, which is
        reported as ``PATH: error`` (exit status 1), as find, du and tar do."""
        try:
            return self.fs.listdir(path, self.cwd)
        except OSError as exc:
            self.perror(exc, path)
            return []

    def open(self, path: str, flags: int = os.O_RDONLY, mode: int = 0o666) -> OpenFile:
        """Open a container path (devices and ``/dev/fd/N`` included)."""
        return self.proc.open(path, flags, mode)

    def create(self, path: str, *, append: bool = False, mode: int = 0o666) -> OpenFile:
        """Open for writing, creating or truncating (or appending)."""
        flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
        return self.open(path, flags, mode)

    @contextlib.contextmanager
    def input(self, path: str) -> Iterator[OpenFile]:
        """An open input: ``-`` is stdin (not closed afterwards), anything else is opened."""
        if path == "-":
            yield self.proc.stdin
            return
        file = self.open(path)
        try:
            yield file
        finally:
            file.release()

    def read_input(self, path: str) -> bytes:
        """All of one input (``-`` is stdin); an error ends the utility with ``PATH: reason``."""
        try:
            with self.input(path) as file:
                return file.read()
        except OSError as exc:
            self.fail(f"{path}: {strerror(exc)}")

    def each_input(self, paths: list[str], func: Callable[[str, OpenFile], object], *, what: str = "can't open") -> None:
        """Call ``func(name, file)`` for each operand (stdin when there are none).

        Open failures are reported as ``can't open 'x': ...`` and read failures (a
        directory) as ``read error: ...``; both set the exit status to 1 and go on.
        """
        for path in paths or ["-"]:
            try:
                file = self.proc.stdin if path == "-" else self.open(path)
            except OSError as exc:
                if what == "can't open" and self.name in _PLAIN_OPEN_ERRORS:
                    self.perror(exc, path)
                else:
                    self.perror(exc, f"{what} '{path}'")
                continue
            try:
                func(path, file)
            except OSError as exc:
                if exc.errno not in (errno.EISDIR, errno.EIO, errno.EINVAL):
                    raise
                self.warn(f"read error: {strerror(exc)}")
            finally:
                if path != "-":
                    file.release()

    def check(self) -> None:
        """Act on pending signals (call in long loops)."""
        self.proc.check()


_PLAIN_OPEN_ERRORS = frozenset({
    "head", "cut", "base64", "od", "rev", "nl", "tac", "fold", "expand", "unexpand", "strings", "hexdump", "shuf",
})
"""Utilities whose busybox reports an unreadable operand as ``NAME: FILE: strerror`` (the others say
``can't open 'FILE'``)."""

_DEVICE_NUMBERS = {"/dev/null": (1, 3), "/dev/zero": (1, 5), "/dev/full": (1, 7), "/dev/random": (1, 8), "/dev/urandom": (1, 9)}


def virtual_device_stat(path: str) -> os.stat_result | None:
    """A character-device stat for the sandbox's virtual devices (``None`` for other paths)."""
    if path not in DEVICES:
        return None
    major, minor = _DEVICE_NUMBERS.get(path, (1, 3))
    ns = 0
    return os.stat_result(
        (stat_mod.S_IFCHR | 0o666, minor + 1, 6, 1, 0, 0, 0, 0, 0, 0),
        {"st_rdev": os.makedev(major, minor), "st_atime_ns": ns, "st_mtime_ns": ns, "st_ctime_ns": ns, "st_blksize": 4096, "st_blocks": 0},
    )




def iter_chunks(file: OpenFile, size: int = CHUNK) -> Iterator[bytes]:
    """The file's data in the pieces reads return."""
    while chunk := file.read1(size):
        yield chunk


def iter_records(file: OpenFile, sep: bytes = b"\n") -> Iterator[bytes]:
    """Records with their terminator (the last one may lack it); fast for large inputs."""
    pending = b""
    while chunk := file.read1(CHUNK):
        if pending:
            chunk = pending + chunk
        parts = chunk.split(sep)
        pending = parts.pop()
        for part in parts:
            yield part + sep
    if pending:
        yield pending


def iter_record_blocks(file: OpenFile, sep: bytes = b"\n") -> Iterator[list[bytes]]:
    """The records of the file without terminators, in lists of what each read brought."""
    pending = b""
    while chunk := file.read1(CHUNK):
        records = (pending + chunk).split(sep) if pending else chunk.split(sep)
        pending = records.pop()
        if records:
            yield records
    if pending:
        yield [pending]


def read_records(file: OpenFile, sep: bytes = b"\n") -> list[bytes]:
    """Every record of the file, without terminators (for utilities that need all of them)."""
    data = b"".join(iter_chunks(file))
    if not data:
        return []
    records = data.split(sep)
    if records[-1] == b"":
        records.pop()
    return records


def iter_lines(file: OpenFile) -> Iterator[bytes]:
    """Lines with their newline (the last one may lack it)."""
    return iter_records(file, b"\n")


def chomp(line: bytes, sep: bytes = b"\n") -> bytes:
    """``line`` without its terminator."""
    return line[:-1] if line.endswith(sep) else line






SUFFIXES_KMG = {"b": 512, "k": 1024, "m": 1024**2, "g": 1024**3, "kB": 1000, "KB": 1000, "kD": 1000, "MB": 1000**2,
                "MD": 1000**2, "GB": 1000**3, "GD": 1000**3, "K": 1024, "M": 1024**2, "G": 1024**3}


def parse_size(text: str, suffixes: Mapping[str, int] = SUFFIXES_KMG) -> int:
    """A count with an optional multiplier suffix (``10k``, ``2M``, ``1b``); ``ValueError`` otherwise."""
    for suffix in sorted(suffixes, key=len, reverse=True):
        if text.endswith(suffix) and text[: -len(suffix)].isdigit():
            return int(text[: -len(suffix)]) * suffixes[suffix]
    if not text.isdigit():
        raise ValueError(text)
    return int(text)


def utility(*names: str, usage: str) -> Callable[[Callable[[Util, list[str]], int | None]], Callable]:
    """Register ``func(u, argv)`` as the applet(s) ``names``."""

    def wrap(func: Callable[[Util, list[str]], int | None]) -> Callable:
        def run(proc: Process, argv: list[str]) -> int:
            name = os.path.basename(argv[0]) if argv else names[0]
            u = Util(proc, name, usage)
            if len(argv) == 2 and argv[1] == "--help" and names[0] not in _NO_HELP and not u.builtin:
                u.show_usage()
                return 1 if names[0] == "false" else 0
            try:
                try:
                    status = func(u, argv)
                finally:
                    _flush(u)
            except Exit as exc:
                return exc.status
            return u.status if status is None else status

        run.__name__ = run.__qualname__ = func.__name__
        run.__doc__ = func.__doc__
        applet(*names)(run)
        return func

    return wrap


# utilities for which --help is an ordinary argument
_NO_HELP = {"echo", "[", "[["}


def _flush(u: Util) -> None:
    try:
        u.out.flush()
    except OSError as exc:
        u.out.discard()
        u.error(f"write error: {strerror(exc)}")
        raise Exit(1) from None


def human_size(size: float, unit: int = 1) -> str:
    """busybox's human-readable size: ``6``, ``1.0K``, ``117.7M`` (``unit`` is the size of one count)."""
    value = float(size) * unit
    if value < 1024:
        return f"{int(value)}"
    for suffix in "KMGTPE":
        value /= 1024
        if value < 1024 or suffix == "E":
            return f"{value:.1f}{suffix}"
    return f"{value:.1f}E"


def user_label(proc: Process, uid: int) -> str:
    """The container's name for ``uid``, or the number."""
    return proc.kernel.user_name(uid) or str(uid)


def group_label(proc: Process, gid: int) -> str:
    """The container's name for ``gid``, or the number."""
    return proc.kernel.group_name(gid) or str(gid)
