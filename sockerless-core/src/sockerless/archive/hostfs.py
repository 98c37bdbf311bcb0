""":class:`RootedFileSystem`: an :class:`~.fs.ArchiveFS` over a real directory tree, confined to it.

Paths are resolved one component at a time from a descriptor of the root, each component
opened with ``O_PATH | O_NOFOLLOW`` relative to its parent; symlinks are read and resolved
here (absolute targets from the root, ``..`` clamped at it), never by the kernel. Final
operations are ``*at`` calls on the verified parent with no-follow semantics, so a symlink
swapped in concurrently can make an operation fail but never lead outside the root.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat as stat_mod
from typing import BinaryIO

PATH_FLAGS = os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC
MAX_LINKS = 40


def _error(code: int, path: str) -> OSError:
    return OSError(code, os.strerror(code), path)


class RootedFileSystem:
    """A directory tree seen as a container root: nothing outside ``root`` is reachable."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = os.path.abspath(os.fspath(root))
        self._root_fd = os.open(self.root, PATH_FLAGS | os.O_DIRECTORY)

    def close(self) -> None:
        """Release the root descriptor."""
        if self._root_fd >= 0:
            os.close(self._root_fd)
            self._root_fd = -1

    def __enter__(self) -> RootedFileSystem:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- resolution --------------------------------------------------------------------
    @contextlib.contextmanager
    def _parent(self, path: str, *, follow: bool = False):
        """``(parent directory fd, final name)``; the name is ``None`` for the root itself."""
        fd, name = self._resolve(path, follow)
        try:
            yield fd, name
        finally:
            os.close(fd)

    def _resolve(self, path: str, follow: bool) -> tuple[int, str | None]:
        if self._root_fd < 0:
            raise _error(errno.EBADF, path)
        pending = [p for p in path.split("/") if p and p != "."]
        pending.reverse()
        stack = [os.dup(self._root_fd)]
        links = 0
        try:
            while pending:
                name = pending.pop()
                if name == "..":
                    if len(stack) > 1:
                        os.close(stack.pop())
                    continue
                last = not pending
                try:
                    st = os.stat(name, dir_fd=stack[-1], follow_symlinks=False)
                except FileNotFoundError:
                    if last:
                        return self._keep(stack), name
                    raise _error(errno.ENOENT, path) from None
                if stat_mod.S_ISLNK(st.st_mode) and (follow or not last):
                    links += 1
                    if links > MAX_LINKS:
                        raise _error(errno.ELOOP, path)
                    target = os.readlink(name, dir_fd=stack[-1])
                    if target.startswith("/"):
                        while len(stack) > 1:
                            os.close(stack.pop())
                    parts = [p for p in target.split("/") if p and p != "."]
                    if not parts and last:
                        break
                    pending.extend(reversed(parts))
                    continue
                if last:
                    return self._keep(stack), name
                if not stat_mod.S_ISDIR(st.st_mode):
                    raise _error(errno.ENOTDIR, path)
                stack.append(os.open(name, PATH_FLAGS | os.O_DIRECTORY, dir_fd=stack[-1]))
            return self._keep(stack), None
        except BaseException:
            for fd in stack:
                os.close(fd)
            raise

    @staticmethod
    def _keep(stack: list[int]) -> int:
        top = stack.pop()
        for fd in stack:
            os.close(fd)
        stack.clear()
        return top

    # -- queries -----------------------------------------------------------------------
    def lstat(self, path: str) -> os.stat_result:
        with self._parent(path) as (dfd, name):
            return os.fstat(dfd) if name is None else os.stat(name, dir_fd=dfd, follow_symlinks=False)

    def stat(self, path: str) -> os.stat_result:
        with self._parent(path, follow=True) as (dfd, name):
            return os.fstat(dfd) if name is None else os.stat(name, dir_fd=dfd, follow_symlinks=False)

    def readlink(self, path: str) -> str:
        with self._parent(path) as (dfd, name):
            if name is None:
                raise _error(errno.EINVAL, path)
            return os.readlink(name, dir_fd=dfd)

    def listdir(self, path: str) -> list[str]:
        with self._parent(path, follow=True) as (dfd, name):
            fd = os.open(name or ".", os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dfd)
            try:
                return os.listdir(fd)
            finally:
                os.close(fd)

    def open_read(self, path: str) -> BinaryIO:
        return self._open_regular(path, os.O_RDONLY, "rb")

    def _open_regular(self, path: str, flags: int, how: str, mode: int = 0o644) -> BinaryIO:
        """``path`` opened with ``flags`` when it is a regular file (never a link, device or FIFO)."""
        with self._parent(path) as (dfd, name):
            if name is None:
                raise _error(errno.EISDIR, path)
            fd = os.open(name, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, mode, dir_fd=dfd)
        try:
            if not stat_mod.S_ISREG(os.fstat(fd).st_mode):
                raise _error(errno.EINVAL, path)  # never read or write a device or FIFO
            os.set_blocking(fd, True)
            return os.fdopen(fd, how)
        except BaseException:
            os.close(fd)
            raise

    # -- modification ------------------------------------------------------------------
    def create(self, path: str, mode: int) -> BinaryIO:
        with self._parent(path) as (dfd, name):
            if name is None:
                raise _error(errno.EEXIST, path)
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode, dir_fd=dfd)
        return os.fdopen(fd, "wb")

    def rewrite(self, path: str, mode: int = 0o644) -> BinaryIO:
        """``path`` opened for writing from its start, emptied (created with ``mode`` when missing): a regular
        file only, never through a link. For files a runtime may have bind-mounted (``/etc/resolv.conf``),
        which can be rewritten but not replaced."""
        handle = self._open_regular(path, os.O_WRONLY | os.O_CREAT, "wb", mode)
        handle.truncate(0)
        return handle

    def mkdir(self, path: str, mode: int) -> None:
        with self._parent(path) as (dfd, name):
            if name is None:
                raise _error(errno.EEXIST, path)
            os.mkdir(name, mode, dir_fd=dfd)

    def symlink(self, target: str, path: str) -> None:
        with self._parent(path) as (dfd, name):
            if name is None:
                raise _error(errno.EEXIST, path)
            os.symlink(target, name, dir_fd=dfd)

    def link(self, existing: str, path: str) -> None:
        with self._parent(existing) as (sfd, sname), self._parent(path) as (dfd, dname):
            if sname is None or dname is None:
                raise _error(errno.EPERM, path)
            os.link(sname, dname, src_dir_fd=sfd, dst_dir_fd=dfd, follow_symlinks=False)

    def remove(self, path: str) -> None:
        with self._parent(path) as (dfd, name):
            if name is None:
                raise _error(errno.EBUSY, path)
            _remove_at(dfd, name)

    def chmod(self, path: str, mode: int) -> None:
        with self._parent(path) as (dfd, name):
            fd = os.open(name or ".", PATH_FLAGS, dir_fd=dfd)
            try:
                if not stat_mod.S_ISLNK(os.fstat(fd).st_mode):
                    os.chmod(f"/proc/self/fd/{fd}", mode)
            finally:
                os.close(fd)

    def lchown(self, path: str, uid: int, gid: int) -> None:
        with self._parent(path) as (dfd, name):
            if name is None:
                os.chown(dfd, uid, gid)
            else:
                os.chown(name, uid, gid, dir_fd=dfd, follow_symlinks=False)

    def utime(self, path: str, atime_ns: int, mtime_ns: int) -> None:
        with self._parent(path) as (dfd, name):
            if name is None:
                os.utime(f"/proc/self/fd/{dfd}", ns=(atime_ns, mtime_ns))
            else:
                os.utime(name, ns=(atime_ns, mtime_ns), dir_fd=dfd, follow_symlinks=False)


def _remove_at(dfd: int, name: str) -> None:
    """``rm -rf name`` relative to ``dfd`` without following any symlink."""
    try:
        st = os.stat(name, dir_fd=dfd, follow_symlinks=False)
    except FileNotFoundError:
        return
    if not stat_mod.S_ISDIR(st.st_mode):
        os.unlink(name, dir_fd=dfd)
        return
    fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dfd)
    try:
        for child in os.listdir(fd):
            _remove_at(fd, child)
    finally:
        os.close(fd)
    os.rmdir(name, dir_fd=dfd)
