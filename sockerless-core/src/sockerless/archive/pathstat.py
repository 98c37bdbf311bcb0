"""``X-Docker-Container-Path-Stat``: Go's ``os.FileMode`` bits and the stat of a container path."""

from __future__ import annotations

import base64
import errno
import json
import os
import stat as stat_mod
from dataclasses import dataclass

from ..gotime import rfc3339_nano
from . import paths
from .fs import ArchiveError, ArchiveFS, PathNotFound

# Go's os.FileMode type and special bits
MODE_DIR = 1 << 31
MODE_SYMLINK = 1 << 27
MODE_DEVICE = 1 << 26
MODE_NAMED_PIPE = 1 << 25
MODE_SOCKET = 1 << 24
MODE_SETUID = 1 << 23
MODE_SETGID = 1 << 22
MODE_CHAR_DEVICE = 1 << 21
MODE_STICKY = 1 << 20


def go_file_mode(st_mode: int) -> int:
    """A POSIX ``st_mode`` as Go's ``os.FileMode`` (what Docker puts in ``mode``)."""
    mode = st_mode & 0o777
    kind = stat_mod.S_IFMT(st_mode)
    mode |= {stat_mod.S_IFDIR: MODE_DIR, stat_mod.S_IFLNK: MODE_SYMLINK, stat_mod.S_IFIFO: MODE_NAMED_PIPE,
             stat_mod.S_IFSOCK: MODE_SOCKET, stat_mod.S_IFBLK: MODE_DEVICE,
             stat_mod.S_IFCHR: MODE_DEVICE | MODE_CHAR_DEVICE}.get(kind, 0)
    if st_mode & stat_mod.S_ISUID:
        mode |= MODE_SETUID
    if st_mode & stat_mod.S_ISGID:
        mode |= MODE_SETGID
    if st_mode & stat_mod.S_ISVTX:
        mode |= MODE_STICKY
    return mode



@dataclass(frozen=True)
class PathStat:
    """What ``HEAD /containers/{id}/archive`` tells about a path."""

    name: str
    size: int
    mode: int
    mtime: str
    link_target: str = ""

    def to_dict(self) -> dict[str, object]:
        """The JSON object, with Docker's field names and order."""
        return {"name": self.name, "size": self.size, "mode": self.mode, "mtime": self.mtime,
                "linkTarget": self.link_target}

    def header(self) -> str:
        """The ``X-Docker-Container-Path-Stat`` header value (base64 of the JSON)."""
        raw = json.dumps(self.to_dict(), separators=(",", ":")).encode()
        return base64.b64encode(raw).decode("ascii")

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> PathStat:
        """Read the JSON object (as a backend's own archive hook returns it)."""
        return cls(name=str(data.get("name", "")), size=int(data.get("size") or 0),  # type: ignore[arg-type]
                   mode=int(data.get("mode") or 0), mtime=str(data.get("mtime") or ""),  # type: ignore[arg-type]
                   link_target=str(data.get("linkTarget") or ""))

    @property
    def is_dir(self) -> bool:
        """True for a directory."""
        return bool(self.mode & MODE_DIR)


def lstat_request(fs: ArchiveFS, resolved: str, abs_path: str, request_path: str) -> os.stat_result:
    """``lstat`` of a resolved request path, with Docker's errors (404, not a directory)."""
    try:
        st = fs.lstat(resolved)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            raise PathNotFound(request_path) from None
        if exc.errno == errno.ENOTDIR:
            raise ArchiveError(f"lstat {abs_path}: not a directory") from None
        raise
    if paths.follows_final(abs_path) and not stat_mod.S_ISDIR(st.st_mode):
        raise ArchiveError(f"lstat {abs_path}: not a directory")
    return st


def stat_path(fs: ArchiveFS, path: str) -> tuple[PathStat, str, str]:
    """Docker's ``StatPath`` of a request path: (stat, resolved path, absolute request path)."""
    resolved, abs_path = paths.resolve_request(fs, path)
    st = lstat_request(fs, resolved, abs_path, path)
    target = ""
    if stat_mod.S_ISLNK(st.st_mode):
        target = paths.resolve_in_scope(fs, abs_path)
    return PathStat(name=paths.base(abs_path), size=st.st_size, mode=go_file_mode(st.st_mode),
                    mtime=rfc3339_nano(st.st_mtime_ns), link_target=target), resolved, abs_path
