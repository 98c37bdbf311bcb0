"""The owner ``copyUIDGID`` gives copied files: the container's user, from its own ``/etc/passwd``."""

from __future__ import annotations

from .. import userspec
from . import paths
from .fs import ArchiveError, ArchiveFS


def container_owner(fs: ArchiveFS, user: str) -> tuple[int, int] | None:
    """``(uid, gid)`` of ``user`` (``name``, ``uid``, ``name:group``, ``uid:gid``); ``None`` for an unset user."""

    def read_text(path: str) -> str:
        with fs.open_read(paths.resolve_in_scope(fs, path)) as handle:
            return handle.read(1 << 20).decode("utf-8", "replace")

    try:
        identity = userspec.resolve(user, read_text)
    except userspec.UnknownUser as exc:
        raise ArchiveError(str(exc)) from None
    return None if identity is None else (identity.uid, identity.gid)
