"""Named volumes as EFS access points, against started AWS simulators (one of them running tasks on a real dockerd)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from awssim import SimulatorProcess, start_simulator
from resource_fixtures import clients_for, docker_sim, run, subnet, wait_stopped  # noqa: F401
from sockerless.api.errors import InvalidParameter
from sockerless_aws import tags
from sockerless_ecs import volumes

INSTANCE = "voltest"


def mount(kind: str, destination: str, name: str = "", source: str = "", rw: bool = True) -> SimpleNamespace:
    return SimpleNamespace(Type=kind, Name=name, Source=source, Destination=destination, RW=rw)


@pytest.fixture(scope="module")
def efs_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatorProcess]:
    """A simulator of this module's own: the session's ``sim`` may already hold the backend's file system
    (a host-mode daemon's volumes), in another VPC."""
    simulator = start_simulator(tmp_path_factory.mktemp("ecs-efs-sim"))
    yield simulator
    simulator.stop()


def test_file_system_access_points_and_cleanup(efs_sim) -> None:
    sim = efs_sim
    clients = clients_for(sim)
    _, first = subnet(sim, "10.51.1.0/24", "us-east-1a")
    second = sim.client("ec2").describe_subnets(SubnetIds=[first])["Subnets"][0]["VpcId"]
    other = sim.client("ec2").create_subnet(VpcId=second, CidrBlock="10.51.2.0/24",
                                            AvailabilityZone="us-east-1b")["Subnet"]["SubnetId"]
    fs_id = run(volumes.file_system(clients, "", simulator=True, subnets=[first, other]))
    assert run(volumes.file_system(clients, "", simulator=True, subnets=[first, other])) == fs_id  # found by its tags
    efs = sim.client("efs")
    targets = efs.describe_mount_targets(FileSystemId=fs_id)["MountTargets"]
    assert sorted(t["SubnetId"] for t in targets) == sorted([first, other])
    assert run(volumes.file_system(clients, fs_id, simulator=False, subnets=[])) == fs_id

    state = run(volumes.create_volume(clients, fs_id, name="data.1", instance=INSTANCE, labels={"app": "x"}))
    point = efs.describe_access_points(AccessPointId=state.access_point)["AccessPoints"][0]
    assert point["FileSystemId"] == fs_id and point["PosixUser"] == {"Uid": 0, "Gid": 0}
    assert point["RootDirectory"]["Path"] == state.root and state.root.startswith("/sockerless/data.1-")
    assert point["RootDirectory"]["CreationInfo"] == {"OwnerUid": 0, "OwnerGid": 0, "Permissions": "755"}
    labels = tags.from_key_value(point["Tags"], "Key", "Value")
    assert labels[volumes.VOLUME_TAG] == "data.1" and labels[tags.DAEMON] == INSTANCE
    assert labels["docker-label:app"] == "x"
    again = run(volumes.create_volume(clients, fs_id, name="data.1", instance=INSTANCE))
    assert again.root != state.root  # a re-created volume starts empty
    run(volumes.remove_volume(clients, again))

    assert run(volumes.owned_volumes(clients, fs_id, INSTANCE)) == {"data.1": state}
    assert volumes.VolumeState.from_dict(state.to_dict()) == state
    held = SimpleNamespace(name="data.1", backend_state=state.to_dict())
    assert run(volumes.remove_orphans(clients, INSTANCE, [held])) == [], "a recorded access point is kept"
    unrecorded = SimpleNamespace(name="data.1", backend_state={})
    assert run(volumes.remove_orphans(clients, INSTANCE, [unrecorded])) == [], "so is one named by a bare record"
    assert run(volumes.remove_orphans(clients, INSTANCE + "-x", [])) == [], "another daemon's are not looked at"
    assert run(volumes.remove_orphans(clients, INSTANCE, [])) == [state.access_point]
    assert run(volumes.owned_volumes(clients, fs_id, INSTANCE)) == {}
    run(volumes.remove_volume(clients, state))
    run(volumes.remove_volume(clients, state))  # already gone is fine
    assert run(volumes.owned_volumes(clients, fs_id, INSTANCE)) == {}


def test_file_system_option_errors(sim) -> None:
    clients = clients_for(sim)
    with pytest.raises(InvalidParameter, match="efs-file-system fs-00000000 does not exist"):
        run(volumes.file_system(clients, "fs-00000000", simulator=False, subnets=[]))
    with pytest.raises(InvalidParameter, match="need option efs-file-system"):
        run(volumes.file_system(clients, "", simulator=False, subnets=[]))


def test_task_mounts_translation() -> None:
    state = volumes.VolumeState(file_system="fs-1", access_point="fsap-1", root="/sockerless/v-1")
    result = volumes.task_mounts([mount("volume", "/data", name="my.vol"), mount("volume", "/ro", name="my.vol", rw=False),
                                  mount("tmpfs", "/run/x")], {"my.vol": state})
    assert result.volumes == [
        {"name": "v-my_vol", "efsVolumeConfiguration": {
            "fileSystemId": "fs-1", "transitEncryption": "ENABLED",
            "authorizationConfig": {"accessPointId": "fsap-1", "iam": "DISABLED"}}},
        {"name": "tmpfs-_run_x", "host": {}}]
    assert result.mount_points == [{"sourceVolume": "v-my_vol", "containerPath": "/data", "readOnly": False},
                                   {"sourceVolume": "v-my_vol", "containerPath": "/ro", "readOnly": True},
                                   {"sourceVolume": "tmpfs-_run_x", "containerPath": "/run/x", "readOnly": False}]
    with pytest.raises(InvalidParameter, match=r"bind mounts are not supported \(/home/me:/src\)"):
        volumes.task_mounts([mount("bind", "/src", source="/home/me")], {})
    with pytest.raises(InvalidParameter, match="volume other has no EFS access point"):
        volumes.task_mounts([mount("volume", "/data", name="other")], {})


def test_volume_data_persists_across_tasks(docker_sim) -> None:  # noqa: F811
    """The task definition parts of :func:`task_mounts`, run for real: one task writes, the next reads."""
    clients = clients_for(docker_sim)
    _, subnet_id = subnet(docker_sim, "10.52.1.0/24")
    fs_id = run(volumes.file_system(clients, "", simulator=True, subnets=[subnet_id]))
    state = run(volumes.create_volume(clients, fs_id, name="shared", instance=INSTANCE))
    parts = volumes.task_mounts([mount("volume", "/data", name="shared")], {"shared": state})
    ecs, logs = docker_sim.client("ecs"), docker_sim.client("logs")
    ecs.create_cluster(clusterName="vols")
    logs.create_log_group(logGroupName="/vols")
    family = f"vol-{uuid.uuid4().hex[:6]}"
    script = "cat /data/note 2>/dev/null || echo empty; echo $RUN >> /data/note"
    ecs.register_task_definition(
        family=family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        volumes=parts.volumes, containerDefinitions=[
            {"name": "main", "image": "busybox:latest", "command": ["sh", "-c", script],
             "mountPoints": parts.mount_points, "logConfiguration": {"logDriver": "awslogs", "options": {
                 "awslogs-group": "/vols", "awslogs-stream-prefix": "v"}}}])
    seen = []
    for number in ("1", "2"):
        task_arn = ecs.run_task(cluster="vols", taskDefinition=family, launchType="FARGATE", networkConfiguration={
            "awsvpcConfiguration": {"subnets": [subnet_id]}}, overrides={"containerOverrides": [
                {"name": "main", "environment": [{"name": "RUN", "value": number}]}]})["tasks"][0]["taskArn"]
        task = wait_stopped(docker_sim, "vols", task_arn)
        assert task["containers"][0].get("exitCode") == 0, task
        events = logs.get_log_events(logGroupName="/vols", logStreamName=f"v/main/{task_arn.rsplit('/', 1)[1]}",
                                     startFromHead=True)["events"]
        seen.append([e["message"] for e in events])
    assert seen == [["empty"], ["1"]]
    run(volumes.remove_volume(clients, state))
    task_arn = ecs.run_task(cluster="vols", taskDefinition=family, launchType="FARGATE", networkConfiguration={
        "awsvpcConfiguration": {"subnets": [subnet_id]}})["tasks"][0]["taskArn"]
    task = wait_stopped(docker_sim, "vols", task_arn)
    assert task["stopCode"] == "TaskFailedToStart" and state.access_point in task["stoppedReason"]
