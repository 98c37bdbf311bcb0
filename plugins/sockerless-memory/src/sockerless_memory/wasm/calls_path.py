"""WASI imports on paths (``path_*``): every one goes through the container's root jail."""

from __future__ import annotations

import os
import stat as stat_mod
import time

from wasmtime import Caller

from . import abi
from .abi import WasiError
from .handles import DirHandle, FileHandle, Handle
from .preview1 import WasiGuest, wasi_import


def set_times(guest: WasiGuest, path: str, follow: bool, atim: int, mtim: int, flags: int) -> None:
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


# paths
def _path(guest: WasiGuest, caller: Caller, fd: int, ptr: int, length: int) -> tuple[DirHandle, str]:
    base = guest.directory(fd)
    path = guest.mem(caller).string(ptr, length)
    if not path or "\0" in path:
        raise WasiError(abi.EINVAL if path else abi.ENOENT)
    return base, base.child(path)


@wasi_import("iii")
def path_create_directory(guest: WasiGuest, caller: Caller, fd: int, ptr: int, length: int) -> int:
    _, path = _path(guest, caller, fd, ptr, length)
    guest.fs.mkdir(path, 0o777 & ~guest.proc.umask)
    return abi.SUCCESS


@wasi_import("iiiii")
def path_filestat_get(guest: WasiGuest, caller: Caller, fd: int, flags: int, ptr: int, length: int, out: int) -> int:
    _, path = _path(guest, caller, fd, ptr, length)
    st = guest.fs.stat(path, follow=bool(flags & abi.LOOKUP_SYMLINK_FOLLOW))
    guest.mem(caller).write(out, abi.filestat(st))
    return abi.SUCCESS


@wasi_import("iiiiIIi")
def path_filestat_set_times(guest: WasiGuest, caller: Caller, fd: int, flags: int, ptr: int, length: int,
                            atim: int, mtim: int, fst: int) -> int:
    _, path = _path(guest, caller, fd, ptr, length)
    set_times(guest, path, bool(flags & abi.LOOKUP_SYMLINK_FOLLOW), atim, mtim, fst)
    return abi.SUCCESS


@wasi_import("iiiiiii")
def path_link(guest: WasiGuest, caller: Caller, old_fd: int, flags: int, old_ptr: int, old_len: int,
              new_fd: int, new_ptr: int, new_len: int) -> int:
    _, old = _path(guest, caller, old_fd, old_ptr, old_len)
    _, new = _path(guest, caller, new_fd, new_ptr, new_len)
    if flags & abi.LOOKUP_SYMLINK_FOLLOW:
        old = guest.fs.realpath(old)
    guest.fs.link(old, new)
    return abi.SUCCESS


@wasi_import("iiiiiIIii")
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


@wasi_import("iiiiii")
def path_readlink(guest: WasiGuest, caller: Caller, fd: int, ptr: int, length: int, buf: int, buf_len: int,
                  out: int) -> int:
    _, path = _path(guest, caller, fd, ptr, length)
    target = os.fsencode(guest.fs.readlink(path))[:buf_len]
    mem = guest.mem(caller)
    mem.write(buf, target)
    mem.set_u32(out, len(target))
    return abi.SUCCESS


@wasi_import("iii")
def path_remove_directory(guest: WasiGuest, caller: Caller, fd: int, ptr: int, length: int) -> int:
    _, path = _path(guest, caller, fd, ptr, length)
    guest.fs.rmdir(path)
    return abi.SUCCESS


@wasi_import("iiiiii")
def path_rename(guest: WasiGuest, caller: Caller, fd: int, old_ptr: int, old_len: int, new_fd: int,
                new_ptr: int, new_len: int) -> int:
    _, old = _path(guest, caller, fd, old_ptr, old_len)
    _, new = _path(guest, caller, new_fd, new_ptr, new_len)
    guest.fs.rename(old, new)
    return abi.SUCCESS


@wasi_import("iiiii")
def path_symlink(guest: WasiGuest, caller: Caller, old_ptr: int, old_len: int, fd: int, ptr: int,
                 length: int) -> int:
    target = guest.mem(caller).string(old_ptr, old_len)
    _, path = _path(guest, caller, fd, ptr, length)
    guest.fs.symlink(target, path)
    return abi.SUCCESS


@wasi_import("iii")
def path_unlink_file(guest: WasiGuest, caller: Caller, fd: int, ptr: int, length: int) -> int:
    _, path = _path(guest, caller, fd, ptr, length)
    guest.fs.unlink(path)
    return abi.SUCCESS


