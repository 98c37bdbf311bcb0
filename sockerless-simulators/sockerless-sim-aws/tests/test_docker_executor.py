"""``--executor docker``: tasks as real containers on a local Docker engine."""

from __future__ import annotations

import subprocess
import uuid


def leftovers(services, task_arn: str) -> str:
    """Containers of the task (labelled as the ECS agent does) or its network holder still on the engine."""
    found = ""
    for label in (f"com.amazonaws.ecs.task-arn={task_arn}", f"sockerless.sim-aws.holder={task_arn}"):
        found += subprocess.run(["docker", "-H", services["docker_host"], "ps", "-aq", "--filter", f"label={label}"],
                                capture_output=True, text=True, timeout=60).stdout.strip()
    return found


def test_tasks_run_as_real_containers(start_sim, services, tmp_path, wait_for) -> None:
    sim = start_sim(tmp_path, "--executor", "docker", "--docker-host", services["docker_host"],
                    "--docker-network", "none")
    ecs, logs = sim.client("ecs"), sim.client("logs")
    logs.create_log_group(logGroupName="/docker")
    family = f"dk-{uuid.uuid4().hex[:6]}"
    log_config = {"logDriver": "awslogs", "options": {"awslogs-group": "/docker", "awslogs-stream-prefix": "d"}}
    ecs.register_task_definition(family=family, containerDefinitions=[
        {"name": "main", "image": "alpine:latest", "command": ["sh", "-c", "echo in-docker; cat /etc/hostname >/dev/null; exit 2"],
         "logConfiguration": log_config},
        {"name": "side", "image": "alpine:latest", "command": ["sleep", "300"], "essential": False, "stopTimeout": 2}])
    task_arn = ecs.run_task(taskDefinition=family)["tasks"][0]["taskArn"]
    task = wait_for(lambda: (t := ecs.describe_tasks(tasks=[task_arn])["tasks"][0])["lastStatus"] == "STOPPED" and t,
                    timeout=60)
    codes = {c["name"]: c["exitCode"] for c in task["containers"]}
    assert codes == {"main": 2, "side": 137}  # sleep as PID 1 ignores SIGTERM: killed after stopTimeout
    assert task["stopCode"] == "EssentialContainerExited"
    stream = f"d/main/{task_arn.rsplit('/', 1)[1]}"
    assert [e["message"] for e in logs.get_log_events(logGroupName="/docker", logStreamName=stream)["events"]] == [
        "in-docker"]
    assert leftovers(services, task_arn) == ""


def test_task_volumes_ordering_and_localhost(start_sim, services, tmp_path, wait_for) -> None:
    """Scratch volume shared by the task's containers (read-only where asked), an init container, a server on
    localhost reached by its sibling although the executor's network is ``none``; EFS data persists."""
    sim = start_sim(tmp_path, "--executor", "docker", "--docker-host", services["docker_host"],
                    "--docker-network", "none")
    ecs, logs = sim.client("ecs"), sim.client("logs")
    logs.create_log_group(logGroupName="/vols")
    ec2, efs = sim.client("ec2"), sim.client("efs")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    fs_id = efs.create_file_system(CreationToken="vols")["FileSystemId"]
    efs.create_mount_target(FileSystemId=fs_id, SubnetId=subnet)
    access_point = efs.create_access_point(FileSystemId=fs_id, PosixUser={"Uid": 0, "Gid": 0}, RootDirectory={
        "Path": "/sockerless/v1", "CreationInfo": {"OwnerUid": 0, "OwnerGid": 0, "Permissions": "755"}})
    efs_volume = {"name": "persist", "efsVolumeConfiguration": {
        "fileSystemId": fs_id, "transitEncryption": "ENABLED",
        "authorizationConfig": {"accessPointId": access_point["AccessPointId"], "iam": "DISABLED"}}}
    log_config = {"logDriver": "awslogs", "options": {"awslogs-group": "/vols", "awslogs-stream-prefix": "v"}}
    main_script = ("cat /data/greeting; { echo x > /data/other; } 2>/dev/null || echo read-only; "
                   "for i in $(seq 50); do nc 127.0.0.1 8080 && break; sleep 0.1; done; "
                   "cat /efs/kept 2>/dev/null || echo no-efs-data; echo kept > /efs/kept")
    family = f"vol-{uuid.uuid4().hex[:6]}"
    ecs.register_task_definition(
        family=family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        volumes=[{"name": "scratch", "host": {}}, efs_volume],
        containerDefinitions=[
            {"name": "main", "image": "busybox:latest", "command": ["sh", "-c", main_script],
             "logConfiguration": log_config,
             "mountPoints": [{"sourceVolume": "scratch", "containerPath": "/data", "readOnly": True},
                             {"sourceVolume": "persist", "containerPath": "/efs"}],
             "dependsOn": [{"containerName": "init", "condition": "SUCCESS"}, {"containerName": "web",
                                                                                 "condition": "START"}]},
            {"name": "init", "image": "busybox:latest", "essential": False,
             "command": ["sh", "-c", "echo hello-volume > /data/greeting"],
             "mountPoints": [{"sourceVolume": "scratch", "containerPath": "/data"}]},
            {"name": "web", "image": "busybox:latest", "essential": False, "stopTimeout": 2,
             "command": ["sh", "-c", "echo from-localhost | nc -l -p 8080"]},
            {"name": "peek", "image": "busybox:latest", "essential": False, "logConfiguration": log_config,
             "volumesFrom": [{"sourceContainer": "init", "readOnly": True}],
             "dependsOn": [{"containerName": "init", "condition": "SUCCESS"}],
             "command": ["sh", "-c", "cat /data/greeting; { echo x > /data/y; } 2>/dev/null || echo peek-read-only"]}])
    network = {"awsvpcConfiguration": {"subnets": [subnet]}}
    outputs = []
    for _ in range(2):
        task_arn = ecs.run_task(taskDefinition=family, launchType="FARGATE",
                                networkConfiguration=network)["tasks"][0]["taskArn"]
        task = wait_for(lambda arn=task_arn: (t := ecs.describe_tasks(tasks=[arn])["tasks"][0])["lastStatus"]
                        == "STOPPED" and t, timeout=90)
        codes = {c["name"]: c.get("exitCode") for c in task["containers"]}
        assert codes["main"] == 0 and codes["init"] == 0, task
        stream = f"v/main/{task_arn.rsplit('/', 1)[1]}"
        events = logs.get_log_events(logGroupName="/vols", logStreamName=stream, startFromHead=True)["events"]
        outputs.append([e["message"] for e in events])
        peek = logs.get_log_events(logGroupName="/vols", logStreamName=f"v/peek/{task_arn.rsplit('/', 1)[1]}",
                                   startFromHead=True)["events"]
        assert [e["message"] for e in peek] == ["hello-volume", "peek-read-only"]  # volumesFrom init, read-only
        assert not (tmp_path / "volumes" / "tasks" / task_arn.rsplit("/", 1)[1]).exists()
    assert outputs[0] == ["hello-volume", "read-only", "from-localhost", "no-efs-data"]
    assert outputs[1] == ["hello-volume", "read-only", "from-localhost", "kept"]
    assert (tmp_path / "efs" / fs_id / "sockerless" / "v1" / "kept").read_text() == "kept\n"
    assert leftovers(services, task_arn) == ""
