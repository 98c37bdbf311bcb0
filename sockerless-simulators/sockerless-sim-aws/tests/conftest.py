"""A really started ``sockerless sim aws`` per test session, and boto3 clients for it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


@dataclass
class SimulatorProcess:
    """A running simulator: its endpoint and how to stop it."""

    process: subprocess.Popen[str]
    endpoint: str
    data_dir: Path

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(self.endpoint.rsplit(":", 1)[1])

    def env(self) -> dict[str, str]:
        """Environment for the aws CLI and SDKs: test credentials and region."""
        return {**os.environ, **CREDENTIALS}

    def client(self, service: str, **kwargs: Any) -> Any:
        """A boto3 client for ``service`` pointed at the simulator."""
        import boto3

        return boto3.client(service, endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing", **kwargs)

    def stop(self, sig: int = 15) -> None:
        """Stop it (SIGTERM by default, SIGKILL to simulate a crash)."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(30)


def start_simulator(data_dir: Path, *extra: str) -> SimulatorProcess:
    """``sockerless sim aws --port 0`` and wait for its ready line."""
    cmd = [sys.executable, "-m", "sockerless.cli.main", "sim", "aws", "--port", "0", "--data-dir", str(data_dir),
           "--step-delay", "0.02", *extra]
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, **CREDENTIALS})
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    lines = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        if match:
            return SimulatorProcess(process, match.group(1), data_dir)
    process.kill()
    raise AssertionError("simulator did not start: " + "".join(lines)[-2000:])


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
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = fn()
            if value:
                return value
            time.sleep(interval)
        raise AssertionError(f"condition not met within {timeout}s")

    return wait
