"""testcontainers-python 4 (no Ryuk reaper) on the memory backend: generic containers, wait strategies, exec, copies."""

from __future__ import annotations

import re

import pytest
from testcontainers.core.container import DockerContainer
from testcontainers.core.network import Network
from testcontainers.core.wait_strategies import (
    ExecWaitStrategy,
    HealthcheckWaitStrategy,
    LogMessageWaitStrategy,
)


@pytest.fixture(autouse=True)
def testcontainers_env(daemon, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", daemon.host)
    monkeypatch.setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
    monkeypatch.delenv("DOCKER_CONTEXT", raising=False)


def test_generic_container_log_wait_exec_and_env():
    container = (DockerContainer("alpine")
                 .with_command(["sh", "-c", "echo booting; sleep 1; echo ready on $PORT_NAME; exec sleep 300"])
                 .with_env("PORT_NAME", "alpha")
                 .waiting_for(LogMessageWaitStrategy(re.compile(r"ready on \w+")).with_startup_timeout(30)))
    with container:
        assert container.status == "running"
        result = container.exec(["sh", "-c", "echo $PORT_NAME; exit 3"])
        assert result.exit_code == 3 and result.output == b"alpha\n"
        stdout, stderr = container.get_logs()
        assert stdout == b"booting\nready on alpha\n" and stderr == b""
        info = container.get_container_info()
        assert info is not None and info.State.Running
    assert container.get_wrapped_container() is not None


def test_exec_and_healthcheck_wait_strategies():
    exec_waited = (DockerContainer("busybox")
                   .with_command(["sh", "-c", "sleep 1; touch /tmp/ready; exec sleep 300"])
                   .waiting_for(ExecWaitStrategy(["test", "-f", "/tmp/ready"]).with_startup_timeout(30)))
    with exec_waited:
        assert exec_waited.exec(["ls", "/tmp"]).output == b"ready\n"

    healthy = (DockerContainer("alpine")
               .with_command(["sh", "-c", "sleep 1; touch /tmp/ok; exec sleep 300"])
               .with_kwargs(healthcheck={"test": ["CMD", "test", "-f", "/tmp/ok"], "interval": 500_000_000,
                                         "retries": 20})
               .waiting_for(HealthcheckWaitStrategy().with_startup_timeout(30)))
    with healthy:
        assert healthy.get_wrapped_container().attrs["State"]["Health"]["Status"] == "healthy"


def test_wait_strategy_times_out_with_the_logs_so_far():
    container = (DockerContainer("alpine").with_command(["sh", "-c", "echo never-ready; exec sleep 300"])
                 .waiting_for(LogMessageWaitStrategy("ready now").with_startup_timeout(2)))
    with pytest.raises(TimeoutError):
        container.start()
    container.stop()


def test_copy_into_and_out_of_a_container(tmp_path):
    source = tmp_path / "in.txt"
    source.write_text("from the host file\n")
    container = (DockerContainer("alpine").with_command(["sleep", "300"])
                 .with_copy_into_container(b"from bytes\n", "/opt/seed/bytes.txt", 0o600))
    with container:
        container.copy_into_container(source, "/opt/seed/file.txt")
        listing = container.exec(["sh", "-c", "cat /opt/seed/bytes.txt /opt/seed/file.txt; stat -c %a /opt/seed/bytes.txt"])
        assert listing.output == b"from bytes\nfrom the host file\n600\n"
        container.exec(["sh", "-c", "echo made inside > /tmp/out.txt"])
        target = tmp_path / "out.txt"
        container.copy_from_container("/tmp/out.txt", target)
        assert target.read_text() == "made inside\n"


def test_containers_on_a_user_network():
    with Network() as network:
        container = (DockerContainer("alpine").with_command(["sleep", "300"])
                     .with_network(network).with_network_aliases("svc"))
        with container:
            settings = container.get_wrapped_container().attrs["NetworkSettings"]["Networks"]
            assert network.name in settings
            assert "svc" in settings[network.name]["Aliases"]


def test_published_ports_are_refused_clearly(client):
    """The memory sandbox has no network stack: no port reaches the host, and the clients say so."""
    container = DockerContainer("alpine").with_command(["sleep", "300"]).with_exposed_ports(8080)
    with container, pytest.raises(ConnectionError, match=r"Port mapping .* is not available"):
        container.get_exposed_port(8080)
    created = client.api.create_container("alpine", ["true"], ports=[80],
                                          host_config=client.api.create_host_config(port_bindings={80: 18080}))
    try:
        assert any("does not publish ports" in w for w in created["Warnings"]), created
    finally:
        client.api.remove_container(created["Id"], force=True)
