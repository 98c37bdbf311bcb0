"""One AWS simulator per test session and one ``sockerless serve --backend ecs`` per test module.

The simulator runs tasks with its default ``process`` executor and the backend injects the
agent as installed on this host (``agent-injection=host``), so every container's command
runs on this machine; the suites run as root, so each container is chrooted into a root made
from its image (``host-root=image``) and the commands of the tests are those of the shared
busybox images.
Images come from the shared real registry (``services``) through a registry mirror.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]
sys.path[:0] = [str(Path(__file__).resolve().parent), str(REPO / "tests"), str(REPO / "tests" / "clients")]

from awssim import SimulatorProcess, start_simulator  # noqa: E402
from daemon import Daemon  # noqa: E402
from ecs_support import PULL_SECRET, start_ecs_daemon  # noqa: E402
from polling import wait_for as poll_until  # noqa: E402


@pytest.fixture(scope="session")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatorProcess]:
    """The shared simulator of this session."""
    simulator = start_simulator(tmp_path_factory.mktemp("ecs-sim"))
    yield simulator
    simulator.stop()


@pytest.fixture(scope="module")
def ecsd(tmp_path_factory: pytest.TempPathFactory, sim: SimulatorProcess, services: dict[str, str]) -> Iterator[Daemon]:
    """The module's daemon on the ecs backend."""
    d = start_ecs_daemon(tmp_path_factory.mktemp("ecsd"), sim, services["registry"],
                         "--backend-opt", f"repository-credentials={PULL_SECRET}")
    yield d
    d.remove_all_containers()
    d.stop()


@pytest.fixture
def name() -> str:
    """A unique container name for one test."""
    return f"ecs-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def wait_for() -> Callable[..., Any]:
    """``wait_for(fn, timeout)``: poll until ``fn()`` is truthy; its value."""

    def wait(fn: Callable[[], Any], timeout: float = 30.0, interval: float = 0.1) -> Any:
        return poll_until(fn, timeout, interval)

    return wait


@pytest.fixture(scope="session")
def ecs_leftovers(sim: SimulatorProcess) -> Callable[[str], dict[str, list[str]]]:
    """``ecs_leftovers(container_id)``: the task definitions (any status) and running tasks still there for it."""
    ecs = sim.client("ecs")

    def leftovers(container_id: str) -> dict[str, list[str]]:
        family = f"sockerless-{container_id[:12]}"
        definitions = [arn for status in ("ACTIVE", "INACTIVE", "DELETE_IN_PROGRESS")
                       for arn in ecs.list_task_definitions(familyPrefix=family, status=status)["taskDefinitionArns"]]
        running = ecs.list_tasks(cluster="sockerless", desiredStatus="RUNNING")["taskArns"]
        mine = []
        if running:
            described = ecs.describe_tasks(cluster="sockerless", tasks=running, include=["TAGS"])["tasks"]
            mine = [t["taskArn"] for t in described
                    if {"key": "sockerless:container", "value": container_id} in t.get("tags", [])]
        return {"task_definitions": definitions, "running_tasks": mine}

    return leftovers
