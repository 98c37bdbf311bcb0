"""``--user`` of an exec, resolved against the workload's own /etc/passwd and /etc/group.

The rules are the core's (:mod:`sockerless.userspec`); here the files are the workload's
real ones, read directly so the self-contained build (no NSS modules) resolves names alike.
"""

from __future__ import annotations

import os

from sockerless.userspec import Identity, UnknownUser
from sockerless.userspec import resolve as resolve_spec

__all__ = ["Identity", "UnknownUser", "current_home", "resolve"]


def resolve(spec: str, passwd: str = "/etc/passwd", group: str = "/etc/group") -> Identity | None:
    """``name``, ``uid``, ``name:group``, ``uid:gid`` ... to an identity; ``None`` for "as the agent runs"."""
    files = {"/etc/passwd": passwd, "/etc/group": group}

    def read_text(path: str) -> str:
        with open(files.get(path, path), encoding="utf-8", errors="replace") as handle:
            return handle.read()

    return resolve_spec(spec, read_text)


def current_home() -> str:
    """HOME of the agent's own user (used when the exec does not name one)."""
    return os.environ.get("HOME", "/")
