"""COPY and ADD: a layer tar made from context (or stage) files, placed as Docker places them.

A source directory contributes its content; a file lands in the destination directory
when the destination ends with ``/`` or is a directory in the image, else at the
destination path; several sources need a directory destination. Parents that exist in
the image keep their metadata in the layer, missing ones are created (0755, owned like
the copied files). ADD unpacks local tar archives (plain, gzip, bzip2, xz) into the
destination directory.
"""

from __future__ import annotations

import io
import os
import posixpath
import stat as stat_mod
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from ...api.errors import InvalidParameter
from .imagefs import ImageFS

Opener = Callable[[], IO[bytes]] | None


@dataclass
class CopyOptions:
    """The flags of one COPY/ADD."""

    uid: int | None = None
    gid: int | None = None
    chmod: int | None = None
    extract_archives: bool = False
    downloaded: set[Path] = field(default_factory=set)
    """Files ADD fetched from a URL: never unpacked, as with dockerd."""


@dataclass
class LayerWriter:
    """Entries of the new layer by path, written parents first."""

    fs: ImageFS
    options: CopyOptions
    entries: dict[str, tuple[tarfile.TarInfo, Opener]] = field(default_factory=dict)

    def _owner(self, info: tarfile.TarInfo, keep: tuple[int, int] = (0, 0)) -> None:
        info.uid = self.options.uid if self.options.uid is not None else keep[0]
        info.gid = self.options.gid if self.options.gid is not None else keep[1]
        info.uname = info.gname = ""

    def ensure_dir(self, path: str) -> str:
        """Make ``path`` a directory in the layer (parents too); returns it resolved in the image."""
        resolved = "/"
        for part in [p for p in path.split("/") if p]:
            resolved = self.fs.resolve(posixpath.join(resolved, part))
            rel = resolved.lstrip("/")
            if rel in self.entries:
                continue
            st = self.fs.lstat(resolved)
            info = tarfile.TarInfo(rel + "/")
            info.type = tarfile.DIRTYPE
            if st is not None and stat_mod.S_ISDIR(st.st_mode):
                info.mode, info.mtime = stat_mod.S_IMODE(st.st_mode), st.st_mtime
                info.uid, info.gid = st.st_uid, st.st_gid
            else:
                info.mode, info.mtime = 0o755, 0
                self._owner(info)
            self.entries[rel] = (info, None)
        return resolved

    def add_path(self, source: Path, target: str) -> None:
        """Copy a file, symlink or directory tree from the host to ``target`` (an image path)."""
        st = os.lstat(source)
        rel = target.lstrip("/")
        if stat_mod.S_ISDIR(st.st_mode):
            resolved = self.ensure_dir(target)
            if self.fs.lstat(resolved) is None:  # a new directory: it gets the source's mode and times
                info = self.entries[resolved.lstrip("/")][0]
                info.mode, info.mtime = self.options.chmod or stat_mod.S_IMODE(st.st_mode), st.st_mtime
            for name in sorted(os.listdir(source)):
                self.add_path(source / name, posixpath.join(target, name))
            return
        info = tarfile.TarInfo(rel)
        info.mtime = st.st_mtime
        info.mode = stat_mod.S_IMODE(st.st_mode)
        self._owner(info)
        opener: Opener = None
        if stat_mod.S_ISLNK(st.st_mode):
            info.type = tarfile.SYMTYPE
            info.linkname = os.readlink(source)
        elif stat_mod.S_ISREG(st.st_mode):
            info.size = st.st_size
            opener = lambda: open(source, "rb")  # noqa: E731, SIM115 - opened and closed by write()
        else:
            raise InvalidParameter(f"cannot copy {source.name}: not a file, directory or symlink")
        if self.options.chmod is not None:
            info.mode = self.options.chmod
        self.entries[rel] = (info, opener)

    def add_bytes(self, data: bytes, target: str, mode: int = 0o644) -> None:
        """A file with the given content (heredocs)."""
        info = tarfile.TarInfo(target.lstrip("/"))
        info.size, info.mode, info.mtime = len(data), self.options.chmod or mode, 0
        self._owner(info)
        self.entries[info.name] = (info, lambda: io.BytesIO(data))

    def add_archive(self, archive: tarfile.TarFile, source: Path, directory: str) -> None:
        """Unpack a local archive's members under ``directory`` (their owners kept unless ``--chown``)."""
        base = self.ensure_dir(directory)
        for member in archive.getmembers():
            name = posixpath.normpath("/" + member.name).lstrip("/")
            if not name or member.ischr() or member.isblk() or member.isfifo():
                continue
            info = member.replace(name=posixpath.join(base, name).lstrip("/"), deep=False)
            self._owner(info, (member.uid, member.gid))
            if self.options.chmod is not None and not member.isdir():
                info.mode = self.options.chmod
            parent = posixpath.dirname(posixpath.join(base, name))
            self.ensure_dir(parent)
            if member.isdir():
                info.name += "/"
                self.entries[info.name.rstrip("/")] = (info, None)
                continue
            if member.islnk():
                info.linkname = posixpath.join(base, posixpath.normpath("/" + member.linkname).lstrip("/")).lstrip("/")
            opener: Opener = None
            if member.isreg():
                opener = _member_reader(source, member.name)
            self.entries[info.name] = (info, opener)

    def write(self, destination: str) -> None:
        """Write the layer tar."""
        with tarfile.open(destination, "w", format=tarfile.PAX_FORMAT) as tar:
            for _, (info, opener) in sorted(self.entries.items(), key=lambda item: item[0].split("/")):
                if opener is None:
                    tar.addfile(info)
                else:
                    with opener() as handle:
                        tar.addfile(info, handle)


def _member_reader(archive: Path, name: str) -> Callable[[], IO[bytes]]:
    def opener() -> IO[bytes]:
        tar = tarfile.open(archive, mode="r:*")  # noqa: SIM115 - closed with the member stream
        handle = tar.extractfile(name)
        if handle is None:
            tar.close()
            raise InvalidParameter(f"cannot read {name} from {archive.name}")
        return _Closing(handle, tar)

    return opener


class _Closing:
    """A member stream that closes its archive too."""

    def __init__(self, handle: IO[bytes], tar: tarfile.TarFile) -> None:
        self._handle, self._tar = handle, tar

    def read(self, size: int = -1) -> bytes:
        return self._handle.read(size)

    def __enter__(self) -> _Closing:
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.close()
        self._tar.close()


def is_archive(path: Path) -> bool:
    """True for a tar (plain or compressed) that ADD unpacks."""
    if not path.is_file() or path.is_symlink():
        return False
    try:
        with tarfile.open(path, mode="r:*") as tar:
            return tar.next() is not None
    except (tarfile.TarError, OSError, EOFError):
        return False


def place(writer: LayerWriter, sources: list[tuple[Path, str]], dest: str, workdir: str, command: str) -> None:
    """Put ``sources`` (host path, name) at ``dest`` as COPY/ADD do."""
    to_dir = dest.endswith("/") or dest in (".", "..") or dest.endswith("/.")
    absolute = dest if dest.startswith("/") else posixpath.join(workdir or "/", dest)
    absolute = posixpath.normpath(absolute)
    if len(sources) > 1 and not to_dir:
        raise InvalidParameter(f"When using {command} with more than one source file, "
                               "the destination must be a directory and end with a /")
    dest_is_dir = to_dir or writer.fs.is_dir(absolute)
    for source, name in sources:
        if source.is_dir() and not source.is_symlink():
            writer.add_path(source, writer.ensure_dir(absolute))
        elif writer.options.extract_archives and source not in writer.options.downloaded and is_archive(source):
            with tarfile.open(source, mode="r:*") as archive:
                writer.add_archive(archive, source, absolute)
        elif dest_is_dir:
            writer.add_path(source, posixpath.join(writer.ensure_dir(absolute), name))
        else:
            parent = writer.ensure_dir(posixpath.dirname(absolute))
            writer.add_path(source, posixpath.join(parent, posixpath.basename(absolute)))
