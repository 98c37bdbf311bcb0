"""Unpacking a layer tar into a directory, safely, keeping OCI whiteouts as they are.

Whiteout entries (``.wh.NAME``, ``.wh..wh..opq``) are regular files in a layer tar and
stay regular files in the unpacked directory: the backends' union views interpret them.
Nothing can land outside the destination: names are normalised, ``..`` is refused, and
before each entry is written its parent directory is checked to be the real directory
it names (no symlink of the layer on the way), so a link in the tar cannot redirect a
later entry. Links themselves are written verbatim (backends never follow them on the host).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import posixpath
import shutil
import stat
import tarfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
CHUNK = 1 << 20


class LayerFormatError(ValueError):
    """The data is not a layer this store can unpack."""


class _HashingReader:
    """Reads through to ``source`` and hashes every byte handed out."""

    def __init__(self, source: BinaryIO) -> None:
        self.source = source
        self.hash = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size)
        self.hash.update(data)
        return data

    def drain(self) -> None:
        while self.read(CHUNK):
            pass


def open_uncompressed(blob: BinaryIO) -> BinaryIO:
    """The tar stream inside ``blob`` (a plain or gzip-compressed tar, told apart by magic)."""
    head = blob.read(4)
    blob.seek(0)
    if head.startswith(GZIP_MAGIC):
        return gzip.GzipFile(fileobj=blob, mode="rb")  # type: ignore[return-value]
    if head.startswith(ZSTD_MAGIC):
        raise LayerFormatError("zstd-compressed layers are not supported")
    return blob


class _CountingReader:
    """Reports how many bytes of the blob were consumed, every ``step`` bytes."""

    def __init__(self, source: BinaryIO, report: Callable[[int], None], step: int = 512 * 1024) -> None:
        self.source = source
        self.report = report
        self.step = step
        self.count = 0
        self._next = step

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size)
        self.count += len(data)
        if self.count >= self._next or not data:
            self._next = self.count + self.step
            self.report(self.count)
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        position = self.source.seek(offset, whence)
        self.count = position
        return position

    def tell(self) -> int:
        return self.source.tell()


def unpack(blob: BinaryIO, dest: Path, progress: Callable[[int], None] | None = None) -> tuple[str, int]:
    """Unpack the layer in ``blob`` into the empty directory ``dest``; returns (diff id, content size).

    The diff id is the sha256 of the uncompressed tar stream, as in the image config.
    ``progress(n)`` is called now and then with the number of blob bytes consumed.
    """
    if progress is not None:
        blob = _CountingReader(blob, progress)  # type: ignore[assignment]
    reader = _HashingReader(open_uncompressed(blob))
    size = 0
    dir_times: list[tuple[str, float]] = []
    root = os.path.realpath(dest)
    try:
        with tarfile.open(fileobj=reader, mode="r|") as tar:  # type: ignore[call-overload]
            for member in tar:
                size += _extract(tar, member, root, dir_times)
        reader.drain()
    except (tarfile.TarError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise LayerFormatError(f"invalid layer tar: {exc}") from exc
    for path, mtime in reversed(dir_times):
        os.utime(path, (mtime, mtime), follow_symlinks=False)
    return "sha256:" + reader.hash.hexdigest(), size


def clean_name(name: str) -> str:
    """A tar member name made relative and normal; ``""`` for the root; raises on ``..``."""
    rel = posixpath.normpath("/" + name.lstrip("/")).lstrip("/")
    if any(part == ".." for part in name.split("/")):
        raise LayerFormatError(f"invalid layer tar: entry {name!r} leaves the layer")
    return "" if rel in ("", ".") else rel


def _checked_parent(root: str, rel: str) -> str:
    parent_rel = posixpath.dirname(rel)
    parent = os.path.join(root, parent_rel) if parent_rel else root
    if not os.path.lexists(parent):
        os.makedirs(parent, 0o755, exist_ok=True)
    if os.path.realpath(parent) != os.path.normpath(parent):
        raise LayerFormatError(f"invalid layer tar: entry {rel!r} goes through a link")
    return os.path.join(root, rel)


def _clear(path: str, keep_dir: bool) -> None:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(st.st_mode):
        if not keep_dir:
            shutil.rmtree(path)
    else:
        os.unlink(path)


def _extract(tar: tarfile.TarFile, member: tarfile.TarInfo, root: str, dir_times: list[tuple[str, float]]) -> int:
    rel = clean_name(member.name)
    if not rel:
        if member.isdir():
            os.chmod(root, member.mode & 0o7777)
        return 0
    path = _checked_parent(root, rel)
    _clear(path, keep_dir=member.isdir())
    size = 0
    if member.isdir():
        os.makedirs(path, 0o755, exist_ok=True)
        dir_times.append((path, member.mtime))
    elif member.isreg():
        source = tar.extractfile(member)
        assert source is not None
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(source, out, CHUNK)
        size = member.size
    elif member.issym():
        os.symlink(member.linkname, path)
    elif member.islnk():
        target = os.path.join(root, clean_name(member.linkname))
        if os.path.realpath(os.path.dirname(target)) != os.path.dirname(target) or not os.path.lexists(target):
            raise LayerFormatError(f"invalid layer tar: hard link {rel!r} to {member.linkname!r} outside what was unpacked")
        os.link(target, path, follow_symlinks=False)
        return 0
    elif member.isfifo():
        os.mkfifo(path)
    elif member.ischr() or member.isblk():
        kind = stat.S_IFCHR if member.ischr() else stat.S_IFBLK
        try:
            os.mknod(path, kind | 0o600, os.makedev(member.devmajor, member.devminor))
        except PermissionError:
            return 0  # as rootless engines do: device nodes cannot be made without privilege
    else:
        return 0
    _apply_metadata(path, member)
    return size


def _apply_metadata(path: str, member: tarfile.TarInfo) -> None:
    if os.geteuid() == 0:
        os.lchown(path, member.uid, member.gid)
    if not member.issym():
        os.chmod(path, member.mode & 0o7777)
    if not member.isdir():
        os.utime(path, (member.mtime, member.mtime), follow_symlinks=False)
