"""The engine: the daemon's state and behaviour, independent of HTTP.

It owns the store, the event bus, the services for each kind of object, and the active
backend. Every method runs on the event loop.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import platform
from pathlib import Path
from typing import Any

from ..agent.hub import AgentHub, HubSettings
from ..api.errors import Conflict, InvalidParameter
from ..api.models.containers import ContainerCreateRequest
from ..api.models.images import ImageConfig
from ..api.models.networks import NetworkCreateRequest
from ..api.models.volumes import VolumeCreateRequest
from ..plugins.backend import BackendContext, Capability
from ..plugins.manager import PluginManager, backend_manager
from . import resolution
from .archive import ArchiveService
from .backendcall import Backend
from .containers import ContainerService, labels_of
from .events import Event, EventBus
from .execs import ExecService
from .health import HealthChecker
from .images import BuiltinImage, ImageService, ImageStore
from .images.pull import Puller
from .images.push import Pusher
from .lifecycle import Lifecycle
from .networks import NetworkService
from .pods import PodService
from .records import ContainerRecord, NetworkRecord, VolumeRecord
from .registry import RegistryClient, RegistrySettings
from .store import Store
from .volumes import VolumeService

log = logging.getLogger(__name__)


class Engine:
    """One daemon's worth of containers, images, networks and volumes."""

    def __init__(self, data_root: Path, plugins: PluginManager, backend_name: str,
                 backend_options: dict[str, str] | None = None, agent_settings: HubSettings | None = None,
                 registry: RegistrySettings | None = None) -> None:
        self.data_root = data_root
        self.plugins = plugins
        self.shutting_down = False
        self.store = Store(data_root)
        self.events = EventBus(observer=self._observe)
        self.image_store = ImageStore(self.store, data_root / "image")
        self.layers = self.image_store.layer_dirs
        self.registry = RegistryClient(registry or RegistrySettings())
        specs = plugins.backends()
        if backend_name not in specs:
            known = ", ".join(sorted(specs)) or "none installed"
            raise LookupError(f"unknown backend {backend_name!r} (available: {known})")
        backend_dir = data_root / "backends" / backend_name
        backend_dir.mkdir(parents=True, exist_ok=True)
        settings = agent_settings or HubSettings()
        if settings.port_file is None:
            settings = dataclasses.replace(settings, port_file=data_root / "agent-endpoint-port")
        self.agents = AgentHub(settings)
        context = BackendContext(data_dir=backend_dir, loop=asyncio.get_running_loop(),
                                 options=dict(backend_options or {}),
                                 logger=logging.getLogger(f"sockerless.backend.{backend_name}"),
                                 layer_path=self.layers.path, agents=self.agents)
        instance = specs[backend_name].factory(context)
        self.backend = Backend(backend_name, instance, backend_manager(instance, backend_name))
        self.networks = NetworkService(self.store, self.events, self.store.containers.values)
        self.volumes = VolumeService(self.store, self.events, data_root / "volumes", self.store.containers.values)
        self.images = ImageService(self.image_store, self.events, self._builtin_image, self._image_users,
                                   container_layers=self._container_layers)
        self.images.puller = Puller(self.images, self.registry, self.events)
        self.pusher = Pusher(self.image_store, self.registry, self.events)
        self.containers = ContainerService(self.store, self.networks, self.backend.info, str(data_root))
        self.lifecycle = Lifecycle(self)
        self.execs = ExecService(self)
        self.health = HealthChecker(self)
        self.archive = ArchiveService(self)
        self.pods = PodService(self)
        context.workload_group = self.pods.workload_group

    def _observe(self, event: Event) -> None:
        self.plugins.hook.sockerless_event(event=event)

    async def start(self) -> None:
        """Recover the persisted state (startup is recovery)."""
        self.networks.ensure_predefined()
        self.image_store.recover()
        await self.lifecycle.recover()

    async def close(self) -> None:
        """Clean shutdown (a crash needs none of this)."""
        self.shutting_down = True
        await self.lifecycle.shutdown()
        if self.backend.implements("sockerless_backend_close"):
            await self.backend.call("sockerless_backend_close")
        await self.agents.close()
        await self.registry.close()
        self.store.close()

    # -- images --------------------------------------------------------------------------------
    async def _builtin_image(self, reference: str) -> BuiltinImage | None:
        offer = await self.backend.call("sockerless_builtin_image", reference=reference)
        if offer is None:
            return None
        if isinstance(offer, BuiltinImage):
            return offer
        build, config = offer[0], offer[1]
        description = offer[2] if len(offer) > 2 else f"built-in rootfs of the {self.backend.name} backend"
        if not isinstance(config, ImageConfig):
            raise TypeError("sockerless_builtin_image must return an ImageConfig")
        return BuiltinImage(build=build, config=config, description=description)

    def _container_layers(self) -> list[str]:
        return [layer for c in self.store.containers for layer in c.image_layers]

    def _image_users(self, image_id: str) -> list[tuple[str, bool]]:
        return [(c.id, c.state.Running) for c in self.store.containers if c.image_id == image_id]

    # -- containers ------------------------------------------------------------------------------
    async def create_container(self, request: ContainerCreateRequest, name: str | None,
                               pod: str = "") -> tuple[ContainerRecord, list[str]]:
        """``POST /containers/create`` (``pod``: the pod to join, a Sockerless/Podman extension)."""
        if not request.Image:
            raise InvalidParameter("config cannot be empty in order to create a container")
        self._check_capabilities(request)
        if pod:
            self.pods.prepare(request, self.pods.find(pod))
        image = self.images.find(request.Image)
        record, warnings = self.containers.build(request, name, image)
        self.pods.join(record, pod)
        await self._create_volumes(record)
        self.store.containers.put(record)
        try:
            await self.backend.call_required("sockerless_container_create", "container create", container=record, image=image)
        except BaseException:
            self.store.containers.delete(record.id)
            raise
        self.store.containers.put(record)
        self.events.publish("container", "create", record.id, labels_of(record))
        return record, warnings

    def _check_capabilities(self, request: ContainerCreateRequest) -> None:
        backend = self.backend
        if request.Tty:
            backend.require(Capability.TTY, "containers with a TTY")
        if request.OpenStdin:
            backend.require(Capability.STDIN, "containers with an open stdin")
        host = request.HostConfig
        if host.Binds or host.Mounts:
            if any(not b.split(":", 1)[0].startswith("/") for b in host.Binds or []) or any(
                    (m.Type or "volume") == "volume" for m in host.Mounts or []):
                backend.require(Capability.VOLUMES, "volumes")
            if any(b.startswith("/") for b in host.Binds or []) or any(m.Type == "bind" for m in host.Mounts or []):
                backend.require(Capability.BIND_MOUNTS, "bind mounts")
        if host.RestartPolicy.Name not in ("", "no"):
            backend.require(Capability.RESTART, "restart policies")

    async def _create_volumes(self, record: ContainerRecord) -> None:
        for mount in record.mounts:
            if mount.Type != "volume" or not isinstance(mount.Name, str):
                continue
            anonymous = self.store.volumes.get(mount.Name) is None and len(mount.Name) == 64
            volume = await self.create_volume(VolumeCreateRequest(Name=mount.Name), anonymous=anonymous)
            mount.Source = volume.mountpoint

    async def prepare_mounts(self, record: ContainerRecord) -> None:
        """Before a start: volumes exist, bind sources exist (created as Docker does for ``-v``)."""
        for mount in record.mounts:
            if mount.Type == "volume" and isinstance(mount.Name, str):
                volume = self.store.volumes.get(mount.Name)
                if volume is None:
                    volume = await self.create_volume(VolumeCreateRequest(Name=mount.Name))
                mount.Source = volume.mountpoint
            elif mount.Type == "bind" and not os.path.exists(mount.Source):
                await asyncio.to_thread(os.makedirs, mount.Source, 0o755, True)

    async def release_volumes(self, record: ContainerRecord, *, remove_anonymous: bool) -> None:
        """After ``docker rm``: anonymous volumes go with ``-v`` (or ``--rm``)."""
        if not remove_anonymous:
            return
        for mount in record.mounts:
            if mount.Type != "volume" or not isinstance(mount.Name, str):
                continue
            volume = self.store.volumes.get(mount.Name)
            if volume is not None and volume.anonymous and not self.volumes.users(volume.name):
                await self.remove_volume(volume)

    # -- networks --------------------------------------------------------------------------------
    async def create_network(self, request: NetworkCreateRequest) -> NetworkRecord:
        """``POST /networks/create``."""
        self.backend.require(Capability.NETWORKS, "user networks")
        record = self.networks.create(request)
        try:
            await self.backend.call("sockerless_network_create", network=record)
        except BaseException:
            self.store.networks.delete(record.id)
            raise
        return record

    async def remove_network(self, network: NetworkRecord) -> None:
        """``DELETE /networks/{id}``."""
        self.networks.check_removable(network)
        await self.backend.call("sockerless_network_remove", network=network)
        self.networks.delete(network)

    async def connect_network(self, network: NetworkRecord, record: ContainerRecord, endpoint: Any) -> None:
        """``POST /networks/{id}/connect``."""
        self.backend.require(Capability.NETWORKS, "network connect")
        if network.name in record.networks:
            raise Conflict(f"endpoint with name {record.name} already exists in network {network.name}")
        mode = record.host_config.NetworkMode
        if mode in ("host", "none") or mode.startswith("container:"):
            raise InvalidParameter("container cannot be disconnected from host network or connected to host network")
        if network.builtin and network.name != "bridge":
            raise InvalidParameter(f"container cannot be connected to {network.name} network")
        settings = self.networks.make_endpoint(network, record, endpoint)
        record.networks[network.name] = settings
        self.store.containers.put(record)
        await self.backend.call("sockerless_network_connect", network=network, container=record, endpoint=settings)
        if record.state.Running:
            await resolution.announce(self, record)
            await resolution.refresh_peers(self, record, [network.name])
        self.events.publish("network", "connect", network.id, {"container": record.id, "name": network.name, "type": network.driver})

    async def disconnect_network(self, network: NetworkRecord, record: ContainerRecord) -> None:
        """``POST /networks/{id}/disconnect``."""
        if network.name not in record.networks:
            raise InvalidParameter(f"container {record.id} is not connected to network {network.name}")
        await self.backend.call("sockerless_network_disconnect", network=network, container=record)
        record.networks.pop(network.name, None)
        self.store.containers.put(record)
        if record.state.Running:
            await resolution.announce(self, record)
            await resolution.refresh_peers(self, record, [network.name])
        self.events.publish("network", "disconnect", network.id, {"container": record.id, "name": network.name, "type": network.driver})

    # -- volumes ---------------------------------------------------------------------------------
    async def create_volume(self, request: VolumeCreateRequest, *, anonymous: bool = False) -> VolumeRecord:
        """``POST /volumes/create`` (idempotent for an existing name)."""
        record, new = self.volumes.prepare(request, anonymous=anonymous)
        if not new:
            return record
        mountpoint = await self.backend.call("sockerless_volume_create", volume=record)
        if isinstance(mountpoint, str) and mountpoint:
            record.mountpoint = mountpoint
        return self.volumes.commit(record)

    async def remove_volume(self, volume: VolumeRecord) -> None:
        """``DELETE /volumes/{name}``."""
        self.volumes.check_removable(volume)
        await self.backend.call("sockerless_volume_remove", volume=volume)
        self.volumes.delete(volume)

    # -- system ----------------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """Container counts for ``docker info``."""
        containers = self.store.containers.values()
        running = sum(1 for c in containers if c.state.Running and not c.state.Paused)
        paused = sum(1 for c in containers if c.state.Paused)
        return {"Containers": len(containers), "ContainersRunning": running, "ContainersPaused": paused,
                "ContainersStopped": len(containers) - running - paused, "Images": len(self.store.images)}

    def host_facts(self) -> dict[str, Any]:
        """OS facts for ``docker info``/``docker version``, defaulting to the host's."""
        info = self.backend.info
        return {
            "ncpu": info.ncpu or os.cpu_count() or 1,
            "mem_total": info.mem_total or _mem_total(),
            "os_type": info.os_type,
            "arch": info.architecture or platform.machine(),
            "kernel": platform.release(),
            "operating_system": info.operating_system or f"Sockerless ({self.backend.name} backend)",
        }


def _mem_total() -> int:
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0
