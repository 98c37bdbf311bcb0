"""``agent-injection=host`` with ``host-root``: containers in a root made from their image, or in the host's files.

The suites run as root, so the module daemons default to ``host-root=image``: the agent on the
simulator's host chroots each container into ``DATA/backends/ecs/roots/<id>``. The reference
for the image's own files is the real dockerd of ``.ci/services`` running the same image.
"""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
import uuid

import pytest
from ecs_support import check_act_workflow, start_ecs_daemon


def out(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr.decode()}"
    return result.stdout.decode()


def real_docker(services: dict[str, str], *args: str) -> str:
    """``docker run --rm --network none ARGS`` on the real dockerd of the shared services."""
    done = subprocess.run(["docker", "-H", services["docker_host"], "run", "--rm", "--network", "none", *args],
                          capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode()


def _definition(sim, cid: str) -> dict:
    ecs = sim.client("ecs")
    (arn,) = ecs.list_task_definitions(familyPrefix=f"sockerless-{cid[:12]}")["taskDefinitionArns"]
    (main,) = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]["containerDefinitions"]
    return main


def test_the_container_sees_its_image_files_and_not_the_hosts(ecsd, services):
    assert "agent-injection=host, host-root=image" in ecsd.log_path.read_text(), "the mode is logged at startup"
    assert out(ecsd.docker("run", "--rm", "alpine", "cat", "/etc/passwd")) == real_docker(services, "alpine",
                                                                                          "cat", "/etc/passwd")
    listing = out(ecsd.docker("run", "--rm", "alpine", "sh", "-c", "ls /; test -e /work || echo no-host-files"))
    assert listing.split() == [*sorted(real_docker(services, "alpine", "ls", "/").split()), "no-host-files"]


def test_hostname_workdir_and_the_task_definition(ecsd, sim, name):
    cid = out(ecsd.docker("create", "--name", name, "-w", "/srv/app", "alpine", "sh", "-c",
                          "cat /etc/hostname; pwd")).strip()
    main = _definition(sim, cid)
    assert "workingDirectory" not in main and "user" not in main, "the process executor would apply them on the host"
    root = str(ecsd.data_root / "backends" / "ecs" / "roots" / cid)
    assert main["entryPoint"][-5:] == ["--root", root, "--workdir", "/srv/app", "--"]
    assert out(ecsd.docker("start", "-a", name)).split() == [cid[:12], "/srv/app"]
    out(ecsd.docker("rm", name))
    assert not os.path.lexists(root), "docker rm removes the root"
    named = out(ecsd.docker("run", "--rm", "--hostname", "web-1", "alpine", "cat", "/etc/hostname"))
    assert named == "web-1\n"


@pytest.mark.parametrize(("user", "expected"), [("405", "405 0"), ("nobody", "65534 65534"), ("405:405", "405 405")])
def test_user_applies_inside_the_root(ecsd, user, expected):
    result = ecsd.docker("run", "--rm", "-u", user, "alpine", "sh", "-c", "echo $(id -u) $(id -g)")
    assert out(result).strip() == expected


def test_an_unknown_user_fails_the_start_clearly(ecsd):
    result = ecsd.docker("run", "--rm", "-u", "no-such-user", "alpine", "true")
    assert result.returncode != 0 and b"unable to find user no-such-user" in result.stderr, result.stderr


def test_exec_and_health_checks_run_as_the_containers_user_unless_told(ecsd, name, wait_for):
    out(ecsd.docker("run", "-d", "--name", name, "-u", "nobody", "--health-cmd", 'test "$(id -u)" = 65534',
                    "--health-interval", "1s", "alpine", "tail", "-f", "/dev/null"))
    assert out(ecsd.docker("exec", name, "id", "-u")) == "65534\n"
    assert out(ecsd.docker("exec", "-u", "root", name, "id", "-u")) == "0\n"
    assert wait_for(lambda: ecsd.docker("inspect", "-f", "{{.State.Health.Status}}", name).stdout == b"healthy\n", 30)
    ecsd.docker("rm", "-f", name, check=True)


def test_a_named_volume_is_shared_by_successive_containers(ecsd):
    volume = f"ecs-hr-{uuid.uuid4().hex[:8]}"
    out(ecsd.docker("volume", "create", volume))
    out(ecsd.docker("run", "--rm", "-v", f"{volume}:/data", "alpine", "sh", "-c", "echo kept > /data/f"))
    assert out(ecsd.docker("run", "--rm", "-v", f"{volume}:/data:ro", "alpine", "sh", "-c",
                           "cat /data/f; echo x > /data/g || echo read-only")) == "kept\nread-only\n"
    reader = f"ecs-hr-{uuid.uuid4().hex[:8]}"
    out(ecsd.docker("run", "-d", "--name", reader, "-v", f"{volume}:/data", "alpine", "tail", "-f", "/dev/null"))
    archive = ecsd.docker("cp", f"{reader}:/data/f", "-")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        assert tar.extractfile("f").read() == b"kept\n", "docker cp sees the volume at its mount point"
    out(ecsd.docker("rm", "-f", reader))
    out(ecsd.docker("volume", "rm", volume))


def test_tmpfs_is_scratch_space_of_one_run(ecsd):
    script = "test -z \"$(ls /scratch)\" && echo empty; echo x > /scratch/f && cat /scratch/f"
    assert out(ecsd.docker("run", "--rm", "--tmpfs", "/scratch", "alpine", "sh", "-c", script)) == "empty\nx\n"
    assert out(ecsd.docker("run", "--rm", "--tmpfs", "/scratch", "alpine", "sh", "-c", script)) == "empty\nx\n"


def test_act_workflow_with_the_process_executor(ecsd, tmp_path):
    """act's job container in a host root: its volumes (workspace, tool cache) through the executor's mounts."""
    check_act_workflow(ecsd, tmp_path)


@pytest.fixture(scope="module")
def hostfsd(tmp_path_factory, sim, services):
    """A daemon with ``host-root=none``: containers run in the host's own filesystem."""
    d = start_ecs_daemon(tmp_path_factory.mktemp("ecsd-hostfs"), sim, services["registry"],
                         "--backend-opt", "host-root=none")
    yield d
    d.remove_all_containers()
    d.stop()


def test_host_root_none_runs_in_the_hosts_files_and_refuses_a_user(hostfsd, tmp_path, name):
    assert "agent-injection=host, host-root=none" in hostfsd.log_path.read_text()
    target = tmp_path / "on-the-host"
    out(hostfsd.docker("run", "--rm", "alpine", "sh", "-c", f"echo here > {target}"))
    assert target.read_text() == "here\n"
    refused = hostfsd.docker("create", "--name", name, "-u", "65534", "alpine", "id", "-u")
    assert refused.returncode != 0 and b"User (-u) cannot be applied" in refused.stderr, refused.stderr
    assert not (hostfsd.data_root / "backends" / "ecs" / "roots").exists(), "no root is made"
