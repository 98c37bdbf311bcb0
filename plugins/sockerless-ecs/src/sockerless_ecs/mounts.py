"""Docker volumes of the ecs backend: each named volume an EFS access point (:mod:`.volumes`), kept at hand.

The access point of every volume lives in its record (``backend_state``) and in a cache here;
a container's mounts become its task definition's ``volumes`` and ``mountPoints``. After a
daemon restart the cache is refilled from the access points tagged for this daemon.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sockerless_aws import AwsClients

from . import volumes
from .config import EcsConfig
from .infra import InfraProvider


class VolumeMapper:
    """Creates, removes and finds the access points behind Docker volumes."""

    def __init__(self, config: EcsConfig, clients: AwsClients, infra: InfraProvider) -> None:
        self.config = config
        self.clients = clients
        self.infra = infra
        self._states: dict[str, volumes.VolumeState] = {}
        self._file_system = ""
        self._lock = asyncio.Lock()

    async def file_system(self) -> str:
        """The EFS file system holding every volume (option ``efs-file-system``; found or made in simulator mode)."""
        async with self._lock:
            if not self._file_system:
                infra = await self.infra.get()
                self._file_system = await volumes.file_system(
                    self.clients, self.config.aws.get("efs-file-system"), simulator=self.config.simulator,
                    subnets=infra.subnets, security_groups=infra.security_groups)
            return self._file_system

    async def create(self, volume: Any) -> str:
        """A new access point for ``volume``; the ``Mountpoint`` shown for it (``efs://FS/ROOT``)."""
        state = await volumes.create_volume(self.clients, await self.file_system(), name=volume.name,
                                            instance=self.config.instance, labels=volume.labels)
        volume.backend_state.update(state.to_dict())
        self._states[volume.name] = state
        return f"efs://{state.file_system}{state.root}"

    async def remove(self, volume: Any) -> None:
        """Delete the volume's access point."""
        state = self._states.pop(volume.name, None)
        if state is None and volume.backend_state.get("access_point"):
            state = volumes.VolumeState.from_dict(volume.backend_state)
        if state is not None:
            await volumes.remove_volume(self.clients, state)

    async def states(self, names: Iterable[str]) -> dict[str, volumes.VolumeState]:
        """The access points of ``names`` (looked up by tag for volumes made before a restart)."""
        wanted = set(names)
        if wanted - set(self._states):
            found = await volumes.owned_volumes(self.clients, await self.file_system(), self.config.instance)
            for name, state in found.items():
                self._states.setdefault(name, state)
        return {name: self._states[name] for name in wanted if name in self._states}

    async def task_mounts(self, mounts: list[Any]) -> volumes.TaskMounts:
        """The task-definition ``volumes`` and ``mountPoints`` of a container's mounts."""
        if not mounts:
            return volumes.TaskMounts(volumes=[], mount_points=[])
        names = [m.Name for m in mounts if getattr(m, "Type", "") == "volume" and m.Name]
        return volumes.task_mounts(mounts, await self.states(names) if names else {})


@dataclass(frozen=True)
class TmpfsMount:
    """A ``--tmpfs PATH[:OPTIONS]`` (``HostConfig.Tmpfs``) as a mount like the core's ``--mount type=tmpfs``."""

    Destination: str
    RW: bool = True
    Type: str = "tmpfs"


def tmpfs_mounts(tmpfs: Mapping[str, str] | None, taken: Iterable[str] = ()) -> list[TmpfsMount]:
    """The ``HostConfig.Tmpfs`` entries not already among the container's mounts (``taken`` destinations)."""
    seen = set(taken)
    return [TmpfsMount(path, RW="ro" not in str(options or "").split(","))
            for path, options in sorted((tmpfs or {}).items()) if path not in seen]
