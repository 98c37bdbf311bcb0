"""The root jail: every file operation of the sandbox goes through :class:`FileSystem`.

Paths are *container* paths. They are resolved one component at a time, starting from a
directory file descriptor of the container root, opening each component with
``O_PATH | O_NOFOLLOW`` relative to its parent. The kernel is never asked to follow a
symlink: links are read and resolved here, absolute targets from the container root and
``..`` clamped at it, so a link swapped in concurrently can at worst make an operation
fail, never reach outside the root. Final operations use ``*at`` calls on the resolved
parent directory with no-follow semantics, or act on an ``O_PATH`` descriptor of the
verified object through ``/proc/self/fd``.

Bind mounts and volumes are entries of the mount table: when resolution reaches a mount
point it continues in the mounted host directory, so a mount appears at its mount point
and nowhere else. Device nodes, sockets and FIFOs found inside the root are refused: a
tar entry or a host bind can never open a host device.
"""

from __future__ import annotations

import errno
import os
import stat as stat_mod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

MAX_SYMLINKS = 40


def _daemon_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# The host applies the daemon's umask on top of the container process's; modes the
# sandbox asked for are restored with an explicit chmod when the two differ.
DAEMON_UMASK = _daemon_umask()
_PATH_FLAGS = os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def _err(code: int, path: str) -> OSError:
    return OSError(code, os.strerror(code), path)


def normpath(path: str, cwd: str = "/") -> str:
    """Lexically normalise a container path against ``cwd`` (no symlink resolution)."""
    if not path.startswith("/"):
        path = (cwd.rstrip("/") or "") + "/" + path
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/" + "/".join(parts)


@dataclass(frozen=True)
class Mount:
    """A host directory mounted at ``target`` (a normalised container path)."""

    target: str
    source: str
    readonly: bool = False


class _Dir:
    """A directory on the resolution stack: an O_PATH fd, its container path, its mount."""

    __slots__ = ("fd", "mount", "owned", "path")

    def __init__(self, fd: int, path: str, mount: _MountPoint, owned: bool) -> None:
        self.fd = fd
        self.path = path
        self.mount = mount
        self.owned = owned


class _MountPoint:
    __slots__ = ("fd", "readonly", "target")

    def __init__(self, target: str, fd: int, readonly: bool) -> None:
        self.target = target
        self.fd = fd
        self.readonly = readonly


@dataclass
class Resolved:
    """Result of resolving a path: the parent directory fd and the final name in it.

    ``name`` is ``None`` when the path denotes a directory that is itself on the stack
    (the root, a mount point, or a path ending in ``..``/``.``); then ``dir_fd`` is that
    directory.
    """

    dir_fd: int
    name: str | None
    path: str
    readonly: bool
    mount_target: str
    is_mount_point: bool


class FileSystem:
    """A container's file namespace: its root directory plus its mount table."""

    def __init__(self, root: str, mounts: Sequence[Mount] = ()) -> None:
        self.root = os.path.abspath(root)
        self._root = _MountPoint("/", os.open(self.root, _PATH_FLAGS | os.O_DIRECTORY), False)
        self._mounts: dict[str, _MountPoint] = {}
        for mount in mounts:
            self.add_mount(mount)

    # -- mount table -------------------------------------------------------------------
    def add_mount(self, mount: Mount) -> None:
        """Mount a host directory (or file) at a container path."""
        target = normpath(mount.target)
        fd = os.open(mount.source, os.O_PATH | os.O_CLOEXEC)
        old = self._mounts.pop(target, None)
        if old is not None:
            os.close(old.fd)
        self._mounts[target] = _MountPoint(target, fd, mount.readonly)

    @property
    def mount_targets(self) -> list[str]:
        """Container paths that have something mounted on them."""
        return sorted(self._mounts)

    def close(self) -> None:
        """Release the directory descriptors held by the jail."""
        for mount in self._mounts.values():
            os.close(mount.fd)
        self._mounts.clear()
        if self._root.fd >= 0:
            os.close(self._root.fd)
            self._root.fd = -1

    # -- resolution --------------------------------------------------------------------
    def _push_mount_or_child(self, stack: list[_Dir], name: str) -> tuple[int, bool]:
        """Open ``name`` inside the top of ``stack``; returns (fd, is_mount_point)."""
        top = stack[-1]
        path = (top.path.rstrip("/") + "/" + name) if top.path != "/" else "/" + name
        mount = self._mounts.get(path)
        if mount is not None:
            return os.dup(mount.fd), True
        return os.open(name, _PATH_FLAGS, dir_fd=top.fd), False

    def resolve(self, path: str, cwd: str = "/", *, follow: bool = True) -> Resolved:
        """Resolve ``path`` inside the jail.

        Every intermediate component must be a directory (or a symlink to one). The final
        component is followed when it is a symlink and ``follow`` is true. The final
        component need not exist.
        """
        if not path:
            raise _err(errno.ENOENT, path)
        stack = [_Dir(self._root.fd, "/", self._root, False)]
        try:
            return self._walk(stack, path, cwd, follow)
        finally:
            for entry in stack:
                if entry.owned:
                    os.close(entry.fd)

    def _walk(self, stack: list[_Dir], path: str, cwd: str, follow: bool) -> Resolved:
        pending = _components(path if path.startswith("/") else cwd.rstrip("/") + "/" + path)
        pending.reverse()  # used as a stack: next component at the end
        links = 0
        while pending:
            name = pending.pop()
            if name == "..":
                if len(stack) > 1:
                    entry = stack.pop()
                    if entry.owned:
                        os.close(entry.fd)
                continue
            last = not pending
            top = stack[-1]
            try:
                fd, at_mount = self._push_mount_or_child(stack, name)
            except FileNotFoundError:
                if last:
                    return self._resolved(stack, name)
                raise _err(errno.ENOENT, path) from None
            try:
                st = os.fstat(fd)
            except OSError:
                os.close(fd)
                raise
            if stat_mod.S_ISLNK(st.st_mode) and (follow or not last):
                os.close(fd)
                links += 1
                if links > MAX_SYMLINKS:
                    raise _err(errno.ELOOP, path)
                target = os.readlink(name, dir_fd=top.fd)
                if target.startswith("/"):
                    while len(stack) > 1:
                        entry = stack.pop()
                        if entry.owned:
                            os.close(entry.fd)
                parts = _components(target)
                pending.extend(reversed(parts))
                if not parts and last:
                    return self._resolved(stack, None)
                continue
            if last:
                if at_mount:
                    child_path = _join(top.path, name)
                    stack.append(_Dir(fd, child_path, self._mounts[child_path], True))
                    return self._resolved(stack, None, mount_point=True)
                os.close(fd)
                return self._resolved(stack, name)
            if not stat_mod.S_ISDIR(st.st_mode):
                os.close(fd)
                raise _err(errno.ENOTDIR, path)
            child_path = _join(top.path, name)
            mount = self._mounts[child_path] if at_mount else top.mount
            stack.append(_Dir(fd, child_path, mount, True))
        return self._resolved(stack, None, mount_point=stack[-1].mount.target == stack[-1].path)

    def _resolved(self, stack: list[_Dir], name: str | None, *, mount_point: bool = False) -> Resolved:
        top = stack[-1]
        fd = os.dup(top.fd)
        path = _join(top.path, name) if name is not None else top.path
        return Resolved(fd, name, path, top.mount.readonly, top.mount.target, mount_point)

    def _open_path(self, path: str, cwd: str, follow: bool) -> tuple[int, Resolved]:
        """An O_PATH fd of the object itself (which must exist) plus its resolution."""
        res = self.resolve(path, cwd, follow=follow)
        try:
            if res.name is None:
                return os.dup(res.dir_fd), res
            return os.open(res.name, _PATH_FLAGS, dir_fd=res.dir_fd), res
        except BaseException:
            os.close(res.dir_fd)
            raise

    # -- queries -----------------------------------------------------------------------
    def realpath(self, path: str, cwd: str = "/") -> str:
        """The canonical container path of an existing object (``readlink -f``)."""
        fd, res = self._open_path(path, cwd, True)
        os.close(fd)
        os.close(res.dir_fd)
        return res.path

    def resolve_path(self, path: str, cwd: str = "/") -> str:
        """The canonical container path; the final component need not exist."""
        res = self.resolve(path, cwd, follow=True)
        os.close(res.dir_fd)
        return res.path

    def stat(self, path: str, cwd: str = "/", *, follow: bool = True) -> os.stat_result:
        """``stat``/``lstat`` of a container path."""
        fd, res = self._open_path(path, cwd, follow)
        try:
            return os.fstat(fd)
        finally:
            os.close(fd)
            os.close(res.dir_fd)

    def lstat(self, path: str, cwd: str = "/") -> os.stat_result:
        """``lstat`` of a container path."""
        return self.stat(path, cwd, follow=False)

    def exists(self, path: str, cwd: str = "/", *, follow: bool = True) -> bool:
        """True if the path names an existing object."""
        try:
            self.stat(path, cwd, follow=follow)
        except OSError:
            return False
        return True

    def is_dir(self, path: str, cwd: str = "/") -> bool:
        """True if the path is (or links to) a directory."""
        try:
            return stat_mod.S_ISDIR(self.stat(path, cwd).st_mode)
        except OSError:
            return False

    def access(self, path: str, mode: int, cwd: str = "/") -> bool:
        """``access(2)`` as the container sees it (existence plus permission bits)."""
        try:
            st = self.stat(path, cwd)
        except OSError:
            return False
        if mode == os.F_OK:
            return True
        if mode & os.X_OK and not stat_mod.S_ISDIR(st.st_mode) and not st.st_mode & 0o111:
            return False
        return True

    def readlink(self, path: str, cwd: str = "/") -> str:
        """The target text of a symlink."""
        res = self.resolve(path, cwd, follow=False)
        try:
            if res.name is None:
                raise _err(errno.EINVAL, path)
            return os.readlink(res.name, dir_fd=res.dir_fd)
        finally:
            os.close(res.dir_fd)

    def listdir(self, path: str, cwd: str = "/") -> list[str]:
        """Names in a directory (without ``.`` and ``..``), unsorted."""
        with self.scandir(path, cwd) as entries:
            return [entry.name for entry in entries]

    def scandir(self, path: str, cwd: str = "/") -> _ScanDir:
        """Iterate ``os.DirEntry`` objects of a directory (use as a context manager)."""
        fd = self.open(path, os.O_RDONLY | os.O_DIRECTORY, cwd=cwd)
        return _ScanDir(fd)

    # -- opening -----------------------------------------------------------------------
    def open(self, path: str, flags: int, mode: int = 0o666, *, cwd: str = "/") -> int:
        """Open a container path and return a host file descriptor (close-on-exec).

        ``O_NOFOLLOW`` in ``flags`` refuses a final symlink as ``open(2)`` does. Creating a
        file through a dangling symlink creates the link's target inside the jail.
        """
        follow = not flags & os.O_NOFOLLOW
        flags &= ~os.O_NOFOLLOW
        for _ in range(MAX_SYMLINKS):
            res = self.resolve(path, cwd, follow=follow)
            try:
                if flags & _WRITE_FLAGS and res.readonly:
                    raise _err(errno.EROFS, path)
                fd = self._open_resolved(res, path, flags, mode, follow)
            finally:
                os.close(res.dir_fd)
            if fd is not None:
                return fd
        raise _err(errno.ELOOP, path)

    def _open_resolved(self, res: Resolved, path: str, flags: int, mode: int, follow: bool) -> int | None:
        if res.name is None:
            return self._reopen(res.dir_fd, flags, path)
        try:
            pfd = os.open(res.name, _PATH_FLAGS, dir_fd=res.dir_fd)
        except FileNotFoundError:
            if not flags & os.O_CREAT:
                raise _err(errno.ENOENT, path) from None
            try:
                fd = os.open(res.name, flags | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode, dir_fd=res.dir_fd)
                if mode & DAEMON_UMASK:
                    os.fchmod(fd, mode & 0o7777)
                return fd
            except FileExistsError:
                if flags & os.O_EXCL:
                    raise
                return None  # created concurrently: resolve again
        try:
            if flags & os.O_CREAT and flags & os.O_EXCL:
                raise _err(errno.EEXIST, path)
            st = os.fstat(pfd)
            if stat_mod.S_ISLNK(st.st_mode):
                if not follow:
                    raise _err(errno.ELOOP, path)
                return None  # swapped for a symlink after resolution: resolve again
            return self._reopen(pfd, flags & ~(os.O_CREAT | os.O_EXCL), path, st)
        finally:
            os.close(pfd)

    def _reopen(self, pfd: int, flags: int, path: str, st: os.stat_result | None = None) -> int:
        st = st or os.fstat(pfd)
        mode = st.st_mode
        if stat_mod.S_ISCHR(mode) or stat_mod.S_ISBLK(mode) or stat_mod.S_ISSOCK(mode) or stat_mod.S_ISFIFO(mode):
            raise _err(errno.EACCES, path)
        if stat_mod.S_ISDIR(mode) and flags & (os.O_WRONLY | os.O_RDWR):
            raise _err(errno.EISDIR, path)
        if flags & os.O_DIRECTORY and not stat_mod.S_ISDIR(mode):
            raise _err(errno.ENOTDIR, path)
        return os.open(f"/proc/self/fd/{pfd}", flags | os.O_CLOEXEC)

    # -- modification ------------------------------------------------------------------
    def _parent(self, path: str, cwd: str, *, write: bool = True) -> Resolved:
        res = self.resolve(path, cwd, follow=False)
        if res.name is None:
            os.close(res.dir_fd)
            raise _err(errno.EBUSY if res.is_mount_point else errno.EEXIST, path)
        if write and res.readonly:
            os.close(res.dir_fd)
            raise _err(errno.EROFS, path)
        return res

    def mkdir(self, path: str, mode: int = 0o777, cwd: str = "/") -> None:
        """Create a directory (the final component must not exist)."""
        res = self.resolve(path, cwd, follow=False)
        try:
            if res.name is None:
                raise _err(errno.EEXIST, path)
            if res.readonly:
                raise _err(errno.EROFS, path)
            os.mkdir(res.name, mode, dir_fd=res.dir_fd)
            if mode & DAEMON_UMASK:
                # by descriptor, never by name: the new entry may already have been swapped
                dfd = os.open(res.name, _PATH_FLAGS | os.O_DIRECTORY, dir_fd=res.dir_fd)
                try:
                    os.chmod(f"/proc/self/fd/{dfd}", mode & 0o7777)
                finally:
                    os.close(dfd)
        finally:
            os.close(res.dir_fd)

    def makedirs(self, path: str, mode: int = 0o777, cwd: str = "/", *, exist_ok: bool = True) -> None:
        """``mkdir -p``."""
        target = normpath(path, cwd)
        current = ""
        for part in _components(target):
            current += "/" + part
            try:
                self.mkdir(current, mode)
            except FileExistsError:
                if not self.is_dir(current):
                    raise _err(errno.ENOTDIR, current) from None
        if not exist_ok and not target:
            raise _err(errno.EEXIST, path)

    def rmdir(self, path: str, cwd: str = "/") -> None:
        """Remove an empty directory."""
        res = self._parent(path, cwd)
        try:
            os.rmdir(res.name, dir_fd=res.dir_fd)
        finally:
            os.close(res.dir_fd)

    def unlink(self, path: str, cwd: str = "/") -> None:
        """Remove a non-directory entry (a symlink itself, not its target)."""
        res = self._parent(path, cwd)
        try:
            os.unlink(res.name, dir_fd=res.dir_fd)
        finally:
            os.close(res.dir_fd)

    def rename(self, src: str, dst: str, cwd: str = "/") -> None:
        """``rename(2)``; ``OSError(EXDEV)`` across mounts."""
        a = self._parent(src, cwd)
        try:
            b = self._parent(dst, cwd)
            try:
                if a.mount_target != b.mount_target:
                    raise _err(errno.EXDEV, dst)
                os.rename(a.name, b.name, src_dir_fd=a.dir_fd, dst_dir_fd=b.dir_fd)
            finally:
                os.close(b.dir_fd)
        finally:
            os.close(a.dir_fd)

    def link(self, src: str, dst: str, cwd: str = "/") -> None:
        """Create a hard link ``dst`` to the existing non-directory ``src`` (not followed)."""
        a = self._parent(src, cwd, write=False)
        try:
            b = self._parent(dst, cwd)
            try:
                if a.mount_target != b.mount_target:
                    raise _err(errno.EXDEV, dst)
                os.link(a.name, b.name, src_dir_fd=a.dir_fd, dst_dir_fd=b.dir_fd, follow_symlinks=False)
            finally:
                os.close(b.dir_fd)
        finally:
            os.close(a.dir_fd)

    def symlink(self, target: str, path: str, cwd: str = "/") -> None:
        """Create a symlink at ``path`` whose text is ``target`` (resolved in the jail when followed)."""
        res = self._parent(path, cwd)
        try:
            os.symlink(target, res.name, dir_fd=res.dir_fd)
        finally:
            os.close(res.dir_fd)

    def _on_object(self, path: str, cwd: str, follow: bool, func) -> None:
        """Run ``func(fd, stat, resolved)`` on an O_PATH descriptor of the object itself."""
        fd, res = self._open_path(path, cwd, follow)
        try:
            if res.readonly:
                raise _err(errno.EROFS, path)
            func(fd, os.fstat(fd), res)
        finally:
            os.close(fd)
            os.close(res.dir_fd)

    def chmod(self, path: str, mode: int, cwd: str = "/", *, follow: bool = True) -> None:
        """Change permission bits (a symlink itself cannot be chmod-ed, as on Linux)."""

        def apply(fd: int, st: os.stat_result, res: Resolved) -> None:
            if stat_mod.S_ISLNK(st.st_mode):
                raise _err(errno.EOPNOTSUPP, path)
            os.chmod(f"/proc/self/fd/{fd}", mode)

        self._on_object(path, cwd, follow, apply)

    def chown(self, path: str, uid: int, gid: int, cwd: str = "/", *, follow: bool = True) -> None:
        """Change ownership (``-1`` keeps a value)."""

        def apply(fd: int, st: os.stat_result, res: Resolved) -> None:
            if stat_mod.S_ISLNK(st.st_mode):
                # lchown on the name never follows the link, so a swapped entry stays harmless
                os.chown(res.name, uid, gid, dir_fd=res.dir_fd, follow_symlinks=False)
            else:
                os.chown(f"/proc/self/fd/{fd}", uid, gid)

        self._on_object(path, cwd, follow, apply)

    def utime(self, path: str, times_ns: tuple[int, int] | None, cwd: str = "/", *, follow: bool = True) -> None:
        """Set (atime, mtime) in ns, or to now when ``None``."""

        def apply(fd: int, st: os.stat_result, res: Resolved) -> None:
            kwargs = {"ns": times_ns} if times_ns else {}
            if stat_mod.S_ISLNK(st.st_mode):
                os.utime(res.name, dir_fd=res.dir_fd, follow_symlinks=False, **kwargs)
            else:
                os.utime(f"/proc/self/fd/{fd}", **kwargs)

        self._on_object(path, cwd, follow, apply)

    def truncate(self, path: str, length: int, cwd: str = "/") -> None:
        """Truncate a regular file."""
        fd = self.open(path, os.O_WRONLY, cwd=cwd)
        try:
            os.ftruncate(fd, length)
        finally:
            os.close(fd)

    # -- whole-file helpers --------------------------------------------------------------
    def read_bytes(self, path: str, cwd: str = "/") -> bytes:
        """Read a whole file."""
        fd = self.open(path, os.O_RDONLY, cwd=cwd)
        try:
            chunks = []
            while chunk := os.read(fd, 1 << 16):
                chunks.append(chunk)
            return b"".join(chunks)
        finally:
            os.close(fd)

    def write_bytes(self, path: str, data: bytes, mode: int = 0o644, cwd: str = "/") -> None:
        """Create or replace a file's contents."""
        fd = self.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode, cwd=cwd)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)

    def walk(self, path: str, cwd: str = "/") -> Iterator[tuple[str, list[str], list[str]]]:
        """``os.walk`` over container paths, top-down, without following symlinks."""
        top = normpath(path, cwd)
        dirs: list[str] = []
        files: list[str] = []
        try:
            with self.scandir(top) as entries:
                for entry in entries:
                    (dirs if entry.is_dir(follow_symlinks=False) else files).append(entry.name)
        except OSError:
            return
        yield top, dirs, files
        for name in dirs:
            yield from self.walk(_join(top, name))


class _ScanDir:
    """A context manager over ``os.scandir`` of a jail directory fd."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._it = os.scandir(fd)

    def __enter__(self) -> Iterator[os.DirEntry]:
        return self._it

    def __exit__(self, *exc: object) -> None:
        self._it.close()
        os.close(self._fd)

    def __iter__(self) -> Iterator[os.DirEntry]:
        return self._it


def _components(path: str) -> list[str]:
    return [part for part in path.split("/") if part and part != "."]


def _join(parent: str, name: str) -> str:
    return "/" + name if parent == "/" else parent + "/" + name
