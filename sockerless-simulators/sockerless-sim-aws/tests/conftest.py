"""A really started ``sockerless sim aws`` per test session, and boto3 clients for it."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests"))

from awssim import CREDENTIALS, SimulatorProcess, start_simulator  # noqa: F401
from polling import wait_for as poll_until


@pytest.fixture(scope="session")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatorProcess]:
    """The shared simulator of this test session."""
    simulator = start_simulator(tmp_path_factory.mktemp("sim-aws"))
    yield simulator
    simulator.stop()


@pytest.fixture
def start_sim() -> Iterator[Callable[..., SimulatorProcess]]:
    """``start_sim(data_dir, *args)``: private simulators for one test, killed at teardown."""
    started: list[SimulatorProcess] = []

    def start(data_dir: Path, *args: str) -> SimulatorProcess:
        simulator = start_simulator(data_dir, *args)
        started.append(simulator)
        return simulator

    yield start
    for simulator in started:
        simulator.stop(9)


@pytest.fixture
def wait_for() -> Callable[..., Any]:
    """``wait_for(fn, timeout)``: poll until ``fn()`` is truthy; return its value."""

    def wait(fn: Callable[[], Any], timeout: float = 30.0, interval: float = 0.05) -> Any:
        return poll_until(fn, timeout, interval)

    return wait
