"""Tar streams of container paths, as ``GET /containers/{id}/archive`` and ``export`` send them."""

from __future__ import annotations

import errno
import os
import stat as stat_mod
import tarfile
from collections.abc import Iterator

from .fs import ArchiveFS

BLOCK = tarfile.BLOCKSIZE
CHUNK = 1 << 20
FLUSH_AT = 1 << 16


def _header(info: tarfile.TarInfo, st_mode: int) -> bytes:
    """The member's header blocks, its mode field carrying the file type bits as Docker's (Go's) tar does."""
    data = bytearray(info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape"))
    block = len(data) - BLOCK  # the ustar header proper comes after any pax header
    data[block + 100:block + 108] = b"%07o\0" % (st_mode & (0o170000 | 0o7777))
    data[block + 148:block + 156] = b" " * 8
    data[block + 148:block + 155] = b"%06o\0" % sum(data[block:block + BLOCK])
    return bytes(data)


def _vanished(exc: OSError) -> bool:
    return exc.errno in (errno.ENOENT, errno.ENOTDIR)


class TarProducer:
    """Writes tar members for container paths; yields the bytes in chunks."""

    def __init__(self, fs: ArchiveFS) -> None:
        self.fs = fs
        self._seen: dict[tuple[int, int], str] = {}  # (dev, ino) of files with several links -> first name
        self._buffer = bytearray()

    def _flush(self, force: bool = False) -> Iterator[bytes]:
        if self._buffer and (force or len(self._buffer) >= FLUSH_AT):
            data = bytes(self._buffer)
            self._buffer.clear()
            yield data

    def _info(self, path: str, name: str, st: os.stat_result) -> tarfile.TarInfo | None:
        info = tarfile.TarInfo(name)
        info.mode = st.st_mode & 0o7777
        info.uid, info.gid = st.st_uid, st.st_gid
        info.mtime = int(st.st_mtime)
        kind = stat_mod.S_IFMT(st.st_mode)
        if kind == stat_mod.S_IFREG:
            key = (st.st_dev, st.st_ino)
            first = self._seen.get(key) if st.st_nlink > 1 else None
            if first is not None:
                info.type, info.linkname = tarfile.LNKTYPE, first
            else:
                info.type, info.size = tarfile.REGTYPE, st.st_size
                if st.st_nlink > 1:
                    self._seen[key] = name
        elif kind == stat_mod.S_IFDIR:
            info.type = tarfile.DIRTYPE
        elif kind == stat_mod.S_IFLNK:
            info.type, info.linkname = tarfile.SYMTYPE, self.fs.readlink(path)
        elif kind in (stat_mod.S_IFCHR, stat_mod.S_IFBLK):
            info.type = tarfile.CHRTYPE if kind == stat_mod.S_IFCHR else tarfile.BLKTYPE
            info.devmajor, info.devminor = os.major(st.st_rdev), os.minor(st.st_rdev)
        elif kind == stat_mod.S_IFIFO:
            info.type = tarfile.FIFOTYPE
        else:
            return None  # sockets cannot be archived (Docker skips them too)
        return info

    def member(self, path: str, name: str, st: os.stat_result) -> Iterator[bytes]:
        """One member: its header and, for a regular file, its data."""
        info = self._info(path, name, st)
        if info is None:
            return
        if info.type == tarfile.REGTYPE:
            try:
                handle = self.fs.open_read(path)
            except OSError as exc:
                if _vanished(exc):
                    return
                raise
            with handle:
                self._buffer += _header(info, st.st_mode)
                remaining = info.size
                while remaining > 0:
                    chunk = handle.read(min(CHUNK, remaining))
                    if not chunk:
                        break
                    remaining -= len(chunk)
                    self._buffer += chunk
                    yield from self._flush()
                self._buffer += bytes(remaining)  # a file that shrank meanwhile: zeros keep the header true
            pad = -info.size % BLOCK
            self._buffer += bytes(pad)
        else:
            self._buffer += _header(info, st.st_mode)
        yield from self._flush()

    def tree(self, path: str, name: str, st: os.stat_result | None = None) -> Iterator[bytes]:
        """``path`` and, for a directory, everything below it, named ``name`` and ``name/...``."""
        if st is None:
            try:
                st = self.fs.lstat(path)
            except OSError as exc:
                if _vanished(exc):
                    return
                raise
        yield from self.member(path, name, st)
        if not stat_mod.S_ISDIR(st.st_mode):
            return
        try:
            children = sorted(self.fs.listdir(path))
        except OSError as exc:
            if _vanished(exc):
                return
            raise
        prefix = "" if name in ("", "/") else name.rstrip("/")
        for child in children:
            child_path = path.rstrip("/") + "/" + child
            yield from self.tree(child_path, f"{prefix}/{child}" if name else child)

    def finish(self) -> Iterator[bytes]:
        """The end-of-archive marker (two zero blocks) and whatever is buffered."""
        self._buffer += bytes(2 * BLOCK)
        yield from self._flush(force=True)


def tar_path(fs: ArchiveFS, path: str, name: str) -> Iterator[bytes]:
    """A tar stream of the container path ``path`` whose top entry is renamed ``name``."""
    producer = TarProducer(fs)
    yield from producer.tree(path, name)
    yield from producer.finish()


def tar_root(fs: ArchiveFS) -> Iterator[bytes]:
    """The whole root filesystem with relative names (``docker export``)."""
    producer = TarProducer(fs)
    for child in sorted(fs.listdir("/")):
        yield from producer.tree("/" + child, child)
    yield from producer.finish()
