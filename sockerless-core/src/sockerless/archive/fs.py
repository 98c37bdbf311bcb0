"""The filesystem interface the archive code works on, and its errors.

Paths are absolute *container* paths. An implementation resolves every intermediate
symlink inside the container root (absolute targets from the root, ``..`` clamped at it),
so no operation can reach outside the root; the final component is never followed
unless the method says so. Errors are ``OSError`` with the usual ``errno``.
"""

from __future__ import annotations

import os
from typing import BinaryIO, Protocol, runtime_checkable


@runtime_checkable
class ArchiveFS(Protocol):
    """A container's file namespace as ``docker cp`` needs it."""

    def lstat(self, path: str) -> os.stat_result:
        """Stat of the object itself (a final symlink is not followed)."""
        ...

    def stat(self, path: str) -> os.stat_result:
        """Stat following a final symlink (inside the root)."""
        ...

    def readlink(self, path: str) -> str:
        """The text of a symlink."""
        ...

    def listdir(self, path: str) -> list[str]:
        """The names in a directory (no ``.``/``..``)."""
        ...

    def open_read(self, path: str) -> BinaryIO:
        """Open a regular file for reading (a final symlink is refused)."""
        ...

    def create(self, path: str, mode: int) -> BinaryIO:
        """Create a new regular file for writing (it must not exist)."""
        ...

    def mkdir(self, path: str, mode: int) -> None:
        """Create a directory."""
        ...

    def symlink(self, target: str, path: str) -> None:
        """Create a symlink at ``path`` with the text ``target``."""
        ...

    def link(self, existing: str, path: str) -> None:
        """Create a hard link ``path`` to ``existing`` (not followed)."""
        ...

    def remove(self, path: str) -> None:
        """Remove a file, a symlink or a whole directory tree (``rm -rf``, nothing followed)."""
        ...

    def chmod(self, path: str, mode: int) -> None:
        """Set the permission bits of a non-symlink."""
        ...

    def lchown(self, path: str, uid: int, gid: int) -> None:
        """Change the owner of the object itself."""
        ...

    def utime(self, path: str, atime_ns: int, mtime_ns: int) -> None:
        """Set the times of the object itself."""
        ...

    def close(self) -> None:
        """Release what the filesystem holds."""
        ...


class ArchiveError(Exception):
    """A ``docker cp`` request that cannot be honoured; ``kind`` says how to report it."""

    NOT_FOUND = "not-found"
    INVALID = "invalid"

    def __init__(self, message: str, kind: str = INVALID) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind


class PathNotFound(ArchiveError):
    """The requested container path does not exist."""

    def __init__(self, path: str) -> None:
        super().__init__(f"Could not find the file {path}", ArchiveError.NOT_FOUND)
        self.path = path
