"""Helpers of the lambda backend's suites."""

from __future__ import annotations

import time
from pathlib import Path

from daemon import Daemon


def start_lambdad(workdir: Path, sim, registry: str, extra: list[str] | None = None) -> Daemon:
    """``sockerless serve --backend lambda --endpoint-url SIM`` with the test registry as Docker Hub mirror."""
    d = Daemon(workdir, backend="lambda", extra_args=["--endpoint-url", sim.endpoint,
                                                       "--registry-mirror", f"http://{registry}", *(extra or [])])
    d.start()
    d.docker("pull", "alpine", check=True)
    return d


def function_names(sim) -> list[str]:
    """Every function in the simulator."""
    return [f["FunctionName"] for f in sim.client("lambda").list_functions()["Functions"]]


def container_id(d: Daemon, name: str) -> str:
    return d.docker("inspect", "--format", "{{.Id}}", name, check=True).stdout.decode().strip()


def function_of(d: Daemon, name: str) -> str:
    """The function of a container (the backend's default prefix)."""
    return "sockerless-" + container_id(d, name)[:32]


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.1):
    """Poll until ``predicate()`` is truthy; returns its value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")
