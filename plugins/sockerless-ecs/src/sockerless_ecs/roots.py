"""Container roots on the simulator's host (``agent-injection=host``, ``host-root=image``).

The simulator's process executor runs a task's command as a host process; the agent in front
of it chroots the command and every exec into a directory made from the image's unpacked
layers (the core's :class:`sockerless.agent.hostroot.HostRoots`), so the container sees its
image's files and only them, and ``docker cp`` works on the same files. One root per
container, at ``DATA_DIR/roots/<full container id>``, made at create and removed at
``docker rm``; after a daemon restart, the roots of containers the daemon no longer has are
removed.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from sockerless.agent import hostroot
from sockerless.api.errors import InvalidParameter

log = logging.getLogger("sockerless.backend.ecs")

_CONTAINER_ID = re.compile(r"^[0-9a-f]{64}$")


class HostRoots:
    """Makes, finds and removes the per-container roots under ``directory``."""

    def __init__(self, directory: Path, layer_path: Callable[[str], Path] | None) -> None:
        self.roots = hostroot.HostRoots(directory)
        self.layer_path = layer_path

    def path(self, container_id: str) -> Path:
        """Where the root of ``container_id`` is."""
        if not _CONTAINER_ID.match(container_id):
            raise ValueError(f"not a full container id: {container_id!r}")
        return self.roots.path(container_id)

    async def prepare(self, container: Any, image: Any) -> Path:
        """The root of ``container`` filled from ``image``'s layers (lowest first), with its hostname."""
        if self.layer_path is None:
            raise InvalidParameter("ecs backend: host-root=image needs the image's layers, and this daemon gives "
                                   "the backend none (set host-root=none)")
        layers = [Path(self.layer_path(layer)) for layer in getattr(image, "Layers", None) or []]
        missing = [str(p) for p in layers if not p.is_dir()]
        if missing:
            raise InvalidParameter(f"ecs backend: the layers of image {container.config.Image} are not unpacked "
                                   f"here ({missing[0]}): pull the image again")
        self.path(container.id)
        self.roots.base.mkdir(parents=True, exist_ok=True)
        hostname = container.config.Hostname or container.id[:12]
        try:
            return await asyncio.to_thread(self.roots.prepare, container.id, layers, hostname)
        except hostroot.HostRootError as exc:
            await self.remove(container.id)
            raise InvalidParameter(f"ecs backend: image {container.config.Image}: {exc}") from None
        except OSError as exc:
            await self.remove(container.id)
            raise InvalidParameter(f"ecs backend: cannot prepare the root of container {container.id[:12]}: "
                                   f"{exc}") from None

    async def remove(self, container_id: str) -> None:
        """Delete the root of ``container_id`` (nothing when there is none; a link there is not followed)."""
        destination = self.path(container_id)
        if destination.is_dir() and not destination.is_symlink():
            await asyncio.to_thread(self.roots.remove, container_id)

    async def remove_orphans(self, known: Iterable[str]) -> list[str]:
        """Remove the roots of containers not in ``known`` (ids); the ids removed."""
        keep = set(known)
        removed = []
        for container_id in sorted(self.roots.owned()):
            if _CONTAINER_ID.match(container_id) and container_id not in keep \
                    and not self.roots.path(container_id).is_symlink():
                log.info("removing the root of the vanished container %s", container_id[:12])
                await asyncio.to_thread(self.roots.remove, container_id)
                removed.append(container_id)
        return removed
