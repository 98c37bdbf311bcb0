"""Running containers: start, stop, kill, restart, pause, wait, remove, and what happens on exit.

State changes are persisted before the API call returns and published as events. When
the main process ends, the monitor records the exit, wakes waiters, and applies the
restart policy (with Docker's back-off) or ``AutoRemove``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..api.errors import Conflict, InvalidParameter, NotModified, ServerError
from ..plugins.backend import Capability, ExitResult, RunningProcess, StartError
from ..signals import SIGKILL, SIGTERM
from ..signals import parse_api as parse_signal
from . import logconfig, resolution
from .containers import labels_of
from .logs import ContainerLog
from .records import ContainerRecord
from .streams import ContainerStreams
from .timeutil import ZERO_TIME, now_ns, rfc3339_nano

if TYPE_CHECKING:
    from .daemon import Engine

log = logging.getLogger(__name__)

DEFAULT_STOP_TIMEOUT = 10
RESTART_BASE_DELAY = 0.1
RESTART_MAX_DELAY = 60.0
RESTART_RESET_AFTER = 10.0
STREAM_DRAIN_TIMEOUT = 5.0
KILL_TIMEOUT = 30.0
SHUTDOWN_TIMEOUT = 5.0
CRASH_ERROR = "the sockerless daemon stopped while the container was running"


@dataclass(frozen=True)
class WaitResult:
    """What ``POST /containers/{id}/wait`` reports."""

    code: int
    error: str = ""


@dataclass
class Runtime:
    """Live, unpersisted state of one container."""

    streams: ContainerStreams
    process: RunningProcess | None = None
    monitor: asyncio.Task | None = None
    exited: asyncio.Event = field(default_factory=asyncio.Event)
    exit_waiters: list[asyncio.Future[WaitResult]] = field(default_factory=list)
    removed_waiters: list[asyncio.Future[WaitResult]] = field(default_factory=list)
    restart_task: asyncio.Task | None = None
    restart_delay: float = RESTART_BASE_DELAY
    started_monotonic: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    exec_ids: list[str] = field(default_factory=list)
    on_exit: list[Callable[[ContainerRecord], None]] = field(default_factory=list)


class Lifecycle:
    """Everything that moves a container between states."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._runtimes: dict[str, Runtime] = {}

    # -- runtime objects ---------------------------------------------------------------------
    def runtime(self, record: ContainerRecord) -> Runtime:
        """The live state of a container (made on first use)."""
        rt = self._runtimes.get(record.id)
        if rt is None:
            kept = logconfig.settings(record)
            log_store = ContainerLog(self.engine.data_root / "containers" / record.id / "container.log",
                                     stored=kept.stored, max_size=kept.max_size, max_files=kept.max_files)
            rt = Runtime(streams=ContainerStreams(log_store, asyncio.get_running_loop()))
            rt.exited.set()
            self._runtimes[record.id] = rt
        return rt

    def exec_ids(self, record: ContainerRecord) -> list[str]:
        """Exec instances of the container."""
        rt = self._runtimes.get(record.id)
        return list(rt.exec_ids) if rt else []

    def _save(self, record: ContainerRecord) -> None:
        self.engine.store.containers.put(record)

    def _event(self, record: ContainerRecord, action: str, **extra: str) -> None:
        attrs = labels_of(record)
        attrs.update(extra)
        self.engine.events.publish("container", action, record.id, attrs)

    # -- start -------------------------------------------------------------------------------
    async def start(self, record: ContainerRecord) -> None:
        """``docker start``: returns once the main process runs."""
        rt = self.runtime(record)
        async with rt.lock:
            if record.state.Paused:
                raise Conflict("cannot start a paused container, try unpause instead")
            if record.state.Running:
                raise NotModified("container already started")
            if record.state.Status == "removing":
                raise Conflict(f"container {record.id} is marked for removal and cannot be started")
            self._cancel_restart(rt)
            await self._start_locked(record, rt)

    async def _start_locked(self, record: ContainerRecord, rt: Runtime) -> None:
        engine = self.engine
        await engine.prepare_mounts(record)
        self._check_networks(record)
        size = record.host_config.ConsoleSize
        console = (size[0], size[1]) if size and size[0] and size[1] else None
        await resolution.announce(engine, record)
        record.runtime_env = resolution.link_env(engine, record) if record.host_config.Links else []
        io = rt.streams.new_run(tty=record.config.Tty, open_stdin=record.config.OpenStdin, console_size=console)
        try:
            process = await engine.backend.call_required("sockerless_container_start", "container start",
                                                         container=record, io=io)
        except StartError as exc:
            io.stdout.close()
            io.stderr.close()
            record.state.Error = exc.message
            record.state.ExitCode = exc.exit_code
            self._save(record)
            if record.host_config.AutoRemove:
                asyncio.get_running_loop().create_task(self._auto_remove(record.id))
            raise InvalidParameter(f"failed to start container {record.short_id}: {exc.message}") from None
        except BaseException:
            io.stdout.close()
            io.stderr.close()
            raise
        state = record.state
        state.Running = True
        state.Paused = False
        state.Restarting = False
        state.OOMKilled = False
        state.Dead = False
        state.Pid = os.getpid()
        state.ExitCode = 0
        state.Error = ""
        state.Status = "running"
        state.StartedAt = rfc3339_nano(now_ns())
        record.has_been_started = True
        record.manually_stopped = False
        engine.health.reset(record)
        self._save(record)
        rt.process = process
        rt.exited = asyncio.Event()
        rt.started_monotonic = time.monotonic()
        rt.monitor = asyncio.get_running_loop().create_task(self._monitor(record.id, rt, process))
        self._attachment_events(record, started=True)
        self._event(record, "start")
        await resolution.refresh_peers(engine, record)
        engine.health.start(record)

    def _attachment_events(self, record: ContainerRecord, *, started: bool) -> None:
        """Docker's network connect/disconnect and volume mount/unmount events of a start or an exit."""
        events = self.engine.events
        for name in record.networks:
            network = self.engine.networks.lookup(name)
            if network is not None:
                events.publish("network", "connect" if started else "disconnect", network.id,
                               {"container": record.id, "name": network.name, "type": network.driver})
        for mount in record.mounts:
            if mount.Type != "volume" or not mount.Name:
                continue
            attrs = {"container": record.id, "driver": mount.Driver or "local"}
            if started:
                attrs.update({"destination": mount.Destination, "propagation": mount.Propagation or "",
                              "read/write": "true" if mount.RW else "false"})
            events.publish("volume", "mount" if started else "unmount", mount.Name, attrs)

    def _check_networks(self, record: ContainerRecord) -> None:
        for name in record.networks:
            if self.engine.networks.lookup(name) is None:
                raise InvalidParameter(f"network {name} not found")

    # -- exit --------------------------------------------------------------------------------
    async def _monitor(self, container_id: str, rt: Runtime, process: RunningProcess) -> None:
        try:
            result = await process.wait()
        except Exception as exc:  # a backend failure still has to end the run cleanly
            log.exception("waiting for container %s failed", container_id[:12])
            result = ExitResult(code=255, error=f"lost track of the container process: {exc}")
        if not await rt.streams.wait_run_end(STREAM_DRAIN_TIMEOUT):
            rt.streams.force_end()
        record = self.engine.store.containers.get(container_id)
        if record is not None:
            self._on_exit(record, rt, result)

    def _on_exit(self, record: ContainerRecord, rt: Runtime, result: ExitResult) -> None:
        engine = self.engine
        engine.health.stop(record)
        state = record.state
        state.Running = False
        state.Paused = False
        state.Pid = 0
        state.ExitCode = result.code
        state.OOMKilled = result.oom_killed
        state.Error = result.error
        state.FinishedAt = rfc3339_nano(now_ns())
        state.Status = "exited"
        rt.process = None
        ran_for = time.monotonic() - rt.started_monotonic
        restart = self._should_restart(record, result.code)
        if restart:
            state.Restarting = True
            state.Status = "restarting"
        self._save(record)
        if result.oom_killed:
            self._event(record, "oom")
        self._event(record, "die", exitCode=str(result.code))
        self._attachment_events(record, started=False)
        asyncio.get_running_loop().create_task(resolution.refresh_peers(engine, record))
        rt.exited.set()
        for waiter in rt.exit_waiters:
            if not waiter.done():
                waiter.set_result(WaitResult(result.code, result.error))
        rt.exit_waiters.clear()
        for callback in list(rt.on_exit):
            callback(record)
        if restart:
            if ran_for >= RESTART_RESET_AFTER:
                rt.restart_delay = RESTART_BASE_DELAY
            delay = rt.restart_delay
            rt.restart_delay = min(rt.restart_delay * 2, RESTART_MAX_DELAY)
            rt.restart_task = asyncio.get_running_loop().create_task(self._restart_after(record.id, delay))
        elif record.host_config.AutoRemove:
            asyncio.get_running_loop().create_task(self._auto_remove(record.id))

    def _should_restart(self, record: ContainerRecord, code: int) -> bool:
        if record.manually_stopped or self.engine.shutting_down:
            return False
        policy = record.host_config.RestartPolicy
        if policy.Name in ("always", "unless-stopped"):
            return True
        if policy.Name == "on-failure":
            return code != 0 and (policy.MaximumRetryCount == 0 or record.restart_count < policy.MaximumRetryCount)
        return False

    async def _restart_after(self, container_id: str, delay: float) -> None:
        await asyncio.sleep(delay)
        record = self.engine.store.containers.get(container_id)
        if record is None or not record.state.Restarting:
            return
        rt = self.runtime(record)
        async with rt.lock:
            if not record.state.Restarting:
                return
            record.restart_count += 1
            try:
                await self._start_locked(record, rt)
            except Exception as exc:
                log.warning("restart of container %s failed: %s", record.short_id, exc)
                record.state.Restarting = False
                record.state.Status = "exited"
                record.state.Error = str(exc)
                self._save(record)
                return
        self._event(record, "restart")

    def _cancel_restart(self, rt: Runtime) -> None:
        task, rt.restart_task = rt.restart_task, None
        if task is not None and not task.done():
            task.cancel()

    async def _auto_remove(self, container_id: str) -> None:
        record = self.engine.store.containers.get(container_id)
        if record is None or record.state.Running:
            return
        try:
            await self.remove(record, force=True, remove_volumes=True)
        except Exception:
            log.exception("auto-remove of container %s failed", container_id[:12])

    # -- stop, kill, restart -----------------------------------------------------------------
    def _stop_signal(self, record: ContainerRecord) -> int:
        text = record.config.StopSignal if isinstance(record.config.StopSignal, str) else ""
        return parse_signal(text) if text else SIGTERM

    def _stop_timeout(self, record: ContainerRecord, requested: int | None) -> float | None:
        if requested is None:
            configured = record.config.StopTimeout
            requested = configured if isinstance(configured, int) else DEFAULT_STOP_TIMEOUT
        return None if requested < 0 else float(requested)

    async def stop(self, record: ContainerRecord, timeout: int | None = None, signal: str | None = None) -> None:
        """``docker stop``: the stop signal, then SIGKILL after the timeout."""
        rt = self.runtime(record)
        if record.state.Restarting:
            self._cancel_restart(rt)
            record.state.Restarting = False
            record.state.Status = "exited"
            record.manually_stopped = True
            self._save(record)
            self._event(record, "stop")
            return
        if not record.state.Running:
            raise NotModified("container already stopped")
        signum = parse_signal(signal) if signal else self._stop_signal(record)
        wait = self._stop_timeout(record, timeout)
        record.manually_stopped = True
        self._save(record)
        if record.state.Paused:
            await self._unpause_for_stop(record)
        backend = self.engine.backend
        handled = None
        if backend.implements("sockerless_container_stop"):
            handled = await backend.call("sockerless_container_stop", container=record, signal=signum,
                                         timeout=DEFAULT_STOP_TIMEOUT if wait is None else wait)
        if not handled:
            await self._signal(record, signum)
            if not await self._wait_exit(rt, wait):
                await self._signal(record, SIGKILL)
        if not await self._wait_exit(rt, KILL_TIMEOUT):
            raise ServerError(f"container {record.id} did not stop within {KILL_TIMEOUT:g}s of SIGKILL "
                              f"({self.engine.backend.name} backend)")
        self._event(record, "stop")

    async def _unpause_for_stop(self, record: ContainerRecord) -> None:
        await self.engine.backend.call("sockerless_container_unpause", container=record)
        record.state.Paused = False
        record.state.Status = "running"
        self._save(record)

    async def _wait_exit(self, rt: Runtime, timeout: float | None) -> bool:
        if rt.exited.is_set():
            return True
        try:
            await asyncio.wait_for(asyncio.shield(rt.exited.wait()), timeout)
        except TimeoutError:
            return False
        return True

    async def _signal(self, record: ContainerRecord, signum: int) -> None:
        if not record.state.Running:
            return
        await self.engine.backend.call_required("sockerless_container_kill", "container kill",
                                                container=record, signal=signum)
        self._event(record, "kill", signal=str(signum))

    async def kill(self, record: ContainerRecord, signal: str | None, ref: str) -> None:
        """``docker kill``."""
        signum = parse_signal(signal) if signal else SIGKILL
        if not record.state.Running:
            raise Conflict(f"Cannot kill container: {ref}: Container {record.id} is not running")
        if signum != SIGKILL:
            self.engine.backend.require(Capability.SIGNALS, f"signal {signum} delivery (docker kill -s)")
        record.manually_stopped = True
        self._save(record)
        await self._signal(record, signum)
        if signum == SIGKILL:
            await self._wait_exit(self.runtime(record), 10.0)

    async def restart(self, record: ContainerRecord, timeout: int | None, signal: str | None = None) -> None:
        """``docker restart``."""
        if record.state.Running or record.state.Restarting:
            try:
                await self.stop(record, timeout, signal)
            except NotModified:
                pass
        rt = self.runtime(record)
        async with rt.lock:
            if not record.state.Running:
                await self._start_locked(record, rt)
        self._event(record, "restart")

    # -- pause -------------------------------------------------------------------------------
    async def pause(self, record: ContainerRecord) -> None:
        """``docker pause``."""
        self.engine.backend.require(Capability.PAUSE, "pause")
        if not record.state.Running:
            raise Conflict(f"Container {record.id} is not running")
        if record.state.Paused:
            raise Conflict(f"Container {record.id} is already paused")
        await self.engine.backend.call_required("sockerless_container_pause", "pause", container=record)
        record.state.Paused = True
        record.state.Status = "paused"
        self._save(record)
        self._event(record, "pause")

    async def unpause(self, record: ContainerRecord) -> None:
        """``docker unpause``."""
        self.engine.backend.require(Capability.PAUSE, "unpause")
        if not record.state.Paused:
            raise Conflict(f"Container {record.id} is not paused")
        await self.engine.backend.call_required("sockerless_container_unpause", "unpause", container=record)
        record.state.Paused = False
        record.state.Status = "running"
        self._save(record)
        self._event(record, "unpause")

    # -- wait --------------------------------------------------------------------------------
    def wait_future(self, record: ContainerRecord, condition: str) -> asyncio.Future[WaitResult]:
        """A future with the exit that ``condition`` waits for (registered now)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[WaitResult] = loop.create_future()
        rt = self.runtime(record)
        if condition in ("", "not-running"):
            if not record.state.Running and not record.state.Restarting:
                future.set_result(WaitResult(record.state.ExitCode))
            else:
                rt.exit_waiters.append(future)
        elif condition == "next-exit":
            rt.exit_waiters.append(future)
        elif condition == "removed":
            rt.removed_waiters.append(future)
        else:
            # Docker treats any other value as the default (not-running)
            return self.wait_future(record, "not-running")
        return future

    # -- remove ------------------------------------------------------------------------------
    async def remove(self, record: ContainerRecord, *, force: bool, remove_volumes: bool) -> None:
        """``docker rm``."""
        rt = self.runtime(record)
        if record.state.Status == "removing":
            raise Conflict(f"removal of container {record.id} is already in progress")
        if record.state.Running or record.state.Restarting:
            if not force:
                raise Conflict(f'cannot remove container "/{record.name}": container is running: '
                               "stop the container before removing or force remove")
            self._cancel_restart(rt)
            record.manually_stopped = True
            if record.state.Running:
                await self._signal(record, SIGKILL)
                await self._wait_exit(rt, KILL_TIMEOUT)
            record.state.Restarting = False
        if record.state.Running:
            raise Conflict(f"could not kill container {record.id}: it is still running")
        previous = record.state.Status
        record.state.Status = "removing"
        self._save(record)
        try:
            await self.engine.backend.call_required("sockerless_container_remove", "container remove", container=record)
        except BaseException:
            record.state.Status = previous
            self._save(record)
            raise
        self.engine.store.containers.delete(record.id)
        self.engine.images.collect_layers(record.image_layers)
        rt.streams.log.remove()
        shutil.rmtree(self.engine.data_root / "containers" / record.id, ignore_errors=True)
        self._runtimes.pop(record.id, None)
        self.engine.execs.forget_container(record.id)
        self._event(record, "destroy")
        for waiter in rt.removed_waiters + rt.exit_waiters:
            if not waiter.done():
                waiter.set_result(WaitResult(record.state.ExitCode))
        await self.engine.release_volumes(record, remove_anonymous=remove_volumes)

    # -- recovery ----------------------------------------------------------------------------
    async def recover(self) -> None:
        """Startup: containers that were running are exited now (unless the backend kept them)."""
        engine = self.engine
        mine = [c for c in engine.store.containers if c.backend == engine.backend.name]
        alive: list[ContainerRecord] = []
        if engine.backend.implements("sockerless_backend_recover"):
            alive = await engine.backend.call("sockerless_backend_recover", containers=mine,
                                              networks=list(engine.store.networks),
                                              volumes=list(engine.store.volumes)) or []
        alive_ids = {c.id for c in alive}
        if engine.backend.implements("sockerless_container_readopt"):
            for record in alive:
                await self._readopt(record)
        for record in mine:
            if record.id in alive_ids:
                continue
            if record.state.Status == "removing":
                record.state.Status = "dead"
                record.state.Dead = True
                self._save(record)
                continue
            if not (record.state.Running or record.state.Restarting):
                continue
            state = record.state
            state.Running = state.Paused = state.Restarting = False
            state.Pid = 0
            state.ExitCode = 255
            state.Error = CRASH_ERROR
            state.Status = "exited"
            state.FinishedAt = rfc3339_nano(now_ns()) if state.StartedAt != ZERO_TIME else ZERO_TIME
            self._save(record)
        for record in mine:
            if record.id not in alive_ids and not record.state.Running and self._restart_on_boot(record):
                try:
                    await self.start(record)
                except Exception as exc:
                    log.warning("could not restart container %s at startup: %s", record.short_id, exc)

    async def _readopt(self, record: ContainerRecord) -> None:
        """Monitor a container the backend kept alive across a restart."""
        rt = self.runtime(record)
        io = rt.streams.new_run(tty=record.config.Tty, open_stdin=record.config.OpenStdin)
        try:
            process = await self.engine.backend.call("sockerless_container_readopt", container=record, io=io)
        except Exception as exc:
            log.warning("could not follow container %s after the restart: %s", record.short_id, exc)
            process = None
        if process is None:
            rt.streams.force_end()
            return
        rt.process = process
        rt.exited = asyncio.Event()
        rt.started_monotonic = time.monotonic()
        rt.monitor = asyncio.get_running_loop().create_task(self._monitor(record.id, rt, process))
        self.engine.health.start(record)

    def _restart_on_boot(self, record: ContainerRecord) -> bool:
        policy = record.host_config.RestartPolicy.Name
        if record.manually_stopped or not record.has_been_started:
            return False
        if policy in ("always", "unless-stopped"):
            return True
        return policy == "on-failure" and record.state.ExitCode != 0

    async def shutdown(self) -> None:
        """Clean shutdown: containers end with the daemon, and their exits are recorded.

        Restart policies still apply at the next start (``manually_stopped`` stays false).
        """
        for rt in self._runtimes.values():
            self._cancel_restart(rt)
        running = [r for r in self.engine.store.containers if r.state.Running and r.backend == self.engine.backend.name]
        for record in running:
            try:
                await self.engine.backend.call("sockerless_container_kill", container=record, signal=SIGKILL)
            except Exception:
                log.exception("could not stop container %s at shutdown", record.short_id)
        waits = [self._wait_exit(self.runtime(r), SHUTDOWN_TIMEOUT) for r in running]
        if waits:
            await asyncio.gather(*waits)
