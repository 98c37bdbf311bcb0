"""The ``memory`` backend: its hook implementations."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from sockerless.api.errors import InvalidParameter, ServerError
from sockerless.api.models.images import ImageRecord
from sockerless.engine.records import ContainerRecord
from sockerless.engine.stdio import ProcessIO
from sockerless.plugins.backend import BackendContext, BackendInfo, Capability, ContainerStats, StartError, TopResult
from sockerless.plugins.hookspecs import hookimpl

from . import topcmd, wasm
from .changes import export_changes, list_changes
from .container import WASI_PLATFORM, MemoryContainer, SandboxProcess
from .images import builtin_image
from .sandbox.archivefs import JailArchiveFS
from .sandbox.kernel import FreezeTimeout

CAPABILITIES = frozenset({
    Capability.EXEC, Capability.ATTACH, Capability.TTY, Capability.STDIN, Capability.SIGNALS, Capability.PAUSE,
    Capability.RESIZE, Capability.TOP, Capability.NETWORKS, Capability.VOLUMES, Capability.BIND_MOUNTS,
    Capability.RESTART, Capability.ARCHIVE, Capability.STATS, Capability.CHANGES,
})


class MemoryBackend:
    """Containers as process trees in the daemon's own sandbox."""

    def __init__(self, context: BackendContext) -> None:
        self.context = context
        self.loop = context.loop
        self.root = context.data_dir / "containers"
        self.root.mkdir(parents=True, exist_ok=True)
        self._containers: dict[str, MemoryContainer] = {}
        wasm.configure(context.data_dir / "wasm-cache")

    def _container(self, record: ContainerRecord) -> MemoryContainer:
        mc = self._containers.get(record.id)
        if mc is None:
            mc = self._containers[record.id] = MemoryContainer(record.id, self.root / record.id, self._lowers(record))
        return mc

    def _lowers(self, record: ContainerRecord) -> list[Path]:
        """The container's image layer directories, top-most first (from its persisted state)."""
        layer_path = self.context.layer_path
        assert layer_path is not None
        # image order, lowest first, as in the image's RootFS; absent for containers made
        # before the union, whose rootfs is a full copy
        layers = record.backend_state.get("layers") or []
        return [Path(layer_path(layer)) for layer in reversed(layers)]

    @hookimpl
    def sockerless_backend_info(self) -> BackendInfo:
        return BackendInfo(name="memory", capabilities=CAPABILITIES, driver="sockerless-memory",
                           operating_system="Sockerless memory sandbox")

    @hookimpl
    def sockerless_backend_recover(self, containers: list[ContainerRecord]) -> list[ContainerRecord]:
        for leftover in self.root.glob(".trash-*"):  # removals a crash interrupted
            self.loop.run_in_executor(None, shutil.rmtree, leftover, True)
        return []  # sandbox processes are threads of the daemon: none survive it

    @hookimpl
    def sockerless_builtin_image(self, reference: str):
        return builtin_image(reference)

    @hookimpl
    async def sockerless_container_create(self, container: ContainerRecord, image: ImageRecord) -> None:
        layer_path = self.context.layer_path
        assert layer_path is not None
        layers = [Path(layer_path(layer)) for layer in image.Layers]
        missing = [str(p) for p in layers if not p.is_dir()]
        if missing:
            raise InvalidParameter(f"image {image.Id[:19]} is missing layer data ({missing[0]}); pull it again")
        container.backend_state["layers"] = list(image.Layers)
        if image.Os == "wasi" or image.Architecture == "wasm":
            container.backend_state["platform"] = WASI_PLATFORM
        self._containers.pop(container.id, None)
        directory = self._container(container).directory
        container.hostname_path = str(directory / "hostname")
        container.hosts_path = str(directory / "hosts")
        self._container(container).materialize()  # an empty upper directory: cheap enough for the loop

    @hookimpl
    def sockerless_container_start(self, container: ContainerRecord, io: ProcessIO) -> SandboxProcess:
        return self._container(container).start(container, io, self.loop, lambda: None)

    @hookimpl
    def sockerless_container_kill(self, container: ContainerRecord, signal: int) -> None:
        self._container(container).signal(signal)

    @hookimpl
    async def sockerless_container_remove(self, container: ContainerRecord) -> None:
        mc = self._containers.pop(container.id, None) or MemoryContainer(container.id, self.root / container.id)
        leftover = mc.destroy()
        if leftover is not None:
            self.loop.run_in_executor(None, shutil.rmtree, leftover, True)

    @hookimpl
    async def sockerless_container_pause(self, container: ContainerRecord) -> None:
        kernel = self._container(container).kernel
        if kernel is not None:  # returns once every process is stopped, as docker pause does
            try:
                await asyncio.get_running_loop().run_in_executor(None, kernel.freeze)
            except FreezeTimeout as exc:
                raise ServerError(f"memory backend: pause of {container.short_id}: {exc}") from None

    @hookimpl
    def sockerless_container_unpause(self, container: ContainerRecord) -> None:
        kernel = self._container(container).kernel
        if kernel is not None:
            kernel.thaw()

    @hookimpl
    def sockerless_container_resize(self, container: ContainerRecord, height: int, width: int) -> None:
        terminal = self._container(container).terminal
        if terminal is None:
            raise InvalidParameter(f"container {container.short_id} has no TTY to resize")
        terminal.resize(height, width)

    @hookimpl
    def sockerless_exec_resize(self, container: ContainerRecord, exec_id: str, height: int, width: int) -> None:
        terminal = self._container(container).exec_terminals.get(exec_id)
        if terminal is None:
            raise InvalidParameter(f"exec {exec_id[:12]} has no TTY to resize")
        terminal.resize(height, width)

    @hookimpl
    def sockerless_container_top(self, container: ContainerRecord, ps_args: str) -> TopResult:
        titles, rows = topcmd.top(self._container(container).kernel, ps_args)
        return TopResult(titles=titles, processes=rows)

    @hookimpl
    def sockerless_container_hosts(self, container: ContainerRecord, entries: list[tuple[str, list[str]]]) -> None:
        self._container(container).update_hosts(container, entries)

    @hookimpl
    def sockerless_container_stats(self, container: ContainerRecord) -> ContainerStats:
        # CPU: the thread CPU clocks of the container's processes (ended ones included).
        # Memory is not reported: the processes are threads sharing the daemon's heap.
        kernel = self._container(container).kernel
        if kernel is None:
            return ContainerStats(cpu_total_ns=0, pids=0)
        return ContainerStats(cpu_total_ns=int(kernel.cpu_seconds() * 1e9), pids=kernel.live_count())

    @hookimpl
    def sockerless_exec_start(self, container: ContainerRecord, exec_id: str, argv: list[str], env: list[str],
                              workdir: str, user: str, tty: bool, io: ProcessIO) -> SandboxProcess:
        return self._container(container).exec(exec_id, argv, env, workdir, user, io, self.loop)

    @hookimpl
    async def sockerless_container_changes(self, container: ContainerRecord) -> list[tuple[str, int]]:
        mc = self._container(container)
        return await asyncio.to_thread(list_changes, mc.rootfs, mc.lowers)

    @hookimpl
    async def sockerless_container_export_changes(self, container: ContainerRecord, destination: str) -> None:
        await asyncio.to_thread(export_changes, self._container(container).rootfs, destination)

    @hookimpl
    def sockerless_archive_filesystem(self, container: ContainerRecord, mounts: bool) -> JailArchiveFS:
        try:
            return self._container(container).archive_fs(container, with_mounts=mounts)
        except StartError as exc:
            raise InvalidParameter(exc.message) from None

    @hookimpl
    def sockerless_backend_close(self) -> None:
        for mc in self._containers.values():
            if mc.kernel is not None:
                mc.kernel.signal_all(9)

