"""The ``wasi_snapshot_preview1`` imports, implemented on the sandbox: the guest's state and
the registry. The imports themselves are in ``calls_process`` (arguments, environment,
clocks, exit, sockets), ``calls_fd`` (descriptors), ``calls_path`` (paths) and
``calls_poll`` (``poll_oneoff``).

Every import is a host function of one shared :class:`wasmtime.Linker`. A call finds the
guest it serves through :func:`active` (the guest runs on its sandbox process's thread)
and acts through the sandbox: standard streams are the process's open files (pipes of
our shell, the container's streams, a terminal), files and directories go through the
container's root jail (:class:`~sockerless_memory.sandbox.fs.FileSystem`: the union of
image layers and upper directory, the mounts, the confinement), and every blocking wait
(reads, sleeps, ``poll_oneoff``) waits through the process, so signals end it.

What WASI offers and the sandbox cannot do (sockets, signals raised by the guest) is
refused with an errno, never pretended.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from wasmtime import Caller, Engine, FuncType, Linker, Memory, ValType

from . import abi
from .abi import WasiError
from .guest import GuestMemory
from .handles import DirHandle, FileHandle, Handle

if TYPE_CHECKING:
    from ..sandbox.process import Process

_local = threading.local()


class WasiGuest:
    """The WASI state of one running module: its descriptors, arguments and environment."""

    def __init__(self, proc: Process, argv: list[str], env: dict[str, str]) -> None:
        self.proc = proc
        self.fs = proc.kernel.fs
        self.args = [os.fsencode(a) + b"\0" for a in argv]
        self.environ = [os.fsencode(f"{k}={v}") + b"\0" for k, v in env.items()]
        self.handles: dict[int, Handle] = {}
        for number in (0, 1, 2):
            file = proc.fds.get(number)
            if file is not None:
                self.handles[number] = FileHandle(file.acquire())
        self.handles[3] = DirHandle("/", preopen="/")
        for target in self.fs.mount_targets:  # volumes and binds: also preopened under their own names
            if self.fs.is_dir(target):
                self.install(DirHandle(self.fs.realpath(target), preopen=target))
        self.memory: Memory | None = None
        self.abort: BaseException | None = None
        """What ended the guest from the host side (exit, signal, a bug): re-raised by the runner."""

    # -- descriptors -----------------------------------------------------------------------
    def handle(self, fd: int) -> Handle:
        """The descriptor ``fd`` (``EBADF`` when it is not open)."""
        try:
            return self.handles[fd]
        except KeyError:
            raise WasiError(abi.EBADF) from None

    def file(self, fd: int) -> FileHandle:
        """A non-directory descriptor."""
        handle = self.handle(fd)
        if not isinstance(handle, FileHandle):
            raise WasiError(abi.EISDIR)
        return handle

    def directory(self, fd: int) -> DirHandle:
        """A directory descriptor (the base of a path operation)."""
        handle = self.handle(fd)
        if not isinstance(handle, DirHandle):
            raise WasiError(abi.ENOTDIR)
        return handle

    def install(self, handle: Handle) -> int:
        """Give ``handle`` the lowest free descriptor number."""
        fd = 0
        while fd in self.handles:
            fd += 1
        self.handles[fd] = handle
        return fd

    def close(self) -> None:
        """Release every descriptor (the module has ended)."""
        handles, self.handles = self.handles, {}
        for handle in handles.values():
            handle.close()

    def mem(self, caller: Caller) -> GuestMemory:
        """The caller's linear memory for this call."""
        if self.memory is None:
            memory = caller.get("memory")
            if not isinstance(memory, Memory):
                raise WasiError(abi.EFAULT)
            self.memory = memory
        return GuestMemory(caller, self.memory)


def active() -> WasiGuest:
    """The guest running on this thread."""
    guest = getattr(_local, "guest", None)
    if guest is None:
        raise RuntimeError("a WASI host function was called outside of a sandbox guest")
    return guest


class running:
    """Context manager: ``guest`` is the active guest of this thread."""

    def __init__(self, guest: WasiGuest) -> None:
        self.guest = guest
        self.previous: WasiGuest | None = None

    def __enter__(self) -> WasiGuest:
        self.previous = getattr(_local, "guest", None)
        _local.guest = self.guest
        return self.guest

    def __exit__(self, *exc: object) -> None:
        _local.guest = self.previous


# -- the imports ---------------------------------------------------------------------------
_IMPORTS: dict[str, tuple[str, str, Callable[..., int | None]]] = {}


def wasi_import(params: str, results: str = "i"):
    """Register a WASI import: ``params``/``results`` spell the wasm types (i: i32, I: i64)."""

    def register(func: Callable[..., int | None]) -> Callable[..., int | None]:
        _IMPORTS[func.__name__] = (params, results, func)
        return func

    return register


def _wrap(func: Callable[..., int | None], returns: bool) -> Callable[..., int | None]:
    def call(caller: Caller, *args: int) -> int | None:
        guest = active()
        try:
            result = func(guest, caller, *args)
            return result if returns else None
        except WasiError as exc:
            return exc.code
        except OSError as exc:
            return abi.errno_of(exc)
        except BaseException as exc:  # exit, signals, bugs: the guest ends, the runner re-raises
            guest.abort = exc
            raise

    return call


def define(linker: Linker) -> None:
    """Define every import of the snapshot on ``linker``."""
    kinds = {"i": ValType.i32(), "I": ValType.i64()}
    from . import calls_fd, calls_path, calls_poll, calls_process  # noqa: F401 - they register the imports

    for name, (params, results, func) in _IMPORTS.items():
        ty = FuncType([kinds[c] for c in params], [kinds[c] for c in results])
        linker.define_func(abi.MODULE, name, ty, _wrap(func, bool(results)), access_caller=True)


def linker_for(engine: Engine) -> Linker:
    """A linker with the snapshot defined (one per engine, shared by every guest)."""
    linker = Linker(engine)
    define(linker)
    return linker
