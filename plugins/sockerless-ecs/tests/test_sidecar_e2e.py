"""The Docker CLI against the ecs backend with ``agent-injection=sidecar``: the simulator runs every task as real
containers on the real dockerd (``--executor docker``), the agent reaches them only through the sidecar image."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterator

import pytest
from daemon import Daemon
from ecs_support import remove_all, start_ecs_daemon
from resource_fixtures import agent_image, host_sim  # noqa: F401


@pytest.fixture(scope="module")
def sidecard(tmp_path_factory: pytest.TempPathFactory, host_sim, agent_image,  # noqa: F811
             services: dict[str, str]) -> Iterator[Daemon]:
    d = start_ecs_daemon(tmp_path_factory.mktemp("ecsd-sidecar"), host_sim, services["registry"],
                         "--backend-opt", "agent-injection=sidecar", "--backend-opt", f"agent-image={agent_image}")
    yield d
    remove_all(d)
    d.stop()


def out(result) -> str:
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr.decode()}"
    return result.stdout.decode()


@pytest.mark.timeout(900)  # the first run of an agent source version includes the static build
def test_run_exec_and_cp_inside_the_image(sidecard) -> None:
    # /work/wt exists on this host, not in the image: the command really runs in the task's container
    result = sidecard.docker("run", "--rm", "alpine", "sh", "-c", "echo out; echo err >&2; [ ! -d /work/wt ] && exit 4")
    assert (result.returncode, result.stdout, result.stderr) == (4, b"out\n", b"err\n"), result.stderr.decode()

    name = "sidecar-e2e"
    out(sidecard.docker("run", "-d", "--name", name, "alpine", "tail", "-f", "/dev/null"))
    out(sidecard.docker("exec", name, "sh", "-c", "echo from-exec > /root/note"))
    assert out(sidecard.docker("exec", name, "cat", "/root/note")) == "from-exec\n"  # in the container, not the host
    assert out(sidecard.docker("exec", name, "ls", "/.sockerless")) == "sockerless-agent\n"
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        data = b"copied in\n"
        info = tarfile.TarInfo("in.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    copied = sidecard.docker("cp", "-", f"{name}:/root/", input=archive.getvalue())
    assert copied.returncode == 0, copied.stderr.decode()
    assert out(sidecard.docker("exec", name, "cat", "/root/in.txt")) == "copied in\n"
    back = sidecard.docker("cp", f"{name}:/root/note", "-")
    assert back.returncode == 0, back.stderr.decode()
    with tarfile.open(fileobj=io.BytesIO(back.stdout)) as tar:
        assert tar.extractfile("note").read() == b"from-exec\n"
    out(sidecard.docker("rm", "-f", name))
