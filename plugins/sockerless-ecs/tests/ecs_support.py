"""Helpers of the ECS suites: starting daemons on the ecs backend and clearing them."""

from __future__ import annotations

from pathlib import Path

from awssim import SimulatorProcess
from daemon import Daemon


def start_ecs_daemon(workdir: Path, sim: SimulatorProcess, registry: str, *extra: str) -> Daemon:
    """A daemon on the ecs backend pointed at ``sim``, with ``alpine`` pulled through the registry mirror."""
    d = Daemon(workdir, backend="ecs", extra_args=["--endpoint-url", sim.endpoint, "--registry-mirror",
                                                   f"http://{registry}", *extra])
    d.start()
    if d.docker("image", "inspect", "alpine").returncode != 0:
        d.docker("pull", "alpine", check=True)
    return d


def remove_all(d: Daemon) -> None:
    """Remove every container the daemon still has."""
    leftover = d.docker("ps", "-aq").stdout.decode().split()
    if leftover:
        d.docker("rm", "-f", *leftover, timeout=120)

