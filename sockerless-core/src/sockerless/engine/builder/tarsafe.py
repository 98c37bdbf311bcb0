"""Unpacking tars that come from clients or containers without letting them write elsewhere."""

from __future__ import annotations

import os
import tarfile

from ...api.errors import InvalidParameter


def _inside(root: str, path: str) -> bool:
    return path == root or path.startswith(root + os.sep)


def extract(tar: tarfile.TarFile, directory: str, *, what: str) -> None:
    """Unpack every member of ``tar`` into ``directory``, modes and symlinks kept as they are.

    Member names are made relative; a member that would land outside ``directory`` (``..``,
    or through a symlink unpacked earlier), a hard link pointing outside it and device
    files are refused with a 400 naming ``what`` (``build context``, ``layer``).
    """
    root = os.path.realpath(directory)

    def check(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo:
        name = member.name.lstrip("/")
        full = os.path.join(root, name)
        if not _inside(root, os.path.realpath(os.path.dirname(full))) or not _inside(root, os.path.normpath(full)):
            raise InvalidParameter(f"{what} member {member.name!r} would be written outside the {what}")
        if member.issym() and os.path.lexists(full) and os.path.isdir(full) and not os.path.islink(full):
            raise InvalidParameter(f"{what} member {member.name!r} would replace a directory with a symlink")
        if os.path.islink(full) and not member.isdir():
            os.unlink(full)  # a later member replaces a symlink; writing through it could leave the root
        if member.islnk():
            link = os.path.realpath(os.path.join(root, member.linkname.lstrip("/")))
            if not _inside(root, link):
                raise InvalidParameter(f"{what} member {member.name!r} links outside the {what}")
            member = member.replace(linkname=member.linkname.lstrip("/"), deep=False)
        if member.ischr() or member.isblk() or member.isfifo():
            raise InvalidParameter(f"{what} member {member.name!r}: device files are not supported")
        return member.replace(name=name, deep=False)

    try:
        tar.extractall(directory, filter=check, numeric_owner=True)
    except tarfile.TarError as exc:
        raise InvalidParameter(f"invalid {what} tar: {exc}") from None
