"""Shared fixtures: one started daemon per test session (per xdist worker)."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from daemon import Daemon


@pytest.fixture(scope="session")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Daemon:
    """The shared memory-backend daemon of this test session."""
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


@pytest.fixture(scope="session")
def services() -> dict[str, str]:
    """The real dockerd and registry (``.ci/services``), started on first use if the environment lacks them.

    Keys: ``docker_host`` (``unix://`` address of a real dockerd) and ``registry`` (``127.0.0.1:PORT``
    of a real registry holding ``library/alpine`` and ``library/busybox``).
    """
    import os
    import subprocess

    host, registry = os.environ.get("SOCKERLESS_TEST_DOCKER_HOST"), os.environ.get("SOCKERLESS_TEST_REGISTRY")
    if not (host and registry):
        script = Path(__file__).resolve().parent.parent / ".ci" / "services"
        out = subprocess.run([str(script)], capture_output=True, text=True, timeout=300)
        if out.returncode != 0:
            pytest.fail(f".ci/services failed: {out.stderr.strip()[-500:]}")
        values = dict(line.removeprefix("export ").split("=", 1) for line in out.stdout.splitlines() if "=" in line)
        host, registry = values["SOCKERLESS_TEST_DOCKER_HOST"], values["SOCKERLESS_TEST_REGISTRY"]
    return {"docker_host": host, "registry": registry}
