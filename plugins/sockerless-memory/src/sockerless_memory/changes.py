"""A container's filesystem changes: its upper directory compared with its image layers.

The upper directory already is an OCI layer in the making (whiteouts are ``.wh.NAME``
files, a replaced directory holds ``.wh..wh..opq``), so listing the changes means walking
it against the merged lower layers, and exporting them means writing it out as a tar.

The upper directory is written by container processes, so it is walked through
descriptors only: every directory is opened ``O_NOFOLLOW`` relative to its parent and
every file is opened and read through ``dir_fd``; a symlink swapped in while we walk is
read as a symlink, never followed out of the container.
"""

from __future__ import annotations

import os
import stat as stat_mod
import tarfile
from collections.abc import Iterator
from pathlib import Path

from .sandbox.layers import OPAQUE, WHITEOUT, View, open_stack, whited_out

MODIFIED, ADDED, DELETED = 0, 1, 2
RUNTIME_FILES = frozenset({"/etc/hostname", "/etc/hosts", "/etc/resolv.conf"})
"""Mounted into every container (Docker keeps them in its init layer): never a change."""

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK


def _lower_root(lowers: list[Path]) -> View | None:
    return open_stack([str(p) for p in lowers]).root if lowers else None


def _entries(dir_fd: int) -> list[str]:
    fd = os.open(".", _DIR_FLAGS, dir_fd=dir_fd)
    try:
        return sorted(os.listdir(fd))
    finally:
        os.close(fd)


def _is_temporary(name: str) -> bool:
    """Names the union uses while it prepares an entry: never part of the container."""
    return name.startswith(WHITEOUT) and name != OPAQUE and whited_out(name) is None


def _same_meta(st: os.stat_result, lower: os.stat_result) -> bool:
    return (st.st_mode, st.st_uid, st.st_gid, st.st_mtime_ns) == (lower.st_mode, lower.st_uid, lower.st_gid,
                                                                  lower.st_mtime_ns)


def list_changes(upper: Path, lowers: list[Path]) -> list[tuple[str, int]]:
    """``(path, kind)`` for everything the container changed (lowers: top-most first)."""
    if not upper.is_dir():
        return []
    result: list[tuple[str, int]] = []
    root_fd = os.open(upper, _DIR_FLAGS)
    try:
        _walk_changes(root_fd, "", _lower_root(lowers), result)
    finally:
        os.close(root_fd)
    return result


def _walk_changes(dir_fd: int, rel: str, lower: View | None, out: list[tuple[str, int]]) -> bool:
    """Append the changes below ``rel``; True when there were any."""
    names = _entries(dir_fd)
    changed = False
    if OPAQUE in names and lower is not None:
        present = set(names)
        for name in sorted(lower.children()):
            if name not in present:
                out.append((f"{rel}/{name}", DELETED))
                changed = True
        lower = None
    for name in names:
        if name == OPAQUE or _is_temporary(name):
            continue
        if name.startswith(WHITEOUT):
            gone = whited_out(name)
            if gone and lower is not None and lower.child(gone) is not None:
                out.append((f"{rel}/{gone}", DELETED))
                changed = True
            continue
        path = f"{rel}/{name}"
        if path in RUNTIME_FILES:
            continue
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        below = lower.child(name) if lower is not None else None
        if stat_mod.S_ISDIR(st.st_mode):
            sub = os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
            try:
                position = len(out)
                inner = _walk_changes(sub, path, below if isinstance(below, View) else None, out)
            finally:
                os.close(sub)
            if below is None or not isinstance(below, View):
                out.insert(position, (path, ADDED))
                changed = True
            elif inner or not _same_meta(st, below.st):
                out.insert(position, (path, MODIFIED))
                changed = True
            continue
        out.append((path, ADDED if below is None else MODIFIED))
        changed = True
    return changed


def export_changes(upper: Path, destination: str) -> None:
    """Write the upper directory as an uncompressed OCI layer tar at ``destination``."""
    with open(destination, "xb") as handle, tarfile.open(fileobj=handle, mode="w", format=tarfile.PAX_FORMAT) as tar:
        if not upper.is_dir():
            return
        root_fd = os.open(upper, _DIR_FLAGS)
        try:
            links: dict[tuple[int, int], str] = {}
            for info, fd in _walk_export(root_fd, "", links):
                if fd is None:
                    tar.addfile(info)
                    continue
                with os.fdopen(fd, "rb") as data:
                    tar.addfile(info, data)
        finally:
            os.close(root_fd)


def _tarinfo(name: str, st: os.stat_result) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.mode = stat_mod.S_IMODE(st.st_mode)
    info.uid, info.gid = st.st_uid, st.st_gid
    info.uname = info.gname = ""
    info.mtime = st.st_mtime
    return info


def _walk_export(dir_fd: int, rel: str, links: dict[tuple[int, int], str]) -> Iterator[tuple[tarfile.TarInfo, int | None]]:
    for name in _entries(dir_fd):
        if _is_temporary(name):
            continue
        path = f"{rel}{name}"
        if "/" + path in RUNTIME_FILES:
            continue
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        info = _tarinfo(path, st)
        if stat_mod.S_ISDIR(st.st_mode):
            info.type = tarfile.DIRTYPE
            info.name = path + "/"
            yield info, None
            sub = os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
            try:
                yield from _walk_export(sub, path + "/", links)
            finally:
                os.close(sub)
        elif stat_mod.S_ISLNK(st.st_mode):
            info.type = tarfile.SYMTYPE
            info.linkname = os.readlink(name, dir_fd=dir_fd)
            yield info, None
        elif stat_mod.S_ISREG(st.st_mode):
            key = (st.st_dev, st.st_ino)
            if st.st_nlink > 1 and key in links:
                info.type = tarfile.LNKTYPE
                info.linkname = links[key]
                yield info, None
                continue
            fd = os.open(name, _FILE_FLAGS, dir_fd=dir_fd)
            try:
                opened = os.fstat(fd)
                if (opened.st_dev, opened.st_ino) != key or not stat_mod.S_ISREG(opened.st_mode):
                    raise OSError(f"{path} changed while it was being exported")
                info.size = opened.st_size
            except BaseException:
                os.close(fd)
                raise
            if st.st_nlink > 1:
                links[key] = path
            yield info, fd
        # devices, FIFOs and sockets cannot be made inside the sandbox: nothing else to carry

