"""The types a backend deals in: what it declares, what it is given, what it returns."""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable


class Capability(enum.StrEnum):
    """Operations a backend may support; the core refuses the others with 501 up front."""

    EXEC = "exec"
    ATTACH = "attach"
    """``docker attach`` to a container already running (attaching before the start always works)."""
    TTY = "tty"
    STDIN = "stdin"
    SIGNALS = "signals"
    PAUSE = "pause"
    RESIZE = "resize"
    TOP = "top"
    NETWORKS = "networks"
    VOLUMES = "volumes"
    BIND_MOUNTS = "bind-mounts"
    ARCHIVE = "archive"
    PODS = "pods"
    RESTART = "restart"
    STATS = "stats"
    CHANGES = "changes"
    """The container's filesystem changes can be listed and exported as a layer (diff, commit, build)."""


@dataclass(frozen=True)
class BackendInfo:
    """What a backend tells the core (and ``docker info``) about itself."""

    name: str
    capabilities: frozenset[Capability]
    driver: str = ""
    """``Driver`` in ``docker info`` (the storage or execution driver name)."""
    operating_system: str = ""
    os_type: str = "linux"
    architecture: str = ""
    ncpu: int = 0
    mem_total: int = 0
    honoured_resources: frozenset[str] = frozenset()
    """``HostConfig`` resource fields the backend enforces; others draw a create warning."""

    def supports(self, capability: Capability) -> bool:
        """True when the backend declared ``capability``."""
        return capability in self.capabilities


@dataclass
class BackendContext:
    """What the core gives a backend factory."""

    data_dir: Path
    """A directory owned by this backend, under the daemon's data root."""
    loop: asyncio.AbstractEventLoop
    options: dict[str, str] = field(default_factory=dict)
    """``--backend-opt KEY=VALUE`` settings from the command line (plus the config file)."""
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("sockerless.backend"))
    layer_path: Callable[[str], Path] | None = None
    """Maps an image layer id to the directory holding its unpacked files."""
    workload_group: Callable[[Any], list[Any]] | None = None
    """``workload_group(container)``: every container that must run in the same workload as
    ``container`` (itself included, in creation order): its pod's members, or the containers
    joined to it through ``NetworkMode=container:<id>`` (see the core README, "Pods")."""
    agents: Any = None
    """The daemon's :class:`~sockerless.agent.hub.AgentHub` (agent connections, the reverse-mode endpoint)."""


@dataclass(frozen=True)
class BackendSpec:
    """A backend offered by a plugin: ``factory(context)`` builds the active instance.

    The instance is then registered as a pluggy plugin, so its ``@hookimpl`` methods
    implement the backend hooks of :mod:`sockerless.plugins.hookspecs`.
    """

    name: str
    factory: Callable[[BackendContext], Any]
    description: str = ""


@dataclass(frozen=True)
class ExitResult:
    """How a container's main process (or an exec) ended."""

    code: int
    oom_killed: bool = False
    error: str = ""


@runtime_checkable
class RunningProcess(Protocol):
    """A process a backend has started: the main process of a container, or an exec."""

    pid: int

    async def wait(self) -> ExitResult:
        """Return once the process has ended."""
        ...


@dataclass(frozen=True)
class ContainerStats:
    """One resource sample of a running container (``GET /containers/{id}/stats``).

    Report only what the backend really measures; leave the rest ``None`` (shown as zero
    or absent, never invented).
    """

    cpu_total_ns: int
    """CPU time used by all of the container's processes since its start."""
    cpu_user_ns: int | None = None
    cpu_system_ns: int | None = None
    memory_usage: int | None = None
    memory_limit: int | None = None
    memory_stats: dict[str, int] = field(default_factory=dict)
    pids: int | None = None
    networks: dict[str, dict[str, int]] = field(default_factory=dict)
    """Per interface: ``rx_bytes``, ``rx_packets``, ``rx_errors``, ``rx_dropped`` and the ``tx_`` ones."""
    blkio_read: int | None = None
    blkio_write: int | None = None


@dataclass(frozen=True)
class TopResult:
    """The answer of ``GET /containers/{id}/top``."""

    titles: list[str]
    processes: list[list[str]]


class BackendConfigError(RuntimeError):
    """A backend's settings are wrong or incomplete: the daemon refuses to start and prints the message."""


class StartError(Exception):
    """A backend could not start the program (Docker: exit code 126/127 plus a 400 reply)."""

    def __init__(self, message: str, exit_code: int = 127) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
