"""The executor contract shared by ECS tasks and Lambda function instances."""

from __future__ import annotations

import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

OutputSink = Callable[[str, str], None]
"""Receives ``(stream, line)`` with stream ``"stdout"`` or ``"stderr"``, line without its newline."""


class StartFailure(Exception):
    """The workload could not start; the message is what the cloud reports as the reason."""


@dataclass(frozen=True)
class Mount:
    """A host directory seen by the workload at ``target`` (a task volume or an EFS access point)."""

    volume: str
    source: Path
    target: str
    read_only: bool = False


@dataclass
class WorkloadSpec:
    """One container to run: what the task definition or function configuration asks for."""

    name: str
    image: str
    entrypoint: list[str] | None = None
    command: list[str] | None = None
    env: dict[str, str] = field(default_factory=dict)
    workdir: str = ""
    user: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    memory_mib: int | None = None
    mounts: list[Mount] = field(default_factory=list)
    group: str = ""
    """Workloads of one group (an ECS task) share a network namespace where the executor can do that."""

    @property
    def argv(self) -> list[str]:
        """Entrypoint then command, as a process executor runs them (the image's defaults are unknown)."""
        return [*(self.entrypoint or []), *(self.command or [])]


class Workload(Protocol):
    """A started workload."""

    runtime_id: str
    """The executor's id for it (process id or container id)."""

    def wait(self, timeout: float | None = None) -> int | None:
        """Block until it exits (or the timeout passes); its exit code as Docker reports it, or None."""

    def signal(self, signum: int) -> None:
        """Deliver a signal; no error if it already exited."""


class Executor(Protocol):
    """Starts workloads."""

    name: str

    def start(self, spec: WorkloadSpec, output: OutputSink) -> Workload:
        """Start ``spec``; raise :class:`StartFailure` with a cloud-style reason when it cannot."""

    def reap(self, runtime_id: str) -> None:
        """Kill a workload left over from before a simulator restart, if it still runs."""

    def check(self, workload: Workload, argv: list[str], timeout: float) -> int | None:
        """Run a health check command where the workload runs; its exit code, None on timeout."""

    def release(self, group: str) -> None:
        """Free what the executor holds for a group once all its workloads exited."""


def exit_status(returncode: int) -> int:
    """A process return code as a container exit code: death by signal N becomes 128+N."""
    return 128 - returncode if returncode < 0 else returncode


def stop(workload: Workload, timeout: float) -> int | None:
    """SIGTERM, then SIGKILL after ``timeout`` seconds; the exit code."""
    workload.signal(signal.SIGTERM)
    code = workload.wait(timeout)
    if code is None:
        workload.signal(signal.SIGKILL)
        code = workload.wait(30)
    return code
