"""The jail's resolution state: directories on the walk, its result, objects found.

Kept apart from :mod:`.fs` so the file system's operations read as operations. Every
descriptor here is an ``O_PATH`` descriptor the walk verified; ``-1`` stands for a
directory or object that exists only in the lower layers of a union.
"""

from __future__ import annotations

import errno
import os
import stat as stat_mod
from collections.abc import Iterator

from . import union
from .layers import Leaf, View
from .union import UnionEntry

PATH_FLAGS = os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC


def err(code: int, path: str) -> OSError:
    """An ``OSError`` with the C library's text."""
    return OSError(code, os.strerror(code), path)


class MountPoint:
    """A mount table entry (the container root is the one at "/")."""

    __slots__ = ("fd", "readonly", "target")

    def __init__(self, target: str, fd: int, readonly: bool) -> None:
        self.target = target
        self.fd = fd
        self.readonly = readonly


class Dir:
    """A directory on the resolution stack.

    ``fd`` is an O_PATH descriptor of the directory in the upper root (or in a mount), or
    -1 when the directory exists only in the lower layers. ``lower`` is the merged lower
    directory at the same path, before this directory's own opaque marker is taken into
    account (see :meth:`lowers`). ``union`` is false in a mount and in a jail without
    layers: there the directory is a plain host directory and no name is special.
    """

    __slots__ = ("fd", "lower", "mount", "opaque", "owned", "path", "union")

    def __init__(self, fd: int, path: str, mount: MountPoint, owned: bool, lower: View | None = None,
                 union: bool = False) -> None:
        self.fd = fd
        self.path = path
        self.mount = mount
        self.owned = owned
        self.lower = lower
        self.union = union
        self.opaque: bool | None = None

    def lowers(self) -> View | None:
        """The lower directory merged below this one, or None when nothing shows through."""
        lower = self.lower
        if lower is None or self.fd < 0 or self.path == "/":  # the root is never opaque
            return lower
        if self.opaque is None:
            self.opaque = union.is_opaque(self.fd)
        return None if self.opaque else lower

    def copy(self) -> Dir:
        """The same directory with a descriptor of its own."""
        other = Dir(os.dup(self.fd) if self.fd >= 0 else -1, self.path, self.mount, True, self.lower, self.union)
        other.opaque = self.opaque
        return other


class Resolved:
    """Result of resolving a path: the directory holding the final name, and that name.

    ``name`` is ``None`` when the path denotes a directory that is itself on the stack
    (the root, a mount point, or a path ending in ``..``/``.``); then ``dir`` is that
    directory. What the walk found at ``name`` is kept (``looked``): an O_PATH ``fd`` of
    the verified object and its ``st``, or its ``lower`` object, or neither when it did
    not exist, so reading operations need not look it up again. The resolution owns its
    descriptors: close it, or use it as a context manager.
    """

    __slots__ = ("dir", "fd", "is_mount_point", "looked", "lower", "name", "path", "st")

    def __init__(self, directory: Dir, name: str | None, path: str, is_mount_point: bool) -> None:
        self.dir = directory
        self.name = name
        self.path = path
        self.is_mount_point = is_mount_point
        self.looked = False
        self.fd = -1
        self.st: os.stat_result | None = None
        self.lower: View | Leaf | None = None

    @property
    def dir_fd(self) -> int:
        """O_PATH descriptor of the directory (-1 while it exists only in the lower layers)."""
        return self.dir.fd

    @property
    def readonly(self) -> bool:
        """True inside a read-only mount."""
        return self.dir.mount.readonly

    @property
    def mount_target(self) -> str:
        """The mount the directory belongs to ("/" for the container root)."""
        return self.dir.mount.target

    def close(self) -> None:
        """Release the descriptors."""
        if self.dir.fd >= 0:
            os.close(self.dir.fd)
            self.dir.fd = -1
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> Resolved:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Found:
    """An existing object: an O_PATH ``fd`` in the upper root or a mount, or ``lower`` only."""

    __slots__ = ("fd", "lower", "st")

    def __init__(self, fd: int, st: os.stat_result, lower: View | Leaf | None = None) -> None:
        self.fd = fd
        self.st = st
        self.lower = lower

    def close(self) -> None:
        """Release the descriptor."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def writes(flags: int) -> bool:
    """True when an open modifies the file (and so needs the object in the upper root)."""
    return flags & os.O_ACCMODE != os.O_RDONLY or bool(flags & os.O_TRUNC)


def check_open(st: os.stat_result, flags: int, path: str) -> None:
    mode = st.st_mode
    if stat_mod.S_ISCHR(mode) or stat_mod.S_ISBLK(mode) or stat_mod.S_ISSOCK(mode) or stat_mod.S_ISFIFO(mode):
        raise err(errno.EACCES, path)
    if stat_mod.S_ISDIR(mode) and flags & (os.O_WRONLY | os.O_RDWR):
        raise err(errno.EISDIR, path)
    if flags & os.O_DIRECTORY and not stat_mod.S_ISDIR(mode):
        raise err(errno.ENOTDIR, path)


class ScanDir:
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


class EntryList:
    """A context manager over a merged listing, like :class:`ScanDir` (nothing stays open)."""

    def __init__(self, entries: list[UnionEntry]) -> None:
        self._entries = entries

    def __enter__(self) -> Iterator[UnionEntry]:
        return iter(self._entries)

    def __exit__(self, *exc: object) -> None:
        pass

    def __iter__(self) -> Iterator[UnionEntry]:
        return iter(self._entries)


def components(path: str) -> list[str]:
    return [part for part in path.split("/") if part and part != "."]


def join(parent: str, name: str) -> str:
    return "/" + name if parent == "/" else parent + "/" + name
