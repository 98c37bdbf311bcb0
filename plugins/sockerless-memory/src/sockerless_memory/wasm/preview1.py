"""The ``wasi_snapshot_preview1`` imports, implemented on the sandbox.

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

import fcntl
import os
import stat as stat_mod
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from wasmtime import Caller, Engine, FuncType, Linker, Memory, ValType

from ..sandbox import process as _process
from ..sandbox.signals import ProcessExit
from . import abi
from .abi import WasiError
from .guest import GuestMemory
from .handles import DirHandle, FileHandle, Handle

if TYPE_CHECKING:
    from ..sandbox.process import Process

POLL_SLICE = 0.05
"""Longest single wait of ``poll_oneoff`` on a stream before it looks at the others again."""

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


def _wasi(params: str, results: str = "i"):
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
    for name, (params, results, func) in _IMPORTS.items():
        ty = FuncType([kinds[c] for c in params], [kinds[c] for c in results])
        linker.define_func(abi.MODULE, name, ty, _wrap(func, bool(results)), access_caller=True)


def linker_for(engine: Engine) -> Linker:
    """A linker with the snapshot defined (one per engine, shared by every guest)."""
    linker = Linker(engine)
    define(linker)
    return linker


# arguments and environment
def _sizes(guest: WasiGuest, caller: Caller, items: list[bytes], count_ptr: int, size_ptr: int) -> int:
    mem = guest.mem(caller)
    mem.set_u32(count_ptr, len(items))
    mem.set_u32(size_ptr, sum(len(i) for i in items))
    return abi.SUCCESS


def _strings(guest: WasiGuest, caller: Caller, items: list[bytes], ptrs: int, buf: int) -> int:
    mem = guest.mem(caller)
    for index, item in enumerate(items):
        mem.set_u32(ptrs + 4 * index, buf)
        mem.write(buf, item)
        buf += len(item)
    return abi.SUCCESS


@_wasi("ii")
def args_sizes_get(guest: WasiGuest, caller: Caller, argc: int, size: int) -> int:
    return _sizes(guest, caller, guest.args, argc, size)


@_wasi("ii")
def args_get(guest: WasiGuest, caller: Caller, argv: int, buf: int) -> int:
    return _strings(guest, caller, guest.args, argv, buf)


@_wasi("ii")
def environ_sizes_get(guest: WasiGuest, caller: Caller, count: int, size: int) -> int:
    return _sizes(guest, caller, guest.environ, count, size)


@_wasi("ii")
def environ_get(guest: WasiGuest, caller: Caller, environ: int, buf: int) -> int:
    return _strings(guest, caller, guest.environ, environ, buf)


# clocks, randomness, scheduling, process
def _now(guest: WasiGuest, clock: int) -> int:
    if clock == abi.CLOCK_REALTIME:
        return time.time_ns()
    if clock == abi.CLOCK_MONOTONIC:
        return time.monotonic_ns()
    if clock in (abi.CLOCK_PROCESS_CPUTIME, abi.CLOCK_THREAD_CPUTIME):
        return time.thread_time_ns()  # a sandbox process is one thread
    raise WasiError(abi.EINVAL)


@_wasi("ii")
def clock_res_get(guest: WasiGuest, caller: Caller, clock: int, out: int) -> int:
    _now(guest, clock)
    guest.mem(caller).set_u64(out, 1)
    return abi.SUCCESS


@_wasi("iIi")
def clock_time_get(guest: WasiGuest, caller: Caller, clock: int, precision: int, out: int) -> int:
    guest.mem(caller).set_u64(out, _now(guest, clock))
    return abi.SUCCESS


@_wasi("ii")
def random_get(guest: WasiGuest, caller: Caller, buf: int, length: int) -> int:
    guest.mem(caller).write(buf, os.urandom(length))
    return abi.SUCCESS


@_wasi("")
def sched_yield(guest: WasiGuest, caller: Caller) -> int:
    time.sleep(0)
    guest.proc.check()
    return abi.SUCCESS


@_wasi("i", "")
def proc_exit(guest: WasiGuest, caller: Caller, code: int) -> None:
    raise ProcessExit(code & 0xFF)


@_wasi("i")
def proc_raise(guest: WasiGuest, caller: Caller, signum: int) -> int:
    return abi.ENOSYS  # WASI has no signal handlers to run; the sandbox does not pretend


# sockets: the sandbox has no network stack, and no descriptor is ever a socket
@_wasi("iii")
def sock_accept(guest: WasiGuest, caller: Caller, fd: int, flags: int, out: int) -> int:
    guest.handle(fd)
    return abi.ENOTSOCK


@_wasi("iiiiii")
def sock_recv(guest: WasiGuest, caller: Caller, fd: int, iovs: int, count: int, flags: int, out: int,
              out_flags: int) -> int:
    guest.handle(fd)
    return abi.ENOTSOCK


@_wasi("iiiii")
def sock_send(guest: WasiGuest, caller: Caller, fd: int, iovs: int, count: int, flags: int, out: int) -> int:
    guest.handle(fd)
    return abi.ENOTSOCK


@_wasi("ii")
def sock_shutdown(guest: WasiGuest, caller: Caller, fd: int, how: int) -> int:
    guest.handle(fd)
    return abi.ENOTSOCK


# descriptors
@_wasi("ii")
def fd_prestat_get(guest: WasiGuest, caller: Caller, fd: int, out: int) -> int:
    handle = guest.handle(fd)
    if handle.preopen is None:
        return abi.EBADF
    guest.mem(caller).write(out, abi.PRESTAT.pack(abi.PREOPEN_DIR, len(handle.preopen.encode())))
    return abi.SUCCESS


@_wasi("iii")
def fd_prestat_dir_name(guest: WasiGuest, caller: Caller, fd: int, buf: int, length: int) -> int:
    handle = guest.handle(fd)
    if handle.preopen is None:
        return abi.EBADF
    guest.mem(caller).write(buf, handle.preopen.encode()[:length])
    return abi.SUCCESS


@_wasi("ii")
def fd_fdstat_get(guest: WasiGuest, caller: Caller, fd: int, out: int) -> int:
    handle = guest.handle(fd)
    flags = abi.FDFLAG_APPEND if isinstance(handle, FileHandle) and handle.append else 0
    rights = handle.rights()
    guest.mem(caller).write(out, abi.FDSTAT.pack(handle.filetype, flags, rights, abi.RIGHTS_ALL))
    return abi.SUCCESS


@_wasi("ii")
def fd_fdstat_set_flags(guest: WasiGuest, caller: Caller, fd: int, flags: int) -> int:
    handle = guest.file(fd)
    if flags & ~(abi.FDFLAG_APPEND | abi.FDFLAG_NONBLOCK):
        return abi.ENOTSUP
    if flags & abi.FDFLAG_NONBLOCK:
        return abi.ENOTSUP  # non-blocking streams are not offered: every read waits through the process
    host_fd = handle.fd()
    current = fcntl.fcntl(host_fd, fcntl.F_GETFL)
    wanted = current | os.O_APPEND if flags & abi.FDFLAG_APPEND else current & ~os.O_APPEND
    fcntl.fcntl(host_fd, fcntl.F_SETFL, wanted)
    handle.append = bool(flags & abi.FDFLAG_APPEND)
    return abi.SUCCESS


@_wasi("iII")
def fd_fdstat_set_rights(guest: WasiGuest, caller: Caller, fd: int, base: int, inheriting: int) -> int:
    guest.handle(fd)
    return abi.SUCCESS  # rights only ever shrink; the jail is what confines


@_wasi("i")
def fd_close(guest: WasiGuest, caller: Caller, fd: int) -> int:
    handle = guest.handle(fd)
    del guest.handles[fd]
    handle.close()
    return abi.SUCCESS


@_wasi("ii")
def fd_renumber(guest: WasiGuest, caller: Caller, fd: int, to: int) -> int:
    handle = guest.handle(fd)
    old = guest.handle(to)
    if fd != to:
        old.close()
        guest.handles[to] = handle
        del guest.handles[fd]
    return abi.SUCCESS


def _scatter(caller: Caller, guest: WasiGuest, iovs: int, count: int, data: bytes) -> None:
    mem = guest.mem(caller)
    offset = 0
    for buf, length in mem.iovecs(iovs, count):
        if offset >= len(data):
            break
        part = data[offset:offset + length]
        mem.write(buf, part)
        offset += len(part)


def _gather(caller: Caller, guest: WasiGuest, iovs: int, count: int) -> bytes:
    mem = guest.mem(caller)
    return b"".join(mem.read(buf, length) for buf, length in mem.iovecs(iovs, count))


def _wanted(caller: Caller, guest: WasiGuest, iovs: int, count: int) -> int:
    return sum(length for _, length in guest.mem(caller).iovecs(iovs, count))


@_wasi("iiii")
def fd_read(guest: WasiGuest, caller: Caller, fd: int, iovs: int, count: int, out: int) -> int:
    handle = guest.file(fd)
    if not handle.file.readable:
        return abi.EBADF
    wanted = _wanted(caller, guest, iovs, count)
    data = handle.file.read1(wanted) if wanted else b""
    _scatter(caller, guest, iovs, count, data)
    guest.mem(caller).set_u32(out, len(data))
    return abi.SUCCESS


@_wasi("iiiIi")
def fd_pread(guest: WasiGuest, caller: Caller, fd: int, iovs: int, count: int, offset: int, out: int) -> int:
    handle = guest.file(fd)
    data = os.pread(handle.fd(), _wanted(caller, guest, iovs, count), offset)
    _scatter(caller, guest, iovs, count, data)
    guest.mem(caller).set_u32(out, len(data))
    return abi.SUCCESS


@_wasi("iiii")
def fd_write(guest: WasiGuest, caller: Caller, fd: int, iovs: int, count: int, out: int) -> int:
    handle = guest.file(fd)
    if not handle.file.writable:
        return abi.EBADF
    data = _gather(caller, guest, iovs, count)
    try:
        written = handle.file.write(data) if data else 0
    except BrokenPipeError:
        return abi.EPIPE
    guest.mem(caller).set_u32(out, written)
    return abi.SUCCESS


@_wasi("iiiIi")
def fd_pwrite(guest: WasiGuest, caller: Caller, fd: int, iovs: int, count: int, offset: int, out: int) -> int:
    handle = guest.file(fd)
    written = os.pwrite(handle.fd(), _gather(caller, guest, iovs, count), offset)
    guest.mem(caller).set_u32(out, written)
    return abi.SUCCESS


@_wasi("iIii")
def fd_seek(guest: WasiGuest, caller: Caller, fd: int, offset: int, whence: int, out: int) -> int:
    handle = guest.file(fd)
    if whence not in (os.SEEK_SET, os.SEEK_CUR, os.SEEK_END):
        return abi.EINVAL
    if offset >= 1 << 63:
        offset -= 1 << 64  # the i64 arrives unsigned
    handle.fd()
    position = handle.file.seek(offset, whence)
    guest.mem(caller).set_u64(out, position)
    return abi.SUCCESS


@_wasi("ii")
def fd_tell(guest: WasiGuest, caller: Caller, fd: int, out: int) -> int:
    handle = guest.file(fd)
    handle.fd()
    guest.mem(caller).set_u64(out, handle.file.tell())
    return abi.SUCCESS


@_wasi("i")
def fd_sync(guest: WasiGuest, caller: Caller, fd: int) -> int:
    handle = guest.handle(fd)
    if isinstance(handle, FileHandle):
        handle.file.flush()
        if handle.host_fd is not None and handle.regular:
            os.fsync(handle.host_fd)
    return abi.SUCCESS


@_wasi("i")
def fd_datasync(guest: WasiGuest, caller: Caller, fd: int) -> int:
    return fd_sync(guest, caller, fd)


@_wasi("iIIi")
def fd_advise(guest: WasiGuest, caller: Caller, fd: int, offset: int, length: int, advice: int) -> int:
    guest.file(fd).fd()
    return abi.SUCCESS  # advice only


@_wasi("iII")
def fd_allocate(guest: WasiGuest, caller: Caller, fd: int, offset: int, length: int) -> int:
    handle = guest.file(fd)
    if not handle.file.writable:
        return abi.EBADF
    os.posix_fallocate(handle.fd(), offset, length)
    return abi.SUCCESS


@_wasi("ii")
def fd_filestat_get(guest: WasiGuest, caller: Caller, fd: int, out: int) -> int:
    handle = guest.handle(fd)
    if isinstance(handle, DirHandle):
        record = abi.filestat(guest.fs.stat(handle.path))
    else:
        st = handle.stat()
        record = abi.filestat(st) if st is not None else abi.FILESTAT.pack(0, 0, handle.filetype, 1, 0, 0, 0, 0)
    guest.mem(caller).write(out, record)
    return abi.SUCCESS


@_wasi("iI")
def fd_filestat_set_size(guest: WasiGuest, caller: Caller, fd: int, size: int) -> int:
    handle = guest.file(fd)
    if not handle.file.writable:
        return abi.EBADF  # a read-only descriptor may be an image layer's file
    os.ftruncate(handle.fd(), size)
    return abi.SUCCESS


def _times(guest: WasiGuest, path: str, follow: bool, atim: int, mtim: int, flags: int) -> None:
    """Set times by container path: through the jail, so an image file is copied up first."""
    both_atime = flags & abi.FST_ATIM and flags & abi.FST_ATIM_NOW
    both_mtime = flags & abi.FST_MTIM and flags & abi.FST_MTIM_NOW
    if both_atime or both_mtime:
        raise WasiError(abi.EINVAL)
    st = guest.fs.stat(path, follow=follow)
    now = time.time_ns()
    atime = now if flags & abi.FST_ATIM_NOW else atim if flags & abi.FST_ATIM else st.st_atime_ns
    mtime = now if flags & abi.FST_MTIM_NOW else mtim if flags & abi.FST_MTIM else st.st_mtime_ns
    guest.fs.utime(path, (atime, mtime), follow=follow)


@_wasi("iIIi")
def fd_filestat_set_times(guest: WasiGuest, caller: Caller, fd: int, atim: int, mtim: int, flags: int) -> int:
    handle = guest.handle(fd)
    path = handle.path if isinstance(handle, (DirHandle, FileHandle)) else ""
    if not path:
        return abi.EBADF
    _times(guest, path, True, atim, mtim, flags)
    return abi.SUCCESS


@_wasi("iiiIi")
def fd_readdir(guest: WasiGuest, caller: Caller, fd: int, buf: int, length: int, cookie: int, out: int) -> int:
    handle = guest.directory(fd)
    entries = handle.listing(guest.fs, refresh=cookie == 0)
    chunks: list[bytes] = []
    used = 0
    for index in range(cookie, len(entries)):
        if used >= length:
            break
        name, inode, kind = entries[index]
        record = abi.DIRENT.pack(index + 1, inode, len(name), kind) + name
        chunks.append(record)
        used += len(record)
    data = b"".join(chunks)[:length]  # a truncated last entry tells the guest to ask again
    mem = guest.mem(caller)
    mem.write(buf, data)
    mem.set_u32(out, len(data))
    return abi.SUCCESS


# paths
def _path(guest: WasiGuest, caller: Caller, fd: int, ptr: int, length: int) -> tuple[DirHandle, str]:
    base = guest.directory(fd)
    path = guest.mem(caller).string(ptr, length)
    if not path or "\0" in path:
        raise WasiError(abi.EINVAL if path else abi.ENOENT)
    return base, base.child(path)


@_wasi("iii")
def path_create_directory(guest: WasiGuest, caller: Caller, fd: int, ptr: int, length: int) -> int:
    _, path = _path(guest, caller, fd, ptr, length)
    guest.fs.mkdir(path, 0o777 & ~guest.proc.umask)
    return abi.SUCCESS


@_wasi("iiiii")
def path_filestat_get(guest: WasiGuest, caller: Caller, fd: int, flags: int, ptr: int, length: int, out: int) -> int:
    _, path = _path(guest, caller, fd, ptr, length)
    st = guest.fs.stat(path, follow=bool(flags & abi.LOOKUP_SYMLINK_FOLLOW))
    guest.mem(caller).write(out, abi.filestat(st))
    return abi.SUCCESS


@_wasi("iiiiIIi")
def path_filestat_set_times(guest: WasiGuest, caller: Caller, fd: int, flags: int, ptr: int, length: int,
                            atim: int, mtim: int, fst: int) -> int:
    _, path = _path(guest, caller, fd, ptr, length)
    _times(guest, path, bool(flags & abi.LOOKUP_SYMLINK_FOLLOW), atim, mtim, fst)
    return abi.SUCCESS


@_wasi("iiiiiii")
def path_link(guest: WasiGuest, caller: Caller, old_fd: int, flags: int, old_ptr: int, old_len: int,
              new_fd: int, new_ptr: int, new_len: int) -> int:
    _, old = _path(guest, caller, old_fd, old_ptr, old_len)
    _, new = _path(guest, caller, new_fd, new_ptr, new_len)
    if flags & abi.LOOKUP_SYMLINK_FOLLOW:
        old = guest.fs.realpath(old)
    guest.fs.link(old, new)
    return abi.SUCCESS


@_wasi("iiiiiIIii")
def path_open(guest: WasiGuest, caller: Caller, fd: int, dirflags: int, ptr: int, length: int, oflags: int,
              rights: int, inheriting: int, fdflags: int, out: int) -> int:
    _, path = _path(guest, caller, fd, ptr, length)
    follow = bool(dirflags & abi.LOOKUP_SYMLINK_FOLLOW)
    write = bool(rights & abi.RIGHTS_WRITE)
    read = bool(rights & abi.RIGHT_FD_READ) or not write
    fs = guest.fs
    if oflags & abi.O_DIRECTORY or not oflags & abi.O_CREAT:
        try:
            st = fs.stat(path, follow=follow)
        except FileNotFoundError:
            if oflags & abi.O_DIRECTORY:
                raise
            st = None
        if st is not None and stat_mod.S_ISDIR(st.st_mode):
            if write or oflags & (abi.O_TRUNC | abi.O_EXCL):
                return abi.EISDIR if write else abi.ERRNO["exist"] if oflags & abi.O_EXCL else abi.EISDIR
            handle: Handle = DirHandle(fs.realpath(path))
            guest.mem(caller).set_u32(out, guest.install(handle))
            return abi.SUCCESS
        if oflags & abi.O_DIRECTORY:
            return abi.ENOTDIR if st is None or not stat_mod.S_ISLNK(st.st_mode) else abi.ERRNO["loop"]
    flags = os.O_RDWR if read and write else os.O_WRONLY if write else os.O_RDONLY
    flags |= os.O_CREAT if oflags & abi.O_CREAT else 0
    flags |= os.O_EXCL if oflags & abi.O_EXCL else 0
    flags |= os.O_TRUNC if oflags & abi.O_TRUNC else 0
    flags |= os.O_APPEND if fdflags & abi.FDFLAG_APPEND else 0
    flags |= 0 if follow else os.O_NOFOLLOW
    file = guest.proc.open(path, flags, 0o666)
    handle = FileHandle(file, path)
    handle.append = bool(fdflags & abi.FDFLAG_APPEND)
    guest.mem(caller).set_u32(out, guest.install(handle))
    return abi.SUCCESS


@_wasi("iiiiii")
def path_readlink(guest: WasiGuest, caller: Caller, fd: int, ptr: int, length: int, buf: int, buf_len: int,
                  out: int) -> int:
    _, path = _path(guest, caller, fd, ptr, length)
    target = os.fsencode(guest.fs.readlink(path))[:buf_len]
    mem = guest.mem(caller)
    mem.write(buf, target)
    mem.set_u32(out, len(target))
    return abi.SUCCESS


@_wasi("iii")
def path_remove_directory(guest: WasiGuest, caller: Caller, fd: int, ptr: int, length: int) -> int:
    _, path = _path(guest, caller, fd, ptr, length)
    guest.fs.rmdir(path)
    return abi.SUCCESS


@_wasi("iiiiii")
def path_rename(guest: WasiGuest, caller: Caller, fd: int, old_ptr: int, old_len: int, new_fd: int,
                new_ptr: int, new_len: int) -> int:
    _, old = _path(guest, caller, fd, old_ptr, old_len)
    _, new = _path(guest, caller, new_fd, new_ptr, new_len)
    guest.fs.rename(old, new)
    return abi.SUCCESS


@_wasi("iiiii")
def path_symlink(guest: WasiGuest, caller: Caller, old_ptr: int, old_len: int, fd: int, ptr: int,
                 length: int) -> int:
    target = guest.mem(caller).string(old_ptr, old_len)
    _, path = _path(guest, caller, fd, ptr, length)
    guest.fs.symlink(target, path)
    return abi.SUCCESS


@_wasi("iii")
def path_unlink_file(guest: WasiGuest, caller: Caller, fd: int, ptr: int, length: int) -> int:
    _, path = _path(guest, caller, fd, ptr, length)
    guest.fs.unlink(path)
    return abi.SUCCESS


# waiting
@_wasi("iiii")
def poll_oneoff(guest: WasiGuest, caller: Caller, subs: int, events: int, count: int, out: int) -> int:
    if count == 0:
        return abi.EINVAL
    mem = guest.mem(caller)
    raw = mem.read(subs, abi.SUBSCRIPTION.size * count)
    clocks: list[tuple[int, float]] = []  # (userdata, monotonic deadline)
    streams: list[tuple[int, int, FileHandle | None, int]] = []  # (userdata, type, handle, errno)
    for index in range(count):
        userdata, tag, ident, timeout, _precision, flags = abi.SUBSCRIPTION.unpack_from(raw, index * abi.SUBSCRIPTION.size)
        if tag == abi.EVENT_CLOCK:
            clocks.append((userdata, _deadline(guest, ident, timeout, flags)))
        elif tag in (abi.EVENT_FD_READ, abi.EVENT_FD_WRITE):
            handle = guest.handles.get(ident)
            if isinstance(handle, FileHandle):
                streams.append((userdata, tag, handle, abi.SUCCESS))
            else:
                streams.append((userdata, tag, None, abi.EBADF))
        else:
            return abi.EINVAL
    ready = _wait(guest, clocks, streams)
    mem = guest.mem(caller)  # the same memory: nothing ran in the guest meanwhile
    for index, record in enumerate(ready):
        mem.write(events + index * abi.EVENT.size, record)
    mem.set_u32(out, len(ready))
    return abi.SUCCESS


def _deadline(guest: WasiGuest, clock: int, timeout: int, flags: int) -> float:
    if flags & abi.SUBCLOCK_ABSTIME:
        timeout = max(0, timeout - _now(guest, clock))
    return time.monotonic() + timeout / 1e9


def _wait(guest: WasiGuest, clocks: list[tuple[int, float]],
          streams: list[tuple[int, int, FileHandle | None, int]]) -> list[bytes]:
    """Block (interruptibly) until a stream is ready or the first clock expires: the events."""
    proc = guest.proc
    first = min((deadline for _, deadline in clocks), default=None)
    while True:
        ready = [abi.EVENT.pack(userdata, error, kind, 0, 0) for userdata, kind, handle, error in streams
                 if handle is None or kind == abi.EVENT_FD_WRITE or handle.regular
                 or handle.file.wait_readable(0)]
        if ready:
            return ready
        now = time.monotonic()
        if first is not None and now >= first:
            return [abi.EVENT.pack(userdata, 0, abi.EVENT_CLOCK, 0, 0) for userdata, deadline in clocks
                    if deadline <= now]
        remaining = None if first is None else first - now
        if not streams:
            proc.sleep(remaining if remaining is not None else POLL_SLICE)
            continue
        pause = POLL_SLICE if remaining is None else min(POLL_SLICE, remaining)
        readers = [handle for _, kind, handle, _ in streams if handle is not None and kind == abi.EVENT_FD_READ]
        readers[0].file.wait_readable(pause)
        _process.check()
