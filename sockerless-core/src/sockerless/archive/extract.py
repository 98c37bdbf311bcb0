"""Extracting a tar stream into a container directory with Docker's rules.

As the daemon's ``archive.Unpack``: names are cleaned and must stay below the extraction
directory; missing parent directories are created; an existing object is replaced unless
both it and the entry are directories (then only the metadata is applied), and with
``no_overwrite_dir_non_dir`` a directory never replaces a non-directory nor the reverse;
hard links must point inside the extraction directory, relative symlinks must not lead
out of it (absolute ones are container paths and always allowed); ownership comes from
the entry (or ``chown``), directory times are set last. Every file operation goes through
the :class:`~.fs.ArchiveFS`, which keeps it inside the container root.
"""

from __future__ import annotations

import errno
import os
import stat as stat_mod
import tarfile
from dataclasses import dataclass
from typing import BinaryIO

from . import paths
from .fs import ArchiveError, ArchiveFS

COPY_CHUNK = 1 << 20
DIR_MODE = 0o755


@dataclass(frozen=True)
class ExtractOptions:
    """How to extract."""

    no_overwrite_dir_non_dir: bool = False
    chown: tuple[int, int] | None = None
    """Owner for every entry (``copyUIDGID``); ``None`` keeps each entry's own."""
    set_owner: bool = True
    """Change ownership at all (only root can give files away)."""


def _inside(path: str, directory: str) -> bool:
    return directory == "/" or path == directory or path.startswith(directory.rstrip("/") + "/")


def _lexists(fs: ArchiveFS, path: str) -> os.stat_result | None:
    try:
        return fs.lstat(path)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return None
        raise


class _Counting:
    """A reader that remembers whether any byte was seen (an empty body is an empty archive)."""

    def __init__(self, reader: BinaryIO) -> None:
        self._reader = reader
        self.seen = False

    def read(self, size: int = -1) -> bytes:
        data = self._reader.read(size)
        if data:
            self.seen = True
        return data


class Extractor:
    """Extracts the members of one tar stream below ``dest`` (an existing container directory)."""

    def __init__(self, fs: ArchiveFS, dest: str, options: ExtractOptions) -> None:
        self.fs = fs
        self.dest = paths.clean(dest)
        self.options = options
        self._dirs: list[tuple[str, tarfile.TarInfo]] = []

    def run(self, reader: BinaryIO) -> None:
        """Extract everything ``reader`` yields (plain, gzip, bzip2 or xz tar)."""
        counting = _Counting(reader)
        try:
            archive = tarfile.open(fileobj=counting, mode="r|*")  # type: ignore[call-overload]  # noqa: SIM115 - closed below
        except tarfile.ReadError as exc:
            if not counting.seen:
                return  # an empty body: nothing to extract, as Docker
            raise ArchiveError(f"Error processing tar file: {exc}") from None
        try:
            with archive:
                for member in archive:
                    self._member(archive, member)
        except tarfile.TarError as exc:
            raise ArchiveError(f"Error processing tar file: {exc}") from None
        for path, member in reversed(self._dirs):
            self._times(path, member)

    def _member(self, archive: tarfile.TarFile, member: tarfile.TarInfo) -> None:
        name = paths.clean(member.name)
        path = paths.join(self.dest, name)
        if not _inside(path, self.dest):
            raise ArchiveError(f'Error processing tar file: "{name}" is outside of "{self.dest}"')
        if name != "/" and path != self.dest:
            parent = paths.dirname(path)
            if _lexists(self.fs, parent) is None:
                self._mkdir_all(parent)
        existing = _lexists(self.fs, path) if path != self.dest else self.fs.lstat(path)
        is_dir = member.isdir()
        if existing is not None:
            existing_dir = stat_mod.S_ISDIR(existing.st_mode)
            if self.options.no_overwrite_dir_non_dir and existing_dir and not is_dir:
                raise ArchiveError(f'cannot overwrite directory "{path}" with non-directory "{self.dest}"')
            if self.options.no_overwrite_dir_non_dir and not existing_dir and is_dir:
                raise ArchiveError(f'cannot overwrite non-directory "{path}" with directory "{self.dest}"')
            if existing_dir and path == self.dest:
                return  # the extraction directory itself ("."): left as it is
            if not (existing_dir and is_dir):
                self.fs.remove(path)
        self._create(archive, member, path, exists=existing is not None and is_dir)
        if is_dir:
            self._dirs.append((path, member))

    def _mkdir_all(self, path: str) -> None:
        missing = []
        current = path
        while current != "/" and _lexists(self.fs, current) is None:
            missing.append(current)
            current = paths.dirname(current)
        for directory in reversed(missing):
            self.fs.mkdir(directory, DIR_MODE)
            self._owner(directory, (0, 0))

    def _create(self, archive: tarfile.TarFile, member: tarfile.TarInfo, path: str, *, exists: bool) -> None:
        fs = self.fs
        if member.isdir():
            if not exists:
                fs.mkdir(path, DIR_MODE)
        elif member.isreg():
            source = archive.extractfile(member)
            with fs.create(path, 0o600) as out:
                while source is not None and (chunk := source.read(COPY_CHUNK)):
                    out.write(chunk)
        elif member.islnk():
            target = paths.join(self.dest, member.linkname)
            if not _inside(target, self.dest):
                raise ArchiveError(f'Error processing tar file: invalid hardlink "{target}" -> "{member.linkname}"')
            fs.link(target, path)
        elif member.issym():
            target = paths.join(paths.dirname(path), member.linkname)
            if not member.linkname.startswith("/") and not _inside(target, self.dest):
                raise ArchiveError(f'Error processing tar file: invalid symlink "{path}" -> "{member.linkname}"')
            fs.symlink(member.linkname, path)
        elif member.ischr() or member.isblk() or member.isfifo():
            raise ArchiveError(f"Error processing tar file: {member.name!r}: device nodes and FIFOs cannot be "
                               "created in a container")
        else:
            raise ArchiveError(f"Error processing tar file: unhandled tar header type {member.type!r}")
        owner = self.options.chown or (member.uid, member.gid)
        self._owner(path, owner)
        if not member.issym():
            fs.chmod(path, member.mode & 0o7777)
        if not member.isdir():
            self._times(path, member)

    def _owner(self, path: str, owner: tuple[int, int]) -> None:
        if not self.options.set_owner:
            return
        self.fs.lchown(path, owner[0], owner[1])

    def _times(self, path: str, member: tarfile.TarInfo) -> None:
        mtime_ns = int(member.mtime * 1_000_000_000)
        atime = member.pax_headers.get("atime")
        atime_ns = int(float(atime) * 1_000_000_000) if atime else mtime_ns
        self.fs.utime(path, atime_ns, mtime_ns)


def extract(fs: ArchiveFS, dest: str, reader: BinaryIO, options: ExtractOptions | None = None) -> None:
    """Extract the tar stream ``reader`` into the existing container directory ``dest``."""
    Extractor(fs, dest, options or ExtractOptions()).run(reader)
