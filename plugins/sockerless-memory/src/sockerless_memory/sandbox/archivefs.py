"""The root jail as the core's :class:`~sockerless.archive.ArchiveFS` (``docker cp``, ``export``)."""

from __future__ import annotations

import os
import stat as stat_mod
from typing import BinaryIO

from .fs import FileSystem


class JailArchiveFS:
    """Archive access to a container through its :class:`FileSystem` (union, whiteouts and mounts included)."""

    def __init__(self, fs: FileSystem, *, owned: bool) -> None:
        self.fs = fs
        self._owned = owned

    def lstat(self, path: str) -> os.stat_result:
        return self.fs.lstat(path)

    def stat(self, path: str) -> os.stat_result:
        return self.fs.stat(path)

    def readlink(self, path: str) -> str:
        return self.fs.readlink(path)

    def listdir(self, path: str) -> list[str]:
        return self.fs.listdir(path)

    def open_read(self, path: str) -> BinaryIO:
        return os.fdopen(self.fs.open(path, os.O_RDONLY | os.O_NOFOLLOW), "rb")

    def create(self, path: str, mode: int) -> BinaryIO:
        return os.fdopen(self.fs.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode), "wb")

    def mkdir(self, path: str, mode: int) -> None:
        self.fs.mkdir(path, mode)

    def symlink(self, target: str, path: str) -> None:
        self.fs.symlink(target, path)

    def link(self, existing: str, path: str) -> None:
        self.fs.link(existing, path)

    def remove(self, path: str) -> None:
        if stat_mod.S_ISDIR(self.fs.lstat(path).st_mode):
            for name in self.fs.listdir(path):
                self.remove(path.rstrip("/") + "/" + name)
            self.fs.rmdir(path)
        else:
            self.fs.unlink(path)

    def chmod(self, path: str, mode: int) -> None:
        self.fs.chmod(path, mode, follow=False)

    def lchown(self, path: str, uid: int, gid: int) -> None:
        self.fs.chown(path, uid, gid, follow=False)

    def utime(self, path: str, atime_ns: int, mtime_ns: int) -> None:
        self.fs.utime(path, (atime_ns, mtime_ns), follow=False)

    def close(self) -> None:
        """Close the jail when it was opened for this copy (a running container keeps its own)."""
        if self._owned:
            self.fs.close()
