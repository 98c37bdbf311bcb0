"""WASI imports on descriptors: stdio, files, directories (``fd_*``)."""

from __future__ import annotations

import fcntl
import os

from wasmtime import Caller

from . import abi
from .calls_path import set_times
from .handles import DirHandle, FileHandle
from .preview1 import WasiGuest, wasi_import


# descriptors
@wasi_import("ii")
def fd_prestat_get(guest: WasiGuest, caller: Caller, fd: int, out: int) -> int:
    handle = guest.handle(fd)
    if handle.preopen is None:
        return abi.EBADF
    guest.mem(caller).write(out, abi.PRESTAT.pack(abi.PREOPEN_DIR, len(handle.preopen.encode())))
    return abi.SUCCESS


@wasi_import("iii")
def fd_prestat_dir_name(guest: WasiGuest, caller: Caller, fd: int, buf: int, length: int) -> int:
    handle = guest.handle(fd)
    if handle.preopen is None:
        return abi.EBADF
    guest.mem(caller).write(buf, handle.preopen.encode()[:length])
    return abi.SUCCESS


@wasi_import("ii")
def fd_fdstat_get(guest: WasiGuest, caller: Caller, fd: int, out: int) -> int:
    handle = guest.handle(fd)
    flags = abi.FDFLAG_APPEND if isinstance(handle, FileHandle) and handle.append else 0
    rights = handle.rights()
    guest.mem(caller).write(out, abi.FDSTAT.pack(handle.filetype, flags, rights, abi.RIGHTS_ALL))
    return abi.SUCCESS


@wasi_import("ii")
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


@wasi_import("iII")
def fd_fdstat_set_rights(guest: WasiGuest, caller: Caller, fd: int, base: int, inheriting: int) -> int:
    guest.handle(fd)
    return abi.SUCCESS  # rights only ever shrink; the jail is what confines


@wasi_import("i")
def fd_close(guest: WasiGuest, caller: Caller, fd: int) -> int:
    handle = guest.handle(fd)
    del guest.handles[fd]
    handle.close()
    return abi.SUCCESS


@wasi_import("ii")
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


@wasi_import("iiii")
def fd_read(guest: WasiGuest, caller: Caller, fd: int, iovs: int, count: int, out: int) -> int:
    handle = guest.file(fd)
    if not handle.file.readable:
        return abi.EBADF
    wanted = _wanted(caller, guest, iovs, count)
    data = handle.file.read1(wanted) if wanted else b""
    _scatter(caller, guest, iovs, count, data)
    guest.mem(caller).set_u32(out, len(data))
    return abi.SUCCESS


@wasi_import("iiiIi")
def fd_pread(guest: WasiGuest, caller: Caller, fd: int, iovs: int, count: int, offset: int, out: int) -> int:
    handle = guest.file(fd)
    data = os.pread(handle.fd(), _wanted(caller, guest, iovs, count), offset)
    _scatter(caller, guest, iovs, count, data)
    guest.mem(caller).set_u32(out, len(data))
    return abi.SUCCESS


@wasi_import("iiii")
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


@wasi_import("iiiIi")
def fd_pwrite(guest: WasiGuest, caller: Caller, fd: int, iovs: int, count: int, offset: int, out: int) -> int:
    handle = guest.file(fd)
    written = os.pwrite(handle.fd(), _gather(caller, guest, iovs, count), offset)
    guest.mem(caller).set_u32(out, written)
    return abi.SUCCESS


@wasi_import("iIii")
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


@wasi_import("ii")
def fd_tell(guest: WasiGuest, caller: Caller, fd: int, out: int) -> int:
    handle = guest.file(fd)
    handle.fd()
    guest.mem(caller).set_u64(out, handle.file.tell())
    return abi.SUCCESS


@wasi_import("i")
def fd_sync(guest: WasiGuest, caller: Caller, fd: int) -> int:
    handle = guest.handle(fd)
    if isinstance(handle, FileHandle):
        handle.file.flush()
        if handle.host_fd is not None and handle.regular:
            os.fsync(handle.host_fd)
    return abi.SUCCESS


@wasi_import("i")
def fd_datasync(guest: WasiGuest, caller: Caller, fd: int) -> int:
    return fd_sync(guest, caller, fd)


@wasi_import("iIIi")
def fd_advise(guest: WasiGuest, caller: Caller, fd: int, offset: int, length: int, advice: int) -> int:
    guest.file(fd).fd()
    return abi.SUCCESS  # advice only


@wasi_import("iII")
def fd_allocate(guest: WasiGuest, caller: Caller, fd: int, offset: int, length: int) -> int:
    handle = guest.file(fd)
    if not handle.file.writable:
        return abi.EBADF
    os.posix_fallocate(handle.fd(), offset, length)
    return abi.SUCCESS


@wasi_import("ii")
def fd_filestat_get(guest: WasiGuest, caller: Caller, fd: int, out: int) -> int:
    handle = guest.handle(fd)
    if isinstance(handle, DirHandle):
        record = abi.filestat(guest.fs.stat(handle.path))
    else:
        st = handle.stat()
        record = abi.filestat(st) if st is not None else abi.FILESTAT.pack(0, 0, handle.filetype, 1, 0, 0, 0, 0)
    guest.mem(caller).write(out, record)
    return abi.SUCCESS


@wasi_import("iI")
def fd_filestat_set_size(guest: WasiGuest, caller: Caller, fd: int, size: int) -> int:
    handle = guest.file(fd)
    if not handle.file.writable:
        return abi.EBADF  # a read-only descriptor may be an image layer's file
    os.ftruncate(handle.fd(), size)
    return abi.SUCCESS


@wasi_import("iIIi")
def fd_filestat_set_times(guest: WasiGuest, caller: Caller, fd: int, atim: int, mtim: int, flags: int) -> int:
    handle = guest.handle(fd)
    path = handle.path if isinstance(handle, (DirHandle, FileHandle)) else ""
    if not path:
        return abi.EBADF
    set_times(guest, path, True, atim, mtim, flags)
    return abi.SUCCESS


@wasi_import("iiiIi")
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


