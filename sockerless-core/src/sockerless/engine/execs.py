"""Exec instances: ``docker exec`` (create, start, inspect, resize) and internal execs."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..api.errors import Conflict, InvalidParameter, no_such_exec
from ..api.models.execs import ExecCreateRequest
from ..plugins.backend import Capability, RunningProcess, StartError
from .containers import labels_of
from .ids import new_id
from .records import ContainerRecord
from .stdio import OutputStream, ProcessIO

if TYPE_CHECKING:
    from .daemon import Engine

MAX_EXECS_PER_CONTAINER = 1024
EXEC_START_FAILED = 126
"""The exit code dockerd records for an exec whose process could not be started."""


@dataclass
class ExecInstance:
    """One ``docker exec`` instance."""

    id: str
    container_id: str
    config: ExecCreateRequest
    running: bool = False
    started: bool = False
    exit_code: int | None = None
    pid: int = 0
    process: RunningProcess | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def describe(self) -> str:
        """``sh -c ls`` (used in event names)."""
        return " ".join(self.config.Cmd or [])


class ExecService:
    """Exec instances (kept in memory, as Docker does)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._execs: dict[str, ExecInstance] = {}

    def find(self, exec_id: str) -> ExecInstance:
        """An exec by id; 404 otherwise."""
        instance = self._execs.get(exec_id)
        if instance is None:
            raise no_such_exec(exec_id)
        return instance

    def create(self, record: ContainerRecord, request: ExecCreateRequest) -> ExecInstance:
        """``POST /containers/{id}/exec``."""
        backend = self.engine.backend
        backend.require(Capability.EXEC, "exec")
        if request.Tty:
            backend.require(Capability.TTY, "exec with a TTY")
        if not record.state.Running:
            raise Conflict(f"container {record.id} is not running")
        if record.state.Paused:
            raise Conflict(f"container {record.id} is paused, unpause the container before exec")
        if record.state.Restarting:
            raise Conflict(f"container {record.id} is restarting, wait until the container is running")
        if not request.Cmd:
            raise InvalidParameter("No exec command specified")
        for entry in request.Env or []:
            if "=" not in entry or entry.startswith("="):
                raise InvalidParameter(f"invalid environment variable: {entry}")
        rt = self.engine.lifecycle.runtime(record)
        if len(rt.exec_ids) >= MAX_EXECS_PER_CONTAINER:
            self._forget_finished(rt.exec_ids)
        instance = ExecInstance(id=new_id(), container_id=record.id, config=request)
        self._execs[instance.id] = instance
        rt.exec_ids.append(instance.id)
        self._event(record, f"exec_create: {instance.describe()}", instance)
        return instance

    def _forget_finished(self, ids: list[str]) -> None:
        for exec_id in list(ids):
            instance = self._execs.get(exec_id)
            if instance is not None and instance.started and not instance.running:
                ids.remove(exec_id)
                self._execs.pop(exec_id, None)

    def forget_container(self, container_id: str) -> None:
        """The container is gone: so are its execs."""
        for exec_id in [e.id for e in self._execs.values() if e.container_id == container_id]:
            self._execs.pop(exec_id, None)

    def _event(self, record: ContainerRecord, action: str, instance: ExecInstance, **extra: str) -> None:
        attrs = labels_of(record)
        attrs["execID"] = instance.id
        attrs.update(extra)
        self.engine.events.publish("container", action, record.id, attrs)

    async def start(self, instance: ExecInstance, io: ProcessIO) -> RunningProcess:
        """Start the exec with ``io`` as its streams; returns the running process."""
        if instance.started:
            state = "is already running" if instance.running else "has already run"
            raise Conflict(f"Error: Exec command {instance.id} {state}")
        record = self.engine.containers.find(instance.container_id)
        if not record.state.Running:
            raise Conflict(f"container {record.id} is not running")
        config = instance.config
        instance.started = True
        instance.running = True
        try:
            process = await self.engine.backend.call_required(
                "sockerless_exec_start", "exec",
                container=record, exec_id=instance.id, argv=list(config.Cmd or []), env=list(config.Env or []),
                workdir=config.WorkingDir, user=config.User, tty=config.Tty, privileged=config.Privileged, io=io,
            )
        except StartError as exc:
            # dockerd records 126 for an exec that could not start, whatever the reason
            # (a container's own command gets 126/127 as a shell would)
            instance.running = False
            instance.exit_code = EXEC_START_FAILED
            instance.done.set()
            io.stdout.close()
            io.stderr.close()
            raise InvalidParameter(exc.message) from None
        except BaseException:
            instance.running = False
            instance.exit_code = 126
            instance.done.set()
            io.stdout.close()
            io.stderr.close()
            raise
        instance.process = process
        instance.pid = getattr(process, "pid", 0)
        self._event(record, f"exec_start: {instance.describe()}", instance)
        return process

    async def finish(self, instance: ExecInstance, process: RunningProcess) -> int:
        """Wait for the exec to end and record its exit code (before its stream closes)."""
        try:
            result = await process.wait()
            code = result.code
        except Exception:
            code = 126
        instance.exit_code = code
        instance.running = False
        instance.done.set()
        record = self.engine.store.containers.get(instance.container_id)
        if record is not None:
            self._event(record, "exec_die", instance, exitCode=str(code))
        return code

    async def resize(self, instance: ExecInstance, height: int, width: int) -> None:
        """``POST /exec/{id}/resize``."""
        self.engine.backend.require(Capability.RESIZE, "exec resize")
        if not instance.running:
            raise Conflict(f"Exec {instance.id} is not running")
        record = self.engine.containers.find(instance.container_id)
        await self.engine.backend.call_required("sockerless_exec_resize", "exec resize", container=record,
                                                exec_id=instance.id, height=height, width=width)

    def inspect(self, instance: ExecInstance) -> dict[str, Any]:
        """``GET /exec/{id}/json``."""
        config = instance.config
        cmd = list(config.Cmd or [])
        return {
            "CanRemove": False,
            "ContainerID": instance.container_id,
            "DetachKeys": config.DetachKeys,
            "ExitCode": instance.exit_code,
            "ID": instance.id,
            "OpenStderr": config.AttachStderr,
            "OpenStdin": config.AttachStdin,
            "OpenStdout": config.AttachStdout,
            "ProcessConfig": {
                "arguments": cmd[1:],
                "entrypoint": cmd[0] if cmd else "",
                "privileged": config.Privileged,
                "tty": config.Tty,
                "user": config.User,
            },
            "Running": instance.running,
            "Pid": instance.pid,
        }

    async def run_internal(self, record: ContainerRecord, argv: list[str], timeout: float) -> tuple[int, str]:
        """Run a command for the daemon itself (health checks): (exit code, combined output)."""
        if self.engine.backend.implements("sockerless_exec_probe"):
            try:
                return await self.engine.backend.call("sockerless_exec_probe", container=record, argv=argv, timeout=timeout)
            except StartError as exc:
                return exc.exit_code, exc.message
        output = bytearray()
        loop = asyncio.get_running_loop()
        closed = [asyncio.Event(), asyncio.Event()]

        def collect(chunks: list[tuple[int, bytes]]) -> None:
            for _, data in chunks:
                if len(output) < 1 << 16:
                    output.extend(data)

        stdout = OutputStream(loop, collect, closed[0].set)
        stderr = OutputStream(loop, collect, closed[1].set)
        try:
            process = await self.engine.backend.call_required(
                "sockerless_exec_start", "exec", container=record, exec_id=new_id(), argv=argv, env=[],
                workdir="", user="", tty=False, privileged=False,
                io=ProcessIO(stdin=None, stdout=stdout, stderr=stderr),
            )
        except StartError as exc:
            return exc.exit_code, exc.message
        except Exception as exc:
            return 1, f"health check could not start: {exc}"
        try:
            result = await asyncio.wait_for(process.wait(), timeout)
        except TimeoutError:
            kill = getattr(process, "kill", None)
            if kill is not None:
                kill()
            return -1, f"Health check exceeded timeout ({timeout:g}s)"
        try:  # the output streams end right after the process
            await asyncio.wait_for(asyncio.gather(*(event.wait() for event in closed)), 2.0)
        except TimeoutError:
            pass
        return result.code, output.decode("utf-8", "replace")
