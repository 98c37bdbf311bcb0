"""Docker's archive semantics (``docker cp``, ``docker export``) over a small filesystem interface.

Backends that have the container's files at hand give the core an :class:`ArchiveFS`
(the memory backend its root jail; :class:`RootedFileSystem` is one over a real directory
tree, for agents inside cloud workloads) and these functions do the rest exactly as the
Docker daemon does:

* :func:`stat_path` — ``HEAD /containers/{id}/archive``: the ``X-Docker-Container-Path-Stat``.
* :func:`archive_path` — ``GET``: the stat plus a tar stream with the top entry renamed.
* :func:`extract_to_dir` — ``PUT``: extraction with Docker's overwrite and traversal rules.
* :func:`export_root` — ``GET /containers/{id}/export``.
"""

from __future__ import annotations

import stat as stat_mod
from collections.abc import Iterator
from typing import BinaryIO

from . import paths
from .extract import ExtractOptions, extract
from .fs import ArchiveError, ArchiveFS, PathNotFound
from .hostfs import RootedFileSystem
from .pathstat import PathStat, go_file_mode
from .pathstat import stat_path as _stat_path
from .produce import tar_path, tar_root
from .users import container_owner

__all__ = [
    "ArchiveError", "ArchiveFS", "ExtractOptions", "PathNotFound", "PathStat", "RootedFileSystem",
    "archive_path", "container_owner", "export_root", "extract", "extract_to_dir", "extraction_dir", "go_file_mode",
    "stat_path",
]


def stat_path(fs: ArchiveFS, path: str) -> PathStat:
    """The stat Docker reports for a ``docker cp`` source or destination path."""
    return _stat_path(fs, path)[0]


def archive_path(fs: ArchiveFS, path: str) -> tuple[PathStat, Iterator[bytes]]:
    """The stat of ``path`` and a tar stream of it, as ``GET /containers/{id}/archive``.

    The entries are named after the requested path's last element (``.`` for ``dir/.``,
    ``/`` for the root), whatever a followed symlink pointed to.
    """
    stat, resolved, abs_path = _stat_path(fs, path)
    return stat, tar_path(fs, resolved, paths.base(abs_path))


def extraction_dir(fs: ArchiveFS, path: str) -> str:
    """The container directory a ``PUT`` of ``path`` extracts into (every symlink followed).

    Raises :class:`PathNotFound` when it does not exist and :class:`ArchiveError` when it
    is not a directory.
    """
    abs_path = paths.absolute(path)
    resolved = paths.resolve_in_scope(fs, abs_path)
    try:
        st = fs.lstat(resolved)
    except FileNotFoundError:
        raise PathNotFound(path) from None
    except NotADirectoryError:
        raise ArchiveError("extraction point is not a directory") from None
    if not stat_mod.S_ISDIR(st.st_mode):
        raise ArchiveError("extraction point is not a directory")
    return resolved


def extract_to_dir(fs: ArchiveFS, path: str, reader: BinaryIO, options: ExtractOptions | None = None) -> str:
    """Extract the tar stream ``reader`` into the directory ``path``; returns the resolved directory."""
    dest = extraction_dir(fs, path)
    extract(fs, dest, reader, options)
    return dest


def export_root(fs: ArchiveFS) -> Iterator[bytes]:
    """The container's whole root filesystem as a tar stream (``docker export``)."""
    return tar_root(fs)
