"""A workload group as one task definition: names, essential flags, merged parts; run for real on the simulator."""

from __future__ import annotations

import time
import uuid

import pytest
from resource_fixtures import docker_sim, wait_stopped  # noqa: F401
from sockerless_ecs import pods, sidecar


def definition(name: str, command: list[str], **extra) -> dict:
    return {"name": name, "image": "busybox:latest", "command": command, "essential": True, "stopTimeout": 2,
            **extra}


def test_member_names_are_valid_and_unique() -> None:
    assert pods.member_names(["/web.1", "web_1", "db", "", "a" * 300]) == ["web_1", "web_1-2", "db", "member",
                                                                       "a" * 250]
    assert pods.member_names(["sockerless-agent-init"], reserved=["sockerless-agent-init"]) == [
        "sockerless-agent-init-2"]


def test_pod_task_merges_members() -> None:
    agent = sidecar.injection(type("Config", (), {"agent_image": "reg/agent:1", "log_group": ""})(), ["--container", "x"])
    shared = {"name": "v-data", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}}
    first = pods.Member(container_id="a" * 64, docker_name="pod-web", cpu_units=256, memory_bytes=512 << 20,
                        definition=pods.merge_fields(definition("x", ["web"], mountPoints=[
                            {"sourceVolume": "v-data", "containerPath": "/data", "readOnly": False}]),
                            agent.container_fields),
                        volumes=[shared, *agent.volumes], helpers=agent.extra_containers)
    second = pods.Member(container_id="b" * 64, docker_name="pod-db", cpu_units=512, memory_bytes=1024 << 20,
                         definition=definition("y", ["db"]), volumes=[shared, *agent.volumes],
                         helpers=agent.extra_containers)
    task = pods.pod_task([first, second])
    assert [c["name"] for c in task.container_definitions] == ["pod-web", "pod-db", sidecar.INIT_CONTAINER]
    assert [c["essential"] for c in task.container_definitions] == [True, False, False]
    assert task.root == "pod-web" and task.names == {"a" * 64: "pod-web", "b" * 64: "pod-db"}
    assert [v["name"] for v in task.volumes] == ["v-data", sidecar.AGENT_VOLUME]
    web = task.container_definitions[0]
    assert [m["sourceVolume"] for m in web["mountPoints"]] == ["v-data", sidecar.AGENT_VOLUME]  # merged, not replaced
    assert web["dependsOn"] == [{"containerName": sidecar.INIT_CONTAINER, "condition": "SUCCESS"}]
    assert (task.cpu_units, task.memory_bytes) == (768, 1536 << 20)
    clash = pods.Member(container_id="c" * 64, docker_name="c", definition=definition("z", ["true"]),
                        volumes=[{"name": "v-data", "host": {}}])
    with pytest.raises(ValueError, match="define volume v-data differently"):
        pods.pod_task([first, clash])
    with pytest.raises(ValueError, match="at least one container"):
        pods.pod_task([])
    assert pods.member_overrides({"pod-web": [{"name": "K", "value": "V"}]}) == {
        "containerOverrides": [{"name": "pod-web", "environment": [{"name": "K", "value": "V"}]}]}


def test_pod_members_share_localhost_and_a_member_exit_keeps_the_pod(docker_sim) -> None:  # noqa: F811
    server = pods.Member(container_id="1" * 64, docker_name="srv",
                         definition=definition("s", ["sh", "-c", "while true; do echo pong | nc -l -p 7070; done"]))
    client = pods.Member(container_id="2" * 64, docker_name="cli", definition=definition(
        "c", ["sh", "-c", "for i in $(seq 50); do nc 127.0.0.1 7070 | grep -q pong && exit 0; sleep 0.1; done; exit 9"]))
    task = pods.pod_task([server, client])
    ecs = docker_sim.client("ecs")
    ecs.create_cluster(clusterName="pods")
    family = f"pod-{uuid.uuid4().hex[:6]}"
    ecs.register_task_definition(family=family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"],
                                 cpu="256", memory="512", containerDefinitions=task.container_definitions)
    ec2 = docker_sim.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.61.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.61.1.0/24")["Subnet"]["SubnetId"]
    task_arn = ecs.run_task(cluster="pods", taskDefinition=family, launchType="FARGATE", networkConfiguration={
        "awsvpcConfiguration": {"subnets": [subnet]}})["tasks"][0]["taskArn"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        described = ecs.describe_tasks(cluster="pods", tasks=[task_arn])["tasks"][0]
        members = {c["name"]: c for c in described["containers"]}
        if members["cli"].get("lastStatus") == "STOPPED":
            break
        time.sleep(0.1)
    assert members["cli"].get("exitCode") == 0, described  # reached srv on 127.0.0.1
    assert described["lastStatus"] == "RUNNING" and members["srv"]["lastStatus"] == "RUNNING"
    ecs.stop_task(cluster="pods", task=task_arn)
    stopped = wait_stopped(docker_sim, "pods", task_arn)
    assert stopped["stopCode"] == "UserInitiated"
