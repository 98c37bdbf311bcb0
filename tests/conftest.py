"""Shared fixtures: one started daemon per test session (per xdist worker)."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from daemon import Daemon


@pytest.fixture(scope="session")
def daemon(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Daemon:
    """The shared daemon of this test session: the memory backend, or with ``SOCKERLESS_TEST_BACKEND=docker``
    the docker backend in front of the real dockerd of ``services`` (whose alpine and busybox it uses), or
    with ``ecs``/``lambda`` that backend against a simulator of its own (images through the registry of
    ``services``), for running a suite against a cloud backend by hand."""
    import os

    backend = os.environ.get("SOCKERLESS_TEST_BACKEND", "memory")
    if backend == "docker":
        engine = request.getfixturevalue("services")["docker_host"]
        d = Daemon(tmp_path_factory.mktemp("sockerless"), backend="docker", extra_args=[
            "--backend-opt", f"docker-host={engine}", "--backend-opt", "default-network=none"]).start()
    elif backend in ("ecs", "lambda"):
        from awssim import start_simulator

        sim = start_simulator(tmp_path_factory.mktemp("sim"))
        request.addfinalizer(sim.stop)
        registry = request.getfixturevalue("services")["registry"]
        d = Daemon(tmp_path_factory.mktemp("sockerless"), backend=backend, extra_args=[
            "--endpoint-url", sim.endpoint, "--registry-mirror", f"http://{registry}"]).start()
        d.docker("pull", "alpine", check=True)
        d.docker("pull", "busybox", check=True)
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


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="session")
def certs(tmp_path_factory) -> Path:
    """A CA (``ca.pem``), a server certificate for 127.0.0.1 (``server.pem``/``server-key.pem``) and a client
    certificate (``client.pem``/``client-key.pem``) in one directory."""
    d = tmp_path_factory.mktemp("tls")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca-key.pem", "-out", "ca.pem",
             "-days", "2", "-subj", "/CN=sockerless-test-ca", cwd=d)
    (d / "server.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
    (d / "client.ext").write_text("extendedKeyUsage=clientAuth\n")
    for role in ("server", "client"):
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{role}-key.pem", "-out", f"{role}.csr",
                 "-subj", f"/CN={role}", cwd=d)
        _openssl("x509", "-req", "-in", f"{role}.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial",
                 "-out", f"{role}.pem", "-days", "2", "-extfile", f"{role}.ext", cwd=d)
    return d
