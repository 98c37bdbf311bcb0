"""ECS container ordering, essential flags, health checks and volume checks (process executor)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError


@pytest.fixture(scope="module")
def ecs(sim) -> Any:
    client = sim.client("ecs")
    client.create_cluster(clusterName="order")
    sim.client("logs").create_log_group(logGroupName="/ecs/order")
    return client


def container(name: str, command: list[str], **extra: Any) -> dict[str, Any]:
    return {"name": name, "image": "alpine:latest", "command": command, "stopTimeout": 2,
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": "/ecs/order", "awslogs-stream-prefix": "o"}}, **extra}


def register(ecs, *containers: dict[str, Any], **task: Any) -> str:
    family = f"ord-{uuid.uuid4().hex[:8]}"
    ecs.register_task_definition(family=family, containerDefinitions=list(containers), **task)
    return family


def stopped(ecs, wait_for, task_arn: str, timeout: float = 30) -> dict[str, Any]:
    return wait_for(lambda: (t := ecs.describe_tasks(cluster="order", tasks=[task_arn])["tasks"][0])["lastStatus"]
                    == "STOPPED" and t, timeout=timeout)


def by_name(task: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in task["containers"]}


def test_complete_dependency_starts_the_main_container_after_the_init_container(sim, ecs, wait_for,
                                                                                tmp_path: Path) -> None:
    marker = tmp_path / "init-done"
    family = register(ecs, container("main", ["cat", str(marker)], dependsOn=[
        {"containerName": "init", "condition": "COMPLETE"}]),
        container("init", ["sh", "-c", f"sleep 0.5; echo from-init > {marker}; exit 7"], essential=False))
    task_arn = ecs.run_task(cluster="order", taskDefinition=family)["tasks"][0]["taskArn"]
    task = stopped(ecs, wait_for, task_arn)
    containers = by_name(task)
    assert containers["init"]["exitCode"] == 7  # COMPLETE: any exit code
    assert containers["main"]["exitCode"] == 0  # the file existed when main started
    stream = f"o/main/{task_arn.rsplit('/', 1)[1]}"
    events = sim.client("logs").get_log_events(logGroupName="/ecs/order", logStreamName=stream)["events"]
    assert [e["message"] for e in events] == ["from-init"]


def test_failed_success_dependency_stops_the_task(ecs, wait_for) -> None:
    family = register(ecs, container("init", ["sh", "-c", "exit 3"], essential=False),
                      container("main", ["echo", "never"], dependsOn=[{"containerName": "init", "condition": "SUCCESS"}]))
    task = stopped(ecs, wait_for, ecs.run_task(cluster="order", taskDefinition=family)["tasks"][0]["taskArn"])
    containers = by_name(task)
    assert containers["init"]["exitCode"] == 3
    assert containers["main"]["exitCode"] == 143 and "runtimeId" not in containers["main"]
    assert containers["main"]["reason"].startswith("CannotStartContainerError: dependency graph: failed to resolve")
    assert "did not exit successfully" in containers["main"]["reason"]
    assert task["stopCode"] == "EssentialContainerExited"


def test_non_essential_exit_keeps_the_task_running(ecs, wait_for) -> None:
    family = register(ecs, container("main", ["sleep", "60"]),
                      container("side", ["sh", "-c", "exit 5"], essential=False))
    task_arn = ecs.run_task(cluster="order", taskDefinition=family)["tasks"][0]["taskArn"]

    def side_exited() -> dict[str, Any] | None:
        task = ecs.describe_tasks(cluster="order", tasks=[task_arn])["tasks"][0]
        return task if by_name(task)["side"].get("exitCode") == 5 and task["lastStatus"] == "RUNNING" else None

    task = wait_for(side_exited)
    assert by_name(task)["main"]["lastStatus"] == "RUNNING"
    time.sleep(0.5)  # the task does not stop after the non-essential container's exit
    assert ecs.describe_tasks(cluster="order", tasks=[task_arn])["tasks"][0]["lastStatus"] == "RUNNING"
    ecs.stop_task(cluster="order", task=task_arn, reason="done")
    task = stopped(ecs, wait_for, task_arn)
    assert task["stopCode"] == "UserInitiated" and by_name(task)["side"]["exitCode"] == 5


def test_healthy_dependency_waits_for_the_health_check(ecs, wait_for, tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    family = register(
        ecs,
        container("db", ["sh", "-c", f"sleep 1; touch {ready}; sleep 60"],
                  healthCheck={"command": ["CMD-SHELL", f"test -f {ready}"], "interval": 5, "retries": 2}),
        container("app", ["sh", "-c", f"test -f {ready} && sleep 60"],
                  dependsOn=[{"containerName": "db", "condition": "HEALTHY"}]))
    task_arn = ecs.run_task(cluster="order", taskDefinition=family)["tasks"][0]["taskArn"]

    def app_running() -> dict[str, Any] | None:
        task = ecs.describe_tasks(cluster="order", tasks=[task_arn])["tasks"][0]
        return task if by_name(task)["app"]["lastStatus"] == task["lastStatus"] == "RUNNING" else None

    task = wait_for(app_running, timeout=30)
    assert by_name(task)["db"]["healthStatus"] == "HEALTHY"
    assert task["healthStatus"] == "HEALTHY" and task["lastStatus"] == "RUNNING"
    ecs.stop_task(cluster="order", task=task_arn)
    task = stopped(ecs, wait_for, task_arn)
    assert "exitCode" in by_name(task)["app"]  # it had started, so it was really stopped


def test_process_executor_refuses_mount_points(ecs, wait_for) -> None:
    family = register(ecs, container("main", ["true"], mountPoints=[{"sourceVolume": "data", "containerPath": "/data"}]),
                      volumes=[{"name": "data", "host": {}}])
    task = stopped(ecs, wait_for, ecs.run_task(cluster="order", taskDefinition=family)["tasks"][0]["taskArn"])
    assert task["stopCode"] == "TaskFailedToStart"
    assert "process executor cannot mount volume data at /data" in task["stoppedReason"]


def test_registration_checks_volumes_and_dependencies(ecs) -> None:
    fargate = {"requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "256", "memory": "512"}
    cases = [
        ({"containerDefinitions": [container("m", ["true"], mountPoints=[{"sourceVolume": "x",
                                                                          "containerPath": "/x"}])]},
         "Unknown volume 'x'."),
        ({"containerDefinitions": [container("m", ["true"])], "volumes": [{"name": "h", "host": {"sourcePath": "/"}}],
          **fargate}, "Fargate compatible task definitions do not support sourcePath"),
        ({"containerDefinitions": [container("a", ["true"]), container("b", ["true"], dependsOn=[
            {"containerName": "a", "condition": "SUCCESS"}])]},
         "A dependency container with SUCCESS or COMPLETE condition cannot be an essential container"),
        ({"containerDefinitions": [container("a", ["true"], dependsOn=[{"containerName": "zz", "condition": "START"}])]},
         "unknown container 'zz'"),
        ({"containerDefinitions": [container("a", ["true"], essential=False)]}, "at least one essential container"),
        ({"containerDefinitions": [container("a", ["true"], dependsOn=[{"containerName": "b", "condition": "START"}]),
                                   container("b", ["true"], dependsOn=[{"containerName": "a", "condition": "START"}])]},
         "cycle"),
        ({"containerDefinitions": [container("m", ["true"])], "volumes": [{"name": "e", "efsVolumeConfiguration": {
            "fileSystemId": "fs-1", "authorizationConfig": {"accessPointId": "fsap-1"}}}]},
         "Transit encryption must be enabled"),
    ]
    for body, message in cases:
        with pytest.raises(ClientError) as err:
            ecs.register_task_definition(family="bad", **body)
        assert err.value.response["Error"]["Code"] == "ClientException"
        assert message in err.value.response["Error"]["Message"], message


def test_efs_volume_of_a_missing_file_system_or_access_point_fails_the_task(sim, ecs, wait_for) -> None:
    efs = sim.client("efs")
    fs_id = efs.create_file_system(CreationToken=uuid.uuid4().hex)["FileSystemId"]
    ec2 = sim.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.7.1.0/24")["Subnet"]["SubnetId"]
    network = {"awsvpcConfiguration": {"subnets": [subnet]}}

    def run(volume: dict[str, Any]) -> dict[str, Any]:
        family = register(ecs, container("main", ["true"]), volumes=[{"name": "e", "efsVolumeConfiguration": volume}],
                          networkMode="awsvpc")
        return stopped(ecs, wait_for, ecs.run_task(cluster="order", taskDefinition=family,
                                                   networkConfiguration=network)["tasks"][0]["taskArn"])

    task = run({"fileSystemId": "fs-00000000"})
    assert task["stopCode"] == "TaskFailedToStart"
    assert 'Failed to resolve "fs-00000000.efs.us-east-1.amazonaws.com"' in task["stoppedReason"]
    task = run({"fileSystemId": fs_id})
    assert "no mount target" in task["stoppedReason"]
    efs.create_mount_target(FileSystemId=fs_id, SubnetId=subnet)
    task = run({"fileSystemId": fs_id, "transitEncryption": "ENABLED",
                "authorizationConfig": {"accessPointId": "fsap-0000000000000000"}})
    assert "access point fsap-0000000000000000" in task["stoppedReason"]
    task = run({"fileSystemId": fs_id})  # everything exists, no container mounts it: the task runs
    assert task["stopCode"] == "EssentialContainerExited", task["stoppedReason"]
    assert task["stopCode"] == "EssentialContainerExited" and by_name(task)["main"]["exitCode"] == 0


def test_start_timeout_and_stop_while_waiting(ecs, wait_for) -> None:
    family = register(ecs, container("slow", ["sleep", "60"], essential=False),
                      container("main", ["echo", "never"], startTimeout=1,
                                dependsOn=[{"containerName": "slow", "condition": "COMPLETE"}]))
    task = stopped(ecs, wait_for, ecs.run_task(cluster="order", taskDefinition=family)["tasks"][0]["taskArn"])
    main = by_name(task)["main"]
    assert main["exitCode"] == 143 and "startTimeout of 1s passed" in main["reason"]
    assert by_name(task)["slow"]["exitCode"] is not None  # stopped with the task
    family = register(ecs, container("slow", ["sleep", "60"], essential=False),
                      container("main", ["echo", "never"], dependsOn=[{"containerName": "slow",
                                                                        "condition": "COMPLETE"}]))
    task_arn = ecs.run_task(cluster="order", taskDefinition=family)["tasks"][0]["taskArn"]
    wait_for(lambda: by_name(ecs.describe_tasks(cluster="order", tasks=[task_arn])["tasks"][0])["slow"]["lastStatus"]
             == "RUNNING")
    ecs.stop_task(cluster="order", task=task_arn, reason="no more waiting")
    task = stopped(ecs, wait_for, task_arn)
    assert task["stopCode"] == "UserInitiated" and task["stoppedReason"] == "no more waiting"
    assert by_name(task)["main"]["lastStatus"] == "STOPPED" and "exitCode" not in by_name(task)["main"]
