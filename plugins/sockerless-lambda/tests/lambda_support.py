"""Helpers of the lambda backend's suites."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from daemon import Daemon
from polling import wait_for  # noqa: F401  (re-exported to the lambda suites)


def start_lambdad(workdir: Path, sim, registry: str, extra: list[str] | None = None) -> Daemon:
    """``sockerless serve --backend lambda --endpoint-url SIM`` with the test registry as Docker Hub mirror."""
    d = Daemon(workdir, backend="lambda", extra_args=["--endpoint-url", sim.endpoint,
                                                       "--registry-mirror", f"http://{registry}", *(extra or [])])
    d.start()
    d.docker("pull", "alpine", check=True)
    return d


def module_daemon(tmp_path_factory, sim, registry: str, name: str, extra: list[str] | None = None) -> Iterator[Daemon]:
    """The body of a module's daemon fixture (``yield from``): started, then emptied and stopped."""
    d = start_lambdad(tmp_path_factory.mktemp(name), sim, registry, extra)
    yield d
    d.remove_all_containers()
    d.stop()


def function_names(sim) -> list[str]:
    """Every function in the simulator."""
    return [f["FunctionName"] for f in sim.client("lambda").list_functions()["Functions"]]


def container_id(d: Daemon, name: str) -> str:
    return d.docker("inspect", "--format", "{{.Id}}", name, check=True).stdout.decode().strip()


def function_of(d: Daemon, name: str) -> str:
    """The function of a container (the backend's default prefix)."""
    return "sockerless-" + container_id(d, name)[:32]


