"""The owner ``copyUIDGID`` gives copied files: the container's user, from its own ``/etc/passwd``."""

from __future__ import annotations

from . import paths
from .fs import ArchiveError, ArchiveFS


def _table(fs: ArchiveFS, path: str) -> list[list[str]]:
    try:
        with fs.open_read(paths.resolve_in_scope(fs, path)) as handle:
            text = handle.read(1 << 20).decode("utf-8", "replace")
    except OSError:
        return []
    return [line.split(":") for line in text.splitlines() if line and not line.startswith("#")]


def container_owner(fs: ArchiveFS, user: str) -> tuple[int, int] | None:
    """``(uid, gid)`` of ``user`` (``name``, ``uid``, ``name:group``, ``uid:gid``); ``None`` for an unset user."""
    if not user:
        return None
    name, _, group = user.partition(":")
    uid = gid = None
    if name.isdigit():
        uid = int(name)
    for fields in _table(fs, "/etc/passwd"):
        if len(fields) >= 4 and (fields[0] == name or (uid is not None and fields[2] == name)):
            uid, primary = int(fields[2]), fields[3]
            gid = int(primary) if primary.isdigit() else None
            break
    if uid is None:
        raise ArchiveError(f"unable to find user {name}: no matching entries in passwd file")
    if group:
        if group.isdigit():
            gid = int(group)
        else:
            found = [f for f in _table(fs, "/etc/group") if len(f) >= 3 and f[0] == group]
            if not found:
                raise ArchiveError(f"unable to find group {group}: no matching entries in group file")
            gid = int(found[0][2])
    return uid, gid if gid is not None else uid
