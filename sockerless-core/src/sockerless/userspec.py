"""Docker's ``--user`` forms resolved against a container's own ``/etc/passwd`` and ``/etc/group``.

One definition for the daemon (``docker cp -a`` ownership) and the agent (exec as a user),
reading the files through whatever filesystem the caller has (the files are read directly,
not through NSS, so the agent's self-contained build resolves names the same way). The rules
are libcontainer's: ``name``, ``uid``, ``name:group``, ``uid:gid``, ``name:gid``...; a numeric
uid missing from passwd runs with gid 0 and home ``/``; a name that is missing is an error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

ReadText = Callable[[str], str]
"""Returns the text of a file of the container (``/etc/passwd``), raising OSError when it cannot."""


class UnknownUser(LookupError):
    """A user or group name that the container's files do not define (Docker's wording)."""


@dataclass(frozen=True)
class Identity:
    """Whom a process runs as, or whose files are whose."""

    uid: int
    gid: int
    groups: tuple[int, ...] = ()
    """Supplementary groups (from ``/etc/group`` membership)."""
    home: str = "/"


def _table(read_text: ReadText, path: str) -> list[list[str]]:
    try:
        text = read_text(path)
    except OSError:
        return []
    return [line.split(":") for line in text.splitlines() if line.strip() and not line.startswith("#")]


def resolve(spec: str, read_text: ReadText) -> Identity | None:
    """The identity ``spec`` names; ``None`` for an empty spec (the image's or caller's default)."""
    if not spec:
        return None
    user_part, _, group_part = spec.partition(":")
    groups = _table(read_text, "/etc/group")
    entry = next((u for u in _table(read_text, "/etc/passwd")
                  if len(u) >= 4 and (u[0] == user_part or (user_part.isdigit() and u[2] == user_part))), None)
    if entry is None:
        if not user_part.isdigit():
            raise UnknownUser(f"unable to find user {user_part}: no matching entries in passwd file")
        uid, gid, name, home = int(user_part), 0, "", "/"
    else:
        uid, name = int(entry[2]), entry[0]
        gid = int(entry[3]) if entry[3].isdigit() else 0
        home = entry[5] if len(entry) > 5 and entry[5] else "/"
    if group_part:
        match = next((g for g in groups if len(g) >= 3
                      and (g[0] == group_part or (group_part.isdigit() and g[2] == group_part))), None)
        if match is not None:
            gid = int(match[2])
        elif group_part.isdigit():
            gid = int(group_part)
        else:
            raise UnknownUser(f"unable to find group {group_part}: no matching entries in group file")
    extra = {int(g[2]) for g in groups if len(g) >= 4 and name and name in g[3].split(",") and g[2].isdigit()}
    return Identity(uid=uid, gid=gid, groups=tuple(sorted(extra - {gid})), home=home)
