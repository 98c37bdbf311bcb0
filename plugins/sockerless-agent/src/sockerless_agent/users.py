"""Resolve Docker's ``--user`` forms against the workload's own /etc/passwd and /etc/group.

The files are read directly rather than through NSS, so the self-contained build (which
carries no NSS modules) resolves names the same way as the Python entry point.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


class UnknownUser(Exception):
    """A user or group name that the workload's files do not define."""


@dataclass(frozen=True)
class Identity:
    """Whom a process runs as."""

    uid: int
    gid: int
    groups: tuple[int, ...]
    home: str


def _table(path: str) -> list[list[str]]:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return [line.rstrip("\n").split(":") for line in handle if line.strip() and not line.startswith("#")]
    except OSError:
        return []


def resolve(spec: str, passwd: str = "/etc/passwd", group: str = "/etc/group") -> Identity | None:
    """``name``, ``uid``, ``name:group``, ``uid:gid`` ... to an identity; ``None`` for "as the agent runs"."""
    if not spec:
        return None
    user_part, _, group_part = spec.partition(":")
    users = _table(passwd)
    groups = _table(group)
    entry = next((u for u in users if len(u) >= 4 and (u[0] == user_part or (user_part.isdigit() and u[2] == user_part))), None)
    if entry is None:
        if not user_part.isdigit():
            raise UnknownUser(f"unable to find user {user_part}: no matching entries in passwd file")
        uid, gid, name, home = int(user_part), int(user_part) if not group_part else 0, "", "/"
    else:
        uid, gid, name, home = int(entry[2]), int(entry[3]), entry[0], entry[5] if len(entry) > 5 else "/"
    if group_part:
        match = next((g for g in groups if len(g) >= 3 and (g[0] == group_part or (group_part.isdigit() and g[2] == group_part))), None)
        if match is not None:
            gid = int(match[2])
        elif group_part.isdigit():
            gid = int(group_part)
        else:
            raise UnknownUser(f"unable to find group {group_part}: no matching entries in group file")
    extra = tuple(sorted({int(g[2]) for g in groups if len(g) >= 4 and name and name in g[3].split(",")} - {gid}))
    return Identity(uid=uid, gid=gid, groups=extra, home=home or "/")


def current_home() -> str:
    """HOME of the agent's own user (used when the exec does not name one)."""
    return os.environ.get("HOME", "/")
