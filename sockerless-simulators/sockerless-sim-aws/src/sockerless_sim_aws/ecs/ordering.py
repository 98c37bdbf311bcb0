"""Container ordering (``dependsOn``) and health checks as the ECS agent resolves them.

A container starts once each of its dependencies is met: ``START`` (the dependency started),
``COMPLETE`` (it exited), ``SUCCESS`` (it exited 0), ``HEALTHY`` (its health check passed).
A dependency that can never be met (a SUCCESS dependency exited non-zero, a HEALTHY one
exited or turned unhealthy, a dependency that never started, ``startTimeout`` passed) stops
the dependent container without starting it, with exit code 143 and a
``CannotStartContainerError: dependency graph: ...`` reason; if it is essential, the task stops.
At shutdown the order is reversed: a container is stopped after the ones that depend on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..protocol.errors import AWSError

CONDITIONS = ("START", "COMPLETE", "SUCCESS", "HEALTHY")
HEALTH_LIMITS = {"interval": (5, 300, 30), "timeout": (2, 60, 5), "retries": (1, 10, 3), "startPeriod": (0, 300, 0)}
DEPENDENCY_EXIT_CODE = 143
MET, WAIT, NEVER = "met", "wait", "never"


def _client_error(message: str) -> AWSError:
    return AWSError("ClientException", message)


def validate(containers: list[dict[str, Any]]) -> None:
    """RegisterTaskDefinition's checks of essential flags, ``dependsOn`` and ``healthCheck``."""
    by_name = {c.get("name"): c for c in containers}
    if not any(c.get("essential", True) for c in containers):
        raise _client_error("Task definition must have at least one essential container.")
    for container in containers:
        if container.get("healthCheck") is not None:
            health_check(container)
        for dep in container.get("dependsOn") or []:
            target = by_name.get(dep.get("containerName"))
            if target is None:
                raise _client_error(f"Container '{container['name']}' depends on an unknown container "
                                    f"'{dep.get('containerName')}'.")
            condition = dep.get("condition")
            if condition not in CONDITIONS:
                raise _client_error(f"Invalid dependency condition '{condition}' (valid: {', '.join(CONDITIONS)}).")
            if condition in ("SUCCESS", "COMPLETE") and target.get("essential", True):
                raise _client_error("A dependency container with SUCCESS or COMPLETE condition cannot be an "
                                    "essential container")
            if condition == "HEALTHY" and not target.get("healthCheck"):
                raise _client_error(f"Container '{target['name']}' has no healthCheck: the HEALTHY dependency "
                                    f"condition of container '{container['name']}' cannot be met.")
    _check_cycles(by_name)


def _check_cycles(by_name: dict[str, dict[str, Any]]) -> None:
    state: dict[str, int] = {}

    def visit(name: str) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            raise _client_error(f"Container dependency cycle detected involving container '{name}'.")
        state[name] = 1
        for dep in by_name[name].get("dependsOn") or []:
            visit(dep["containerName"])
        state[name] = 2

    for name in by_name:
        visit(name)


@dataclass(frozen=True)
class HealthCheck:
    """A container's ``healthCheck`` with ECS's defaults."""

    argv: list[str]
    interval: float
    timeout: float
    retries: int
    start_period: float


def health_check(definition: dict[str, Any]) -> HealthCheck | None:
    """The container's health check (``CMD-SHELL cmd`` runs ``/bin/sh -c cmd``), None without one."""
    spec = definition.get("healthCheck")
    if not spec:
        return None
    command = spec.get("command") or []
    if len(command) < 2 or command[0] not in ("CMD", "CMD-SHELL"):
        raise _client_error("healthCheck.command must start with CMD or CMD-SHELL followed by the command.")
    values = {}
    for key, (low, high, default) in HEALTH_LIMITS.items():
        value = spec.get(key, default)
        if not isinstance(value, int) or not low <= value <= high:
            raise _client_error(f"healthCheck.{key} must be an integer between {low} and {high}.")
        values[key] = value
    argv = ["/bin/sh", "-c", command[1]] if command[0] == "CMD-SHELL" else list(command[1:])
    return HealthCheck(argv, values["interval"], values["timeout"], values["retries"], values["startPeriod"])


@dataclass
class ContainerProgress:
    """What the ordering needs to know of one container of a running task."""

    started: bool = False
    stopped: bool = False
    exit_code: int | None = None
    health: str = "UNKNOWN"


@dataclass
class Ordering:
    """The dependency graph of one task and the progress of its containers."""

    definitions: dict[str, dict[str, Any]]
    progress: dict[str, ContainerProgress] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.progress = {name: ContainerProgress() for name in self.definitions}

    def dependencies(self, name: str) -> list[dict[str, str]]:
        """The container's ``dependsOn`` list."""
        return list(self.definitions[name].get("dependsOn") or [])

    def readiness(self, name: str) -> tuple[str, str]:
        """MET when every dependency is met, NEVER (with the reason) when one cannot be, else WAIT."""
        verdict = MET
        for dep in self.dependencies(name):
            state = _condition(dep["condition"], self.progress[dep["containerName"]])
            if state == NEVER:
                return NEVER, self.failure(name, dep)
            if state == WAIT:
                verdict = WAIT
        return verdict, ""

    def failure(self, name: str, dep: dict[str, str], why: str = "") -> str:
        """The agent's reason for a dependency that cannot be resolved."""
        other = self.progress[dep["containerName"]]
        status = "STOPPED" if other.stopped else "RUNNING" if other.started else "PENDING"
        exit_part = f" - Exit: {other.exit_code}" if other.exit_code is not None else ""
        why = why or {"START": "dependency did not start", "COMPLETE": "dependency did not complete",
                      "SUCCESS": "dependency did not exit successfully",
                      "HEALTHY": "dependency did not become healthy"}[dep["condition"]]
        return (f"CannotStartContainerError: dependency graph: failed to resolve container ordering dependency "
                f"[{dep['containerName']} ({status}){exit_part}] for target [{name}] as {why}.")

    def waiting_on(self, name: str) -> dict[str, str] | None:
        """The first dependency not met yet (for a startTimeout reason)."""
        for dep in self.dependencies(name):
            if _condition(dep["condition"], self.progress[dep["containerName"]]) != MET:
                return dep
        return None

    def stop_order(self, names: set[str]) -> list[list[str]]:
        """Groups to stop one after the other: dependents before their dependencies."""
        remaining, groups = set(names), []
        while remaining:
            needed = {d["containerName"] for n in remaining for d in self.dependencies(n)}
            group = sorted(remaining - needed) or sorted(remaining)
            groups.append(group)
            remaining -= set(group)
        return groups


def _condition(condition: str, other: ContainerProgress) -> str:
    if condition == "START":
        return MET if other.started else NEVER if other.stopped else WAIT
    if condition == "COMPLETE":
        if other.stopped:
            return MET if other.exit_code is not None and other.started else NEVER
        return WAIT
    if condition == "SUCCESS":
        if other.stopped:
            return MET if other.exit_code == 0 and other.started else NEVER
        return WAIT
    if other.health == "HEALTHY":
        return MET
    return NEVER if other.stopped or other.health == "UNHEALTHY" else WAIT
