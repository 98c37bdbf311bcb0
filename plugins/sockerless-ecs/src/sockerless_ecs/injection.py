"""How the agent gets into a task without the user changing the image.

``host``: the simulator's host runs the agent as installed there (its ``process`` executor
runs commands on the host); with ``host-root=image`` it chroots the command and every exec into a
root made from the image (:class:`sockerless.agent.hostroot.ContainerRoots`). ``image``: every image already holds the agent at ``agent-path``.
``sidecar``: an init container copies the self-contained agent onto a task volume
(:mod:`sockerless_ecs.sidecar`). In every mode the container's entry point is the agent and
its command the container's own ``argv``; the per-run values (the daemon's agent endpoint and
the token) travel as RunTask environment overrides, never in the task definition.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sockerless.agent import hostroot, protocol

from .config import EcsConfig

CONNECT_ENV = "SOCKERLESS_AGENT_CONNECT"
MOUNTS_ENV = "SOCKERLESS_AGENT_MOUNTS"
DNS_SEARCH_ENV = "SOCKERLESS_AGENT_DNS_SEARCH"
MOUNTS_FROM_EXECUTOR = "from-executor"
"""Asks the simulator's process executor to hand the agent the task's mounts (as JSON, in this variable)
instead of refusing them; the agent bind-mounts each into its root."""


@dataclass
class Injection:
    """What injecting the agent adds to one container definition and to its task."""

    entry_point: list[str]
    container_fields: dict[str, Any] = field(default_factory=dict)
    extra_containers: list[dict[str, Any]] = field(default_factory=list)
    volumes: list[dict[str, Any]] = field(default_factory=list)


def agent_flags(container_id: str, tty: bool, stdin: bool) -> list[str]:
    """The agent options fixed for the container's life (the rest comes in the environment)."""
    flags = ["--container", container_id]
    if tty:
        flags.append("--tty")
    if stdin:
        flags.append("--stdin")
    return flags


@dataclass(frozen=True)
class HostRoot:
    """``host-root=image``: the container's root on the host, and what the agent applies inside it."""

    path: str
    workdir: str = ""
    user: str = ""

    def flags(self) -> list[str]:
        """The agent options that chroot the workload (the executor must not apply workdir and user on the host)."""
        return hostroot.agent_flags(Path(self.path), self.workdir, self.user)


def inject(config: EcsConfig, container_id: str, tty: bool, stdin: bool, log_file: str = "",
           root: HostRoot | None = None) -> Injection:
    """The entry point (and sidecar parts) that run the agent in front of the container's command."""
    flags = agent_flags(container_id, tty, stdin)
    if config.agent_injection == "host":
        extra = ["--log-file", log_file] if log_file else []
        return Injection([*config.host_agent(), *flags, *extra, *(root.flags() if root else []), "--"])
    if config.agent_injection == "image":
        return Injection([config.agent_path, *flags, "--"])
    return _sidecar(config, flags)


def _sidecar(config: EcsConfig, flags: list[str]) -> Injection:
    try:
        from . import sidecar
    except ImportError:
        from sockerless.api.errors import NotImplementedByBackend

        raise NotImplementedByBackend("ecs", "agent injection through a sidecar",
                                      "this build has no sockerless_ecs.sidecar; use agent-injection=image") from None
    return sidecar.injection(config, flags)


def mounts_environment(mount_points: list[dict[str, Any]]) -> list[str]:
    """``host-root=image``: the variable that lets the process executor give the agent the task's mounts."""
    return [f"{MOUNTS_ENV}={MOUNTS_FROM_EXECUTOR}"] if mount_points else []


def run_environment(connect_url: str, token: str, dns_search: list[str] | None = None) -> list[dict[str, str]]:
    """The RunTask environment override of the main container: where to dial, the token, and the domains the
    workload's resolver searches (its user networks' namespaces: peers' bare names resolve, as with Docker)."""
    env = [{"name": CONNECT_ENV, "value": connect_url}, {"name": protocol.TOKEN_ENV, "value": token}]
    if dns_search:
        env.append({"name": DNS_SEARCH_ENV, "value": " ".join(dns_search)})
    return env
