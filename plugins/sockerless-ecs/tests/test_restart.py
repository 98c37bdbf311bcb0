"""A daemon killed with SIGKILL and started again on the same data root keeps every container controllable."""

from __future__ import annotations

import uuid

import docker
import pytest
from botocore.exceptions import ClientError
from ecs_support import start_ecs_daemon
from sockerless_aws import tags
from sockerless_ecs import networks, volumes


@pytest.fixture(scope="module")
def restartable(tmp_path_factory, sim, services):
    """A daemon of this module's own (the tests kill it)."""
    workdir = tmp_path_factory.mktemp("ecsd-restart")
    holder = {"daemon": start_ecs_daemon(workdir, sim, services["registry"])}

    def restart():
        holder["daemon"].kill()
        holder["daemon"] = start_ecs_daemon(workdir, sim, services["registry"])
        return holder["daemon"]

    holder["restart"] = restart
    yield holder
    holder["daemon"].remove_all_containers()
    holder["daemon"].stop()


def _orphans(sim, instance: str) -> tuple[str, str]:
    """A task definition and a running task tagged for ``instance`` that no container of its state holds."""
    ecs, ec2 = sim.client("ecs"), sim.client("ec2")
    tags = [{"key": "sockerless:managed", "value": "1"}, {"key": "sockerless:daemon", "value": instance},
            {"key": "sockerless:container", "value": "f" * 64}]
    definition = ecs.register_task_definition(
        family="sockerless-ffffffffffff", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256",
        memory="512", containerDefinitions=[{"name": "orphan", "image": "alpine", "command": ["sleep", "120"]}],
        tags=tags)["taskDefinition"]["taskDefinitionArn"]
    subnet = ec2.describe_subnets(Filters=[{"Name": "tag:Name", "Values": ["sockerless-ecs"]}])["Subnets"][0]["SubnetId"]
    task = ecs.run_task(cluster="sockerless", taskDefinition=definition, launchType="FARGATE", tags=tags,
                        startedBy=f"sockerless-{instance}"[:36],
                        networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet]}})["tasks"][0]["taskArn"]
    return definition, task


def test_containers_survive_a_daemon_crash(restartable, sim, wait_for, ecs_leftovers):
    d = restartable["daemon"]
    keeper = d.docker("run", "-d", "--name", "keeper", "alpine", "sh", "-c", "echo before-the-crash; exec tail -f /dev/null",
                      check=True).stdout.decode().strip()
    shorty = d.docker("run", "-d", "--name", "shorty", "alpine", "sh", "-c", "sleep 1; exit 7",
                      check=True).stdout.decode().strip()
    marker = "/root/marker"
    d.docker("exec", "keeper", "sh", "-c", f"echo kept > {marker}", check=True)
    instance = (d.data_root / "backends" / "ecs" / "instance-id").read_text().strip()
    orphan_definition, orphan_task = _orphans(sim, instance)
    roots = d.data_root / "backends" / "ecs" / "roots"
    assert (roots / keeper / "etc" / "passwd").is_file(), "host-root=image: the container's root"
    (roots / ("e" * 64) / "tmp").mkdir(parents=True)  # the root of a container the daemon does not have

    d = restartable["restart"]()

    listed = d.docker("ps", "-a", "--format", "{{.Names}} {{.State}}", check=True).stdout.decode().split("\n")
    assert "keeper running" in listed
    assert d.docker("exec", "keeper", "cat", marker, check=True).stdout == b"kept\n"
    assert not (roots / ("e" * 64)).exists(), "an orphaned root is removed at startup"
    assert b"before-the-crash" in d.docker("logs", "keeper", check=True).stdout, "logs from before the crash"
    assert wait_for(lambda: d.docker("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "shorty").stdout
                    == b"exited 7\n", 45), "the exit code the task really had"

    ecs = sim.client("ecs")
    assert ecs.list_task_definitions(familyPrefix="sockerless-ffffffffffff")["taskDefinitionArns"] == []
    assert ecs.list_task_definitions(familyPrefix="sockerless-ffffffffffff", status="INACTIVE")["taskDefinitionArns"] == []
    (orphan,) = ecs.describe_tasks(cluster="sockerless", tasks=[orphan_task])["tasks"]
    assert orphan["desiredStatus"] == "STOPPED", "the orphaned task was stopped"
    assert orphan_definition not in d.docker("ps", "-a", check=True).stdout.decode()

    client = docker.DockerClient(base_url=d.host, timeout=60)  # the same container through docker-py
    try:
        kept = client.containers.get("keeper")
        assert kept.status == "running"
        assert kept.exec_run(["cat", marker]).output == b"kept\n"
        assert b"before-the-crash" in kept.logs()
        kept.stop(timeout=2)
        kept.reload()
        assert kept.status == "exited"
    finally:
        client.close()
    d.docker("rm", "keeper", "shorty", check=True)
    for cid in (keeper, shorty):
        assert ecs_leftovers(cid) == {"task_definitions": [], "running_tasks": []}
        assert not (roots / cid).exists(), "docker rm removes the container's root"


def test_a_container_stopped_before_the_crash_stays_stopped_and_removable(restartable, ecs_leftovers):
    d = restartable["daemon"]
    cid = d.docker("run", "-d", "alpine", "sh", "-c", "exit 3", check=True).stdout.decode().strip()
    assert d.docker("wait", cid, check=True).stdout == b"3\n"
    d = restartable["restart"]()
    assert d.docker("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", cid).stdout == b"exited 3\n"
    d.docker("start", "-a", cid)
    assert d.docker("inspect", "-f", "{{.State.ExitCode}}", cid).stdout == b"3\n"
    d.docker("rm", cid, check=True)
    assert ecs_leftovers(cid) == {"task_definitions": [], "running_tasks": []}


def _tagged(instance: str, key: str, value: str) -> list[dict[str, str]]:
    return tags.to_key_value(tags.owned(instance) | {key: value}, "Key", "Value")


def _orphaned_network_and_volume(sim, instance: str, file_system: str) -> tuple[str, str, str]:
    """What a daemon killed while creating a network and a volume leaves: a security group and a Cloud Map
    namespace tagged for a network it has no record of, and an access point for a volume it has no record of."""
    ec2, sd, efs = sim.client("ec2"), sim.client("servicediscovery"), sim.client("efs")
    vpc = ec2.describe_subnets(Filters=[{"Name": "tag:Name", "Values": ["sockerless-ecs"]}])["Subnets"][0]["VpcId"]
    lost = uuid.uuid4().hex * 2
    group = ec2.create_security_group(GroupName=f"sockerless-{lost[:12]}", VpcId=vpc, Description="lost network",
                                      TagSpecifications=[{"ResourceType": "security-group",
                                                          "Tags": _tagged(instance, networks.NETWORK_TAG, lost)}])
    operation = sd.create_private_dns_namespace(Name=f"lost-{lost[:8]}.sockerless", Vpc=vpc,
                                                Tags=_tagged(instance, networks.NETWORK_TAG, lost))
    namespace = sd.get_operation(OperationId=operation["OperationId"])["Operation"]["Targets"]["NAMESPACE"]
    point = efs.create_access_point(FileSystemId=file_system, RootDirectory={"Path": "/sockerless/lost-vol-0"},
                                    Tags=_tagged(instance, volumes.VOLUME_TAG, "lost-vol"))["AccessPointId"]
    return group["GroupId"], namespace, point


def _gone(call) -> bool:
    try:
        call()
    except ClientError as exc:
        return "NotFound" in exc.response["Error"]["Code"]
    return False


def test_orphaned_network_and_volume_resources_are_removed_and_live_ones_kept(restartable, sim, wait_for):
    d = restartable["daemon"]
    network = d.docker("network", "create", "kept-net", check=True).stdout.decode().strip()
    d.docker("network", "create", "second-net", check=True)  # networks share the backend's VPC
    d.docker("volume", "create", "kept-vol", check=True)
    mountpoint = d.docker("volume", "inspect", "-f", "{{.Mountpoint}}", "kept-vol", check=True).stdout.decode().strip()
    file_system = mountpoint.removeprefix("efs://").split("/", 1)[0]
    instance = (d.data_root / "backends" / "ecs" / "instance-id").read_text().strip()
    group, namespace, point = _orphaned_network_and_volume(sim, instance, file_system)

    d = restartable["restart"]()

    ec2, sd, efs = sim.client("ec2"), sim.client("servicediscovery"), sim.client("efs")
    assert wait_for(lambda: _gone(lambda: ec2.describe_security_groups(GroupIds=[group])), 60)
    assert wait_for(lambda: _gone(lambda: sd.get_namespace(Id=namespace)), 30)
    assert wait_for(lambda: _gone(lambda: efs.describe_access_points(AccessPointId=point)), 30)
    kept_groups = ec2.describe_security_groups(Filters=[{"Name": "tag:sockerless:network", "Values": [network]}])
    assert len(kept_groups["SecurityGroups"]) == 1, "a network the daemon has keeps its security group"
    points = efs.describe_access_points(FileSystemId=file_system)["AccessPoints"]
    assert [p["RootDirectory"]["Path"] for p in points if p["RootDirectory"]["Path"].startswith("/sockerless/kept-vol-")]
    cid = d.docker("run", "-d", "--network", "kept-net", "-v", "kept-vol:/data", "alpine", "sh", "-c",
                   "echo kept > /data/f; exec tail -f /dev/null", check=True).stdout.decode().strip()
    assert wait_for(lambda: d.docker("exec", cid, "cat", "/data/f").stdout == b"kept\n", 30)
    d.docker("rm", "-f", cid, check=True)
    d.docker("network", "rm", "kept-net", "second-net", check=True)
    d.docker("volume", "rm", "kept-vol", check=True)
    assert _gone(lambda: ec2.describe_security_groups(GroupIds=[kept_groups["SecurityGroups"][0]["GroupId"]]))
