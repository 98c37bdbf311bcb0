"""Volumes the platform hands to an agent with ``--root``: bind-mounted inside the root, in a mount
namespace of the agent's own (nothing is mounted on the host's view).

The platform (the AWS simulator's process executor) gives them in ``SOCKERLESS_AGENT_MOUNTS`` as
JSON: ``[{"source": HOST_DIR, "target": PATH_IN_ROOT, "readonly": bool}]``. Targets are made
inside the root without following any symbolic link, so an image cannot aim a mount outside it.
"""

from __future__ import annotations

import ctypes
import json
import os
import stat
from dataclasses import dataclass

MOUNTS_ENV = "SOCKERLESS_AGENT_MOUNTS"
REQUEST = "from-executor"
CLONE_NEWNS = 0x00020000
MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 0x1, 0x20, 0x1000, 0x4000, 0x40000


class MountError(Exception):
    """The mounts could not be made; the message says which and why."""


@dataclass(frozen=True)
class Mount:
    """One host directory (or file) seen at ``target`` inside the root."""

    source: str
    target: str
    readonly: bool = False


def parse(text: str) -> list[Mount]:
    """The mounts of ``SOCKERLESS_AGENT_MOUNTS``."""
    if text == REQUEST:
        raise MountError(f"{MOUNTS_ENV} still asks for the mounts: the platform did not provide them")
    try:
        items = json.loads(text)
        mounts = [Mount(str(i["source"]), str(i["target"]), bool(i.get("readonly", False))) for i in items]
    except (ValueError, TypeError, KeyError) as exc:
        raise MountError(f"{MOUNTS_ENV} is not a JSON list of {{source, target, readonly}}: {exc}") from None
    for mount in mounts:
        if not mount.target.startswith("/") or not os.path.exists(mount.source):
            raise MountError(f"bad mount {mount.source} -> {mount.target}: the target must be absolute and the "
                             "source must exist")
    return mounts


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise MountError(f"{what}: {os.strerror(errno)}")


def _target(root: str, path: str, is_dir: bool) -> str:
    """Make ``path`` inside ``root`` (directories on the way), refusing symbolic links on the way."""
    current = root
    parts = [p for p in path.split("/") if p and p != "."]
    if ".." in parts:
        raise MountError(f"mount target {path} has '..'")
    for index, part in enumerate(parts):
        current = os.path.join(current, part)
        last = index == len(parts) - 1
        try:
            st = os.lstat(current)
        except FileNotFoundError:
            if last and not is_dir:
                os.close(os.open(current, os.O_CREAT | os.O_WRONLY | os.O_NOFOLLOW, 0o644))
            else:
                os.mkdir(current, 0o755)
            continue
        if stat.S_ISLNK(st.st_mode):
            raise MountError(f"mount target {path}: /{'/'.join(parts[:index + 1])} is a symbolic link in the image")
    return current


def enter(root: str, mounts: list[Mount]) -> None:
    """Unshare the mount namespace and bind-mount ``mounts`` inside ``root``. Call before any thread starts."""
    libc = _libc()
    _check(libc.unshare(CLONE_NEWNS), "cannot make a mount namespace (unshare)")
    _check(libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "cannot make the mounts private")
    for mount in mounts:
        target = _target(root, mount.target, os.path.isdir(mount.source)).encode()
        _check(libc.mount(mount.source.encode(), target, None, MS_BIND | MS_REC, None),
               f"cannot mount {mount.source} at {mount.target}")
        if mount.readonly:
            _check(libc.mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY, None),
                   f"cannot make {mount.target} read-only")
