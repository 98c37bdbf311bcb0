"""The ecs backend with the agent injected by its sidecar, tasks running as real containers on dockerd.

The simulator's ``docker`` executor runs every container of a task on the shared real dockerd
(host network, so the agents dial the daemon on loopback); the agent image is built once per
agent version (``tests/agentbuild.py``). Named volumes are EFS access points, which the
simulator keeps as directories it bind-mounts.
"""

from __future__ import annotations

import io
import tarfile
import uuid

import pytest
from ecs_support import check_act_workflow, search_domains, start_ecs_daemon
from resource_fixtures import agent_image, host_sim  # noqa: F401

pytestmark = pytest.mark.timeout(900)  # the first run of an agent source version builds the static agent


@pytest.fixture(scope="module")
def sidecard(tmp_path_factory, services, host_sim, agent_image):  # noqa: F811
    """A daemon whose tasks are containers on the real dockerd, the agent copied in by the sidecar."""
    d = start_ecs_daemon(tmp_path_factory.mktemp("ecsd-sidecar"), host_sim, services["registry"],
                         "--backend-opt", "agent-injection=sidecar", "--backend-opt", f"agent-image={agent_image}")
    d.sim = host_sim
    yield d
    d.remove_all_containers()
    d.stop()


def test_run_in_a_real_container_keeps_streams_and_exit_code(sidecard):
    result = sidecard.docker("run", "--rm", "alpine", "sh", "-c",
                             "echo out; echo err >&2; test ! -e /work/wt && exit 4")
    assert (result.returncode, result.stdout, result.stderr) == (4, b"out\n", b"err\n"), result.stderr


def test_user_and_workdir_apply_in_the_container(sidecard):
    result = sidecard.docker("run", "--rm", "-u", "65534", "-w", "/tmp", "alpine", "sh", "-c", "id -u; pwd")
    assert (result.returncode, result.stdout) == (0, b"65534\n/tmp\n"), result.stderr


def test_exec_and_cp_inside_the_container(sidecard, tmp_path):
    name = f"ecs-{uuid.uuid4().hex[:8]}"
    sidecard.docker("run", "-d", "--name", name, "alpine", "tail", "-f", "/dev/null", check=True)
    sidecard.docker("exec", name, "sh", "-c", "echo from-exec > /root/state", check=True)
    assert sidecard.docker("exec", name, "cat", "/root/state", check=True).stdout == b"from-exec\n"
    assert sidecard.docker("exec", name, "sh", "-c", "test -e /work/wt || echo not-on-the-host",
                           check=True).stdout == b"not-on-the-host\n"
    assert sidecard.docker("exec", name, "ls", "/.sockerless", check=True).stdout == b"sockerless-agent\n"
    assert not (tmp_path / "up.txt").exists()
    source = tmp_path / "up.txt"
    source.write_text("uploaded\n")
    sidecard.docker("cp", str(source), f"{name}:/root/", check=True)
    assert sidecard.docker("exec", name, "cat", "/root/up.txt", check=True).stdout == b"uploaded\n"
    archive = sidecard.docker("cp", f"{name}:/root/state", "-", check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        assert tar.extractfile("state").read() == b"from-exec\n"
    sidecard.docker("rm", "-f", name, check=True)


def test_named_volume_outlives_its_containers(sidecard):
    volume = f"ecs-vol-{uuid.uuid4().hex[:8]}"
    sidecard.docker("volume", "create", volume, check=True)
    assert sidecard.docker("volume", "inspect", "-f", "{{.Mountpoint}}", volume, check=True).stdout.startswith(b"efs://")
    sidecard.docker("run", "--rm", "-v", f"{volume}:/data", "alpine", "sh", "-c", "echo kept > /data/f", check=True)
    result = sidecard.docker("run", "--rm", "-v", f"{volume}:/data:ro", "alpine", "cat", "/data/f", check=True)
    assert result.stdout == b"kept\n"
    sidecard.docker("volume", "rm", volume, check=True)
    efs = sidecard.sim.client("efs")
    points = [p for fs in efs.describe_file_systems()["FileSystems"]
              for p in efs.describe_access_points(FileSystemId=fs["FileSystemId"])["AccessPoints"]]
    assert not [p for p in points if {"Key": "sockerless:volume", "Value": volume} in p.get("Tags", [])]


def test_act_workflow_runs_its_steps_through_exec(sidecard, tmp_path):
    check_act_workflow(sidecard, tmp_path)


def test_the_resolver_searches_the_networks_domain(sidecard):
    network = f"ecs-net-{uuid.uuid4().hex[:8]}"
    network_id = sidecard.docker("network", "create", network, check=True).stdout.decode().strip()
    result = sidecard.docker("run", "--rm", "--network", network, "alpine", "cat", "/etc/resolv.conf", check=True)
    search = search_domains(result.stdout)
    assert search and search[0].endswith(f"-{network_id[:8]}.sockerless"), result.stdout
    sidecard.docker("network", "rm", network, check=True)
