"""Mount specifications: ``-v``/``Binds``, ``--mount``/``Mounts``, image ``Volumes``, tmpfs.

The result is the container's ``Mounts`` list. Volume mounts without a name get a fresh
anonymous volume; the caller creates the volumes.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable

import msgspec

from ..api.errors import InvalidParameter
from ..api.models.containers import ContainerConfig, HostConfig, MountPoint
from .ids import new_id

_BIND_MODES = {"ro", "rw", "z", "Z", "nocopy", "shared", "rshared", "slave", "rslave", "private", "rprivate",
               "delegated", "cached", "consistent"}
_PROPAGATIONS = {"shared", "rshared", "slave", "rslave", "private", "rprivate"}


def _check_destination(dest: str, spec: str) -> str:
    if not dest.startswith("/"):
        raise InvalidParameter(f"invalid volume specification: '{spec}': invalid mount config for type \"volume\": invalid mount path: '{dest}' mount path must be absolute")
    if dest == "/":
        raise InvalidParameter(f"invalid volume specification: '{spec}': invalid mount config: destination can't be '/'")
    return posixpath.normpath(dest)


def parse_bind(spec: str) -> MountPoint:
    """One ``-v SRC:DST[:MODE]`` entry."""
    parts = spec.split(":")
    if len(parts) == 1 or len(parts) > 3:
        raise InvalidParameter(f"invalid volume specification: '{spec}'")
    source, dest = parts[0], parts[1]
    mode = parts[2] if len(parts) == 3 else ""
    options = [m for m in mode.split(",") if m]
    bad = [m for m in options if m not in _BIND_MODES]
    if bad:
        raise InvalidParameter(f"invalid mode: {mode}")
    dest = _check_destination(dest, spec)
    read_only = "ro" in options
    propagation = next((m for m in options if m in _PROPAGATIONS), "")
    if source.startswith("/"):
        return MountPoint(Type="bind", Source=posixpath.normpath(source), Destination=dest, Mode=mode,
                          RW=not read_only, Propagation=propagation or "rprivate")
    if not source:
        raise InvalidParameter(f"invalid volume specification: '{spec}'")
    return MountPoint(Type="volume", Name=source, Source="", Destination=dest, Driver="local",
                      Mode=mode or "z", RW=not read_only, Propagation="")


def parse_mounts(config: ContainerConfig, host: HostConfig,
                 container_mounts: Callable[[str], list[MountPoint]] | None = None) -> list[MountPoint]:
    """All mounts of a container, checked for duplicates and validity.

    ``container_mounts(ref)`` gives another container's mounts, for ``VolumesFrom``.
    """
    result: list[MountPoint] = []
    seen: set[str] = set()

    def add(mount: MountPoint) -> None:
        if mount.Destination in seen:
            raise InvalidParameter(f"Duplicate mount point: {mount.Destination}")
        seen.add(mount.Destination)
        result.append(mount)

    for spec in host.Binds or []:
        add(parse_bind(spec))
    for mount in host.Mounts or []:
        add(_from_mount(mount))
    for dest in sorted((host.Tmpfs or {}) if isinstance(host.Tmpfs, dict) else {}):
        path = _check_destination(dest, dest)
        if path in seen:
            raise InvalidParameter(f"Duplicate mount point: {path}")
        seen.add(path)
    for spec in host.VolumesFrom or []:
        if container_mounts is None:
            raise InvalidParameter("VolumesFrom is not available here")
        ref, _, mode = spec.partition(":")
        modes = set(mode.split(",")) if mode else set()
        if modes - {"ro", "rw", "z", "Z"} or {"ro", "rw"} <= modes:
            raise InvalidParameter(f"invalid mode for volumes-from: {mode}")
        for source in container_mounts(ref):
            if source.Type not in ("volume", "bind") or source.Destination in seen:
                continue  # the container's own mounts win, as in Docker
            copied = msgspec.structs.replace(source)
            if "ro" in modes or "rw" in modes:
                copied.RW = "rw" in modes
            copied.Mode = mode
            add(copied)
    for dest in sorted(config.Volumes or {}):
        path = _check_destination(dest, dest)
        if path not in seen:
            add(MountPoint(Type="volume", Name=new_id(), Destination=path, Driver="local", Mode="", RW=True))
    return result


def _from_mount(mount) -> MountPoint:
    kind = mount.Type or "volume"
    target = mount.Target
    if not target:
        raise InvalidParameter("invalid mount config: Target must not be empty")
    dest = _check_destination(target, target)
    read_only = mount.ReadOnly is True
    if kind == "bind":
        if not mount.Source:
            raise InvalidParameter('invalid mount config for type "bind": field Source must not be empty')
        if not mount.Source.startswith("/"):
            raise InvalidParameter(f"invalid mount config for type \"bind\": invalid mount path: '{mount.Source}' mount path must be absolute")
        create = isinstance(mount.BindOptions, msgspec.Struct) and mount.BindOptions.CreateMountpoint is True
        if not create and not os.path.exists(mount.Source):
            raise InvalidParameter(f'invalid mount config for type "bind": bind source path does not exist: {mount.Source}')
        propagation = "rprivate"
        if isinstance(mount.BindOptions, msgspec.Struct) and isinstance(mount.BindOptions.Propagation, str):
            propagation = mount.BindOptions.Propagation or propagation
        return MountPoint(Type="bind", Source=posixpath.normpath(mount.Source), Destination=dest, Mode="",
                          RW=not read_only, Propagation=propagation)
    if kind == "volume":
        name = mount.Source or new_id()
        return MountPoint(Type="volume", Name=name, Destination=dest, Driver="local", Mode="z",
                          RW=not read_only, Propagation="")
    if kind == "tmpfs":
        if mount.Source:
            raise InvalidParameter('invalid mount config for type "tmpfs": field Source must not be specified')
        return MountPoint(Type="tmpfs", Destination=dest, Mode="", RW=not read_only, Propagation="")
    raise InvalidParameter(f'invalid mount config: mount type "{kind}" is not supported by sockerless')
