"""A container record as an ECS Fargate task definition: pure translation, no AWS calls.

Fargate accepts only certain CPU/memory pairs; what ``HostConfig`` asks for is rounded up to
the smallest valid pair. Ports come from ``ExposedPorts`` and ``PortBindings`` (in ``awsvpc``
mode the host port equals the container port). Logs go to CloudWatch through ``awslogs``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

MIB = 1024 * 1024
CPU_UNITS_PER_CORE = 1024
DEFAULT_CPU = 256
DEFAULT_MEMORY = 512
LOG_STREAM_PREFIX = "sockerless"
FAMILY_PREFIX = "sockerless-"
MIN_STOP_TIMEOUT, MAX_STOP_TIMEOUT, DEFAULT_STOP_TIMEOUT = 2, 120, 10

FARGATE_SIZES: tuple[tuple[int, tuple[int, ...]], ...] = (
    # (cpu units, the memory sizes in MiB valid with it), from the Fargate task size table
    (256, (512, 1024, 2048)),
    (512, tuple(range(1024, 4096 + 1, 1024))),
    (1024, tuple(range(2048, 8192 + 1, 1024))),
    (2048, tuple(range(4096, 16384 + 1, 1024))),
    (4096, tuple(range(8192, 30720 + 1, 1024))),
    (8192, tuple(range(16384, 61440 + 1, 4096))),
    (16384, tuple(range(32768, 122880 + 1, 8192))),
)

_NAME_CHARS = re.compile(r"[^A-Za-z0-9_-]")


class TaskDefinitionError(ValueError):
    """The container asks for something a Fargate task definition cannot express."""


def requested_cpu_units(nano_cpus: int = 0, cpu_quota: int = 0, cpu_period: int = 0) -> int:
    """The CPU units (1024 per core) that ``--cpus`` or ``--cpu-quota``/``--cpu-period`` ask for; 0 for none."""
    if nano_cpus > 0:
        return math.ceil(nano_cpus * CPU_UNITS_PER_CORE / 1_000_000_000)
    if cpu_quota > 0:
        period = cpu_period if cpu_period > 0 else 100_000
        return math.ceil(cpu_quota * CPU_UNITS_PER_CORE / period)
    return 0


def fargate_size(cpu_units: int = 0, memory_bytes: int = 0) -> tuple[int, int]:
    """The smallest valid Fargate ``(cpu, memory MiB)`` with at least the requested CPU and memory.

    Nothing requested gives the defaults (256 CPU units, 512 MiB).
    """
    memory_mib = math.ceil(memory_bytes / MIB) if memory_bytes > 0 else 0
    if cpu_units <= 0 and memory_mib <= 0:
        return DEFAULT_CPU, DEFAULT_MEMORY
    for cpu, memories in FARGATE_SIZES:
        if cpu < cpu_units:
            continue
        for memory in memories:
            if memory >= memory_mib:
                return cpu, memory
    top_cpu, top_memories = FARGATE_SIZES[-1]
    raise TaskDefinitionError(
        f"Fargate offers at most {top_cpu // CPU_UNITS_PER_CORE} vCPUs and {top_memories[-1] // 1024} GiB of memory; "
        f"the container asks for {cpu_units / CPU_UNITS_PER_CORE:g} vCPUs and {memory_mib} MiB")


def port_mappings(exposed: Iterable[str] | None, bindings: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """``portMappings`` for ``ExposedPorts`` keys and ``PortBindings`` keys (``"80/tcp"``, ``"53/udp"``).

    In ``awsvpc`` mode the host port is the container port, so the host ports a client asks
    for cannot be honoured (the core warns about published ports already). Port ranges and
    SCTP are refused: ECS has neither.
    """
    seen: dict[tuple[int, str], dict[str, Any]] = {}
    for spec in [*(exposed or []), *(bindings or {})]:
        port_text, _, protocol = str(spec).partition("/")
        protocol = (protocol or "tcp").lower()
        if protocol not in ("tcp", "udp"):
            raise TaskDefinitionError(f"ECS port mappings support tcp and udp, not {protocol} (port {spec})")
        if "-" in port_text:
            raise TaskDefinitionError(f"ECS port mappings cannot express the port range {spec}")
        try:
            port = int(port_text)
        except ValueError:
            raise TaskDefinitionError(f"invalid port {spec!r}") from None
        if not 1 <= port <= 65535:
            raise TaskDefinitionError(f"invalid port {spec!r}")
        seen.setdefault((port, protocol), {"containerPort": port, "hostPort": port, "protocol": protocol})
    return sorted(seen.values(), key=lambda m: (m["containerPort"], m["protocol"]))


def environment(env: Iterable[str] | None) -> list[dict[str, str]]:
    """``KEY=VALUE`` entries as ECS ``environment`` (later duplicates win, as in Docker)."""
    values: dict[str, str] = {}
    for entry in env or []:
        key, sep, value = entry.partition("=")
        if sep and key:
            values[key] = value
    return [{"name": k, "value": v} for k, v in values.items()]


def family(container_id: str) -> str:
    """The task definition family of a container: ``sockerless-<12-char id>``."""
    return FAMILY_PREFIX + container_id[:12]


def container_name(name: str) -> str:
    """A Docker name as an ECS container name (letters, digits, ``-`` and ``_``, at most 255)."""
    cleaned = _NAME_CHARS.sub("-", name.lstrip("/"))[:255]
    return cleaned or "main"


def stop_timeout(configured: int | None) -> int:
    """The container's stop timeout as ECS takes it (Fargate: 2 to 120 seconds)."""
    value = DEFAULT_STOP_TIMEOUT if configured is None or configured < 0 else configured
    return max(MIN_STOP_TIMEOUT, min(MAX_STOP_TIMEOUT, value))


def runtime_platform(architecture: str) -> dict[str, str]:
    """``runtimePlatform`` for an image's architecture (Fargate runs Linux on x86-64 and ARM64)."""
    cpu = {"amd64": "X86_64", "x86_64": "X86_64", "arm64": "ARM64", "aarch64": "ARM64"}.get(architecture.lower())
    if cpu is None:
        raise TaskDefinitionError(f"Fargate runs x86-64 and ARM64 images, not {architecture}")
    return {"cpuArchitecture": cpu, "operatingSystemFamily": "LINUX"}


def log_stream(name: str, task_arn: str) -> str:
    """The CloudWatch stream ``awslogs`` writes a container of a task to: ``PREFIX/NAME/TASK_ID``."""
    return f"{LOG_STREAM_PREFIX}/{name}/{task_arn.rsplit('/', 1)[-1]}"


@dataclass
class ContainerSpec:
    """One container definition, in Docker's terms."""

    name: str
    image: str
    entry_point: list[str]
    command: list[str]
    env: list[str] = field(default_factory=list)
    workdir: str = ""
    user: str = ""
    ports: list[dict[str, Any]] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    stop_timeout: int = DEFAULT_STOP_TIMEOUT
    essential: bool = True
    extra: dict[str, Any] = field(default_factory=dict)
    """Further container-definition fields (mountPoints, dependsOn, ...) merged in as they are."""


def container_definition(spec: ContainerSpec, log_group: str, region: str) -> dict[str, Any]:
    """The ``containerDefinitions`` entry of ``spec``."""
    definition: dict[str, Any] = {
        "name": spec.name, "image": spec.image, "essential": spec.essential,
        "entryPoint": list(spec.entry_point), "command": list(spec.command),
        "environment": environment(spec.env), "portMappings": list(spec.ports),
        "stopTimeout": spec.stop_timeout,
        "logConfiguration": {"logDriver": "awslogs", "options": {
            "awslogs-group": log_group, "awslogs-region": region, "awslogs-stream-prefix": LOG_STREAM_PREFIX}},
    }
    if not definition["entryPoint"]:
        del definition["entryPoint"]
    if not definition["command"]:
        del definition["command"]
    if spec.workdir:
        definition["workingDirectory"] = spec.workdir
    if spec.user:
        definition["user"] = spec.user
    if spec.labels:
        definition["dockerLabels"] = dict(spec.labels)
    definition.update(spec.extra)
    return definition


@dataclass
class TaskSpec:
    """A whole task definition: its family, size, roles, containers and tags."""

    family: str
    containers: list[ContainerSpec]
    cpu: int = DEFAULT_CPU
    memory: int = DEFAULT_MEMORY
    execution_role_arn: str = ""
    task_role_arn: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    volumes: list[dict[str, Any]] = field(default_factory=list)


def register_request(task: TaskSpec, log_group: str, region: str) -> dict[str, Any]:
    """The ``RegisterTaskDefinition`` parameters of ``task`` (Fargate, ``awsvpc``)."""
    return task_request(task.family, [container_definition(c, log_group, region) for c in task.containers],
                        cpu=task.cpu, memory=task.memory, execution_role_arn=task.execution_role_arn,
                        task_role_arn=task.task_role_arn, tags=task.tags, volumes=task.volumes)


def task_request(family: str, definitions: list[dict[str, Any]], *, cpu: int, memory: int,
                 execution_role_arn: str = "", task_role_arn: str = "", tags: Mapping[str, str] | None = None,
                 volumes: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """``RegisterTaskDefinition`` parameters for ready container definitions (Fargate, ``awsvpc``)."""
    request: dict[str, Any] = {
        "family": family, "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
        "cpu": str(cpu), "memory": str(memory), "containerDefinitions": list(definitions),
    }
    if execution_role_arn:
        request["executionRoleArn"] = execution_role_arn
    if task_role_arn:
        request["taskRoleArn"] = task_role_arn
    if volumes:
        request["volumes"] = list(volumes)
    if tags:
        request["tags"] = [{"key": k, "value": v} for k, v in tags.items()]
    return request
