"""The descriptors a WASI guest sees: open files of the sandbox and directories of the jail.

A :class:`FileHandle` owns one reference to a sandbox open file description (the
process's stdio, pipes of the shell, files the guest opened through the jail, the
sandbox's devices). A :class:`DirHandle` is a directory of the container named by its
canonical container path: every path operation relative to it goes through the jail
again, so the union, the mounts and the confinement apply to each of them.
"""

from __future__ import annotations

import os
import stat as stat_mod
from dataclasses import dataclass, field

from ..sandbox.files import OpenFile
from ..sandbox.fs import FileSystem
from . import abi
from .abi import WasiError


class Handle:
    """Base class of guest descriptors."""

    filetype = abi.FT_UNKNOWN
    preopen: str | None = None

    def rights(self) -> int:
        """The rights reported by ``fd_fdstat_get``."""
        return abi.RIGHTS_ALL

    def close(self) -> None:
        """Release what the descriptor holds."""


class FileHandle(Handle):
    """A non-directory: a regular file, a device, a pipe or a stream of the container."""

    def __init__(self, file: OpenFile, path: str = "") -> None:
        self.file = file
        self.path = path
        self.host_fd = file.fileno()
        self.append = False
        mode = os.fstat(self.host_fd).st_mode if self.host_fd is not None else 0
        self.regular = stat_mod.S_ISREG(mode)
        if self.host_fd is not None:
            self.filetype = abi.filetype_of_mode(mode)
        elif file.kind == "device":
            self.filetype = abi.FT_CHAR

    def rights(self) -> int:
        # wasi-libc's isatty() is "a character device without seek rights": only terminals look so
        rights = abi.RIGHTS_STREAM if not self.regular and (self.file.isatty() or self.filetype != abi.FT_CHAR) \
            else abi.RIGHTS_ALL
        if not self.file.readable:
            rights &= ~abi.RIGHT_FD_READ
        if not self.file.writable:
            rights &= ~abi.RIGHTS_WRITE
        return rights

    def fd(self) -> int:
        """The host descriptor of a file of the jail (``ESPIPE`` for streams)."""
        if self.host_fd is None:
            raise WasiError(abi.ESPIPE)
        return self.host_fd

    def stat(self) -> os.stat_result | None:
        """The host stat of the file, or None for an in-memory stream."""
        return os.fstat(self.host_fd) if self.host_fd is not None else None

    def close(self) -> None:
        self.file.release()


@dataclass
class DirHandle(Handle):
    """A directory of the container (``path`` is canonical, as ``realpath`` gives it)."""

    path: str
    preopen: str | None = None
    _listing: list[tuple[bytes, int, int]] = field(default_factory=list)
    filetype = abi.FT_DIR

    def rights(self) -> int:
        return abi.RIGHTS_ALL & ~(abi.RIGHT_FD_READ | abi.RIGHTS_WRITE | abi.RIGHT_FD_SEEK)

    def child(self, path: str) -> str:
        """A path relative to this directory as a container path (resolved by the jail later)."""
        if path.startswith("/"):
            return path
        return ("" if self.path == "/" else self.path) + "/" + path

    def listing(self, fs: FileSystem, refresh: bool) -> list[tuple[bytes, int, int]]:
        """(name, inode, filetype) of every entry, ``.`` and ``..`` first; re-read when ``refresh``."""
        if refresh or not self._listing:
            entries = [(b".", fs.stat(self.path).st_ino, abi.FT_DIR),
                       (b"..", fs.stat(self.child("..")).st_ino, abi.FT_DIR)]
            with fs.scandir(self.path) as found:
                for entry in found:
                    entries.append((os.fsencode(entry.name), _inode(entry), _entry_type(entry)))
            self._listing = entries
        return self._listing


def _inode(entry) -> int:
    try:
        return entry.inode()
    except OSError:
        return 0


def _entry_type(entry) -> int:
    if entry.is_symlink():
        return abi.FT_SYMLINK
    if entry.is_dir(follow_symlinks=False):
        return abi.FT_DIR
    if entry.is_file(follow_symlinks=False):
        return abi.FT_REG
    return abi.FT_UNKNOWN
