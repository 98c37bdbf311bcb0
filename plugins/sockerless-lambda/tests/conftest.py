"""One AWS simulator per test session, one daemon on the lambda backend per test module."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from awssim import start_simulator  # noqa: E402
from lambda_support import module_daemon  # noqa: E402


@pytest.fixture(scope="session")
def aws_sim(tmp_path_factory):
    """``sockerless sim aws --port 0`` (process executor: function instances are host processes)."""
    sim = start_simulator(tmp_path_factory.mktemp("aws-sim"))
    yield sim
    sim.stop()


@pytest.fixture(scope="module")
def lambdad(tmp_path_factory, aws_sim, services):
    """A daemon on the lambda backend pointed at the simulator, alpine pulled from the test registry."""
    yield from module_daemon(tmp_path_factory, aws_sim, services["registry"], "lambdad")
