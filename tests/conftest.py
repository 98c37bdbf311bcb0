"""Shared fixtures: one started daemon per test session (per xdist worker)."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from daemon import Daemon


@pytest.fixture(scope="session")
def daemon(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Daemon:
    """The shared daemon of this test session: the memory backend, or with ``SOCKERLESS_TEST_BACKEND=docker``
    the docker backend in front of the real dockerd of ``services`` (whose alpine and busybox it uses)."""
    import os

    if os.environ.get("SOCKERLESS_TEST_BACKEND", "memory") == "docker":
        engine = request.getfixturevalue("services")["docker_host"]
        d = Daemon(tmp_path_factory.mktemp("sockerless"), backend="docker", extra_args=[
            "--backend-opt", f"docker-host={engine}", "--backend-opt", "default-network=none"]).start()
    else:
        d = Daemon(tmp_path_factory.mktemp("sockerless")).start()
        d.docker("pull", "alpine", check=True)
        d.docker("pull", "busybox", check=True)
    yield d
    d.stop()


@pytest.fixture
def docker(daemon: Daemon):
    """``docker(*args)`` against the shared daemon."""
    return daemon.docker


@pytest.fixture
def client(daemon: Daemon):
    """A docker-py client for the shared daemon."""
    import docker as docker_py

    c = docker_py.DockerClient(base_url=daemon.host, timeout=60)
    yield c
    c.close()


@pytest.fixture
def name() -> str:
    """A unique container name for one test."""
    return f"t-{uuid.uuid4().hex[:10]}"

