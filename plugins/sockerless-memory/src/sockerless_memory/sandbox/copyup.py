"""Copy-up: bringing a lower-layer object into the container's upper directory.

Everything acts on descriptors of upper directories the jail resolved, and on names
inside them. A copy-up is made invisible: the copy gets the lower object's mode, owner
(when the daemon runs as root) and times, and is prepared under a hidden name, then
renamed into place without replacing anything, so a reader sees either the lower object
or the complete copy; the times of the upper directory it lands in are put back after.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat as stat_mod
from collections.abc import Iterator

from .layers import Leaf, View
from .union import has_whiteout, is_opaque, rename_noreplace, temp_name

_PATH_FLAGS = os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def _err(code: int, path: str) -> OSError:
    return OSError(code, os.strerror(code), path)


@contextlib.contextmanager
def kept_times(dir_fd: int) -> Iterator[None]:
    """Put the directory's times back after the block (best effort, as a copy-up is no change)."""
    st = os.fstat(dir_fd)
    try:
        yield
    finally:
        try:
            os.utime(f"/proc/self/fd/{dir_fd}", ns=(st.st_atime_ns, st.st_mtime_ns))
        except OSError:
            pass


def _chown_wanted(st: os.stat_result) -> bool:
    return os.geteuid() == 0 and (st.st_uid != os.geteuid() or st.st_gid != os.getegid())


def set_dir_times(fd: int, st: os.stat_result) -> None:
    """Give a copied-up directory (an O_PATH fd) the lower directory's times."""
    os.utime(f"/proc/self/fd/{fd}", ns=(st.st_atime_ns, st.st_mtime_ns))


def copy_up_dir(parent_fd: int, name: str, st: os.stat_result) -> int:
    """Create directory ``name`` like the lower one (not its content); an O_PATH fd of it.

    Its times are left to the caller, which sets them once the whole chain exists (every
    directory created inside another one changes that one's times).
    """
    try:
        os.mkdir(name, 0o700, dir_fd=parent_fd)
        created = True
    except FileExistsError:  # copied up concurrently: use that one
        created = False
    fd = os.open(name, _PATH_FLAGS | os.O_DIRECTORY, dir_fd=parent_fd)  # a swapped-in link fails here
    if created:
        try:
            proc = f"/proc/self/fd/{fd}"
            if _chown_wanted(st):
                os.chown(proc, st.st_uid, st.st_gid)
            os.chmod(proc, stat_mod.S_IMODE(st.st_mode))
        except BaseException:
            os.close(fd)
            raise
    return fd


def copy_up_chain(root_fd: int, root: View, path: str) -> int:
    """Create the directories of ``path`` missing in the upper root, like the lower ones.

    Walks the upper root (``root_fd``) one ``O_NOFOLLOW`` component at a time, so a
    symlink swapped in makes it fail, never leave the root; ``root`` is the merged lower
    root the directories are copied from. Returns an O_PATH fd of the last directory.
    """
    fd = os.dup(root_fd)
    view: View | None = root
    created: list[tuple[int, os.stat_result]] = []
    anchor: tuple[int, os.stat_result] | None = None  # the upper directory the new chain hangs in
    try:
        for part in (p for p in path.split("/") if p):
            below = view.child(part) if view is not None else None
            try:
                nfd = os.open(part, _PATH_FLAGS | os.O_DIRECTORY, dir_fd=fd)
            except FileNotFoundError:
                if not isinstance(below, View) or has_whiteout(fd, part):
                    raise _err(errno.ENOENT, path) from None  # removed meanwhile
                if anchor is None:
                    anchor = (os.dup(fd), os.fstat(fd))
                nfd = copy_up_dir(fd, part, below.st)
                created.append((os.dup(nfd), below.st))
            else:
                if isinstance(below, View) and is_opaque(nfd):
                    below = None
            os.close(fd)
            fd = nfd
            view = below if isinstance(below, View) else None
    except BaseException:
        os.close(fd)
        raise
    finally:
        # deepest first: creating a directory changes the times of the one holding it
        for cfd, st in reversed(created):
            with contextlib.suppress(OSError):
                set_dir_times(cfd, st)
            os.close(cfd)
        if anchor is not None:
            with contextlib.suppress(OSError):
                set_dir_times(anchor[0], anchor[1])
            os.close(anchor[0])
    return fd


def _copy_data(src: int, dst: int) -> None:
    try:
        while os.copy_file_range(src, dst, 1 << 30):
            pass
        return
    except OSError:  # filesystems without copy_file_range
        os.lseek(src, 0, os.SEEK_SET)
        os.lseek(dst, 0, os.SEEK_SET)
        os.ftruncate(dst, 0)
    while chunk := os.read(src, 1 << 20):
        view = memoryview(chunk)
        while view:
            view = view[os.write(dst, view):]


def _set_file_attrs(fd: int, st: os.stat_result) -> None:
    if _chown_wanted(st):
        os.fchown(fd, st.st_uid, st.st_gid)
    os.fchmod(fd, stat_mod.S_IMODE(st.st_mode))  # after chown, which drops set-id bits
    os.utime(fd, ns=(st.st_atime_ns, st.st_mtime_ns))


def _place(dir_fd: int, tmp: str, name: str) -> None:
    """Move a prepared entry to ``name``; a copy that won a race stays, ours goes."""
    try:
        rename_noreplace(dir_fd, tmp, dir_fd, name)
    except FileExistsError:
        os.unlink(tmp, dir_fd=dir_fd)
    except BaseException:
        os.unlink(tmp, dir_fd=dir_fd)
        raise


def copy_up_leaf(dir_fd: int, name: str, leaf: Leaf, *, data: bool = True) -> None:
    """Copy the lower file or symlink ``leaf`` to ``name`` in the upper directory ``dir_fd``.

    With ``data=False`` (an open that truncates) only the metadata is copied.
    """
    st = leaf.st
    with kept_times(dir_fd):
        if stat_mod.S_ISLNK(st.st_mode):
            tmp = temp_name()
            os.symlink(leaf.target or "", tmp, dir_fd=dir_fd)
            try:
                if _chown_wanted(st):
                    os.chown(tmp, st.st_uid, st.st_gid, dir_fd=dir_fd, follow_symlinks=False)
                os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns), dir_fd=dir_fd, follow_symlinks=False)
            except BaseException:
                os.unlink(tmp, dir_fd=dir_fd)
                raise
            _place(dir_fd, tmp, name)
        elif stat_mod.S_ISREG(st.st_mode):
            if not data:
                try:
                    fd = os.open(name, _NEW_FILE, 0o600, dir_fd=dir_fd)
                except FileExistsError:
                    return  # copied up concurrently
                try:
                    _set_file_attrs(fd, st)
                finally:
                    os.close(fd)
                return
            src = leaf.open(os.O_RDONLY)
            try:
                tmp = temp_name()
                fd = os.open(tmp, _NEW_FILE, 0o600, dir_fd=dir_fd)
                try:
                    _copy_data(src, fd)
                    _set_file_attrs(fd, st)
                except BaseException:
                    os.close(fd)
                    os.unlink(tmp, dir_fd=dir_fd)
                    raise
                os.close(fd)
            finally:
                os.close(src)
            _place(dir_fd, tmp, name)
        else:
            raise _err(errno.EACCES, name)  # devices, FIFOs and sockets are not carried up
