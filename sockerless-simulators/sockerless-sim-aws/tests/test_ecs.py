"""ECS through boto3: task definitions, RunTask really running commands, StopTask, logs, ENIs."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError


@pytest.fixture(scope="module")
def net(sim) -> dict[str, str]:
    ec2 = sim.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.2.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName=f"g-{uuid.uuid4().hex[:6]}", Description="t", VpcId=vpc)["GroupId"]
    return {"vpc": vpc, "subnet": subnet, "group": group}


@pytest.fixture(scope="module")
def ecs(sim) -> Any:
    client = sim.client("ecs")
    client.create_cluster(clusterName="work")
    sim.client("logs").create_log_group(logGroupName="/ecs/work")
    return client


def register(ecs, command: list[str], **container: Any) -> str:
    family = f"fam-{uuid.uuid4().hex[:8]}"
    definition = {"name": "main", "image": "alpine:latest", "command": command,
                  "logConfiguration": {"logDriver": "awslogs", "options": {
                      "awslogs-group": "/ecs/work", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "sl"}},
                  **container}
    ecs.register_task_definition(family=family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"],
                                 cpu="256", memory="512", containerDefinitions=[definition])
    return family


def run(ecs, net, family: str, **kwargs: Any) -> str:
    response = ecs.run_task(cluster="work", taskDefinition=family, launchType="FARGATE",
                            networkConfiguration={"awsvpcConfiguration": {"subnets": [net["subnet"]],
                                                                          "securityGroups": [net["group"]]}},
                            **kwargs)
    assert response["failures"] == []
    assert response["tasks"][0]["lastStatus"] == "PROVISIONING"
    assert response["tasks"][0]["desiredStatus"] == "RUNNING"
    return response["tasks"][0]["taskArn"]


def describe(ecs, task_arn: str) -> dict[str, Any]:
    return ecs.describe_tasks(cluster="work", tasks=[task_arn], include=["TAGS"])["tasks"][0]


def test_exit_code_stop_code_and_logs_in_order(sim, ecs, net, wait_for) -> None:
    family = register(ecs, ["sh", "-c", "echo out1; echo err >&2; echo out2; echo out3; exit 3"])
    task_arn = run(ecs, net, family)
    seen: list[str] = []

    def stopped() -> dict[str, Any] | None:
        task = describe(ecs, task_arn)
        if not seen or seen[-1] != task["lastStatus"]:
            seen.append(task["lastStatus"])
        return task if task["lastStatus"] == "STOPPED" else None

    task = wait_for(stopped, interval=0.005)
    order = ["PROVISIONING", "PENDING", "RUNNING", "DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED"]
    assert [order.index(s) for s in seen] == sorted(order.index(s) for s in seen)
    assert task["stopCode"] == "EssentialContainerExited"
    assert task["stoppedReason"] == "Essential container in task exited"
    assert task["containers"][0]["exitCode"] == 3
    assert task["desiredStatus"] == "STOPPED" and "stoppedAt" in task
    stream = f"sl/main/{task_arn.rsplit('/', 1)[1]}"
    events = sim.client("logs").get_log_events(logGroupName="/ecs/work", logStreamName=stream,
                                              startFromHead=True)["events"]
    messages = [e["message"] for e in events]
    assert [m for m in messages if m.startswith("out")] == ["out1", "out2", "out3"]
    assert "err" in messages


def test_awsvpc_eni_is_real_while_running_and_removed_after(sim, ecs, net, wait_for) -> None:
    task_arn = run(ecs, net, register(ecs, ["sleep", "60"]))
    task = wait_for(lambda: (t := describe(ecs, task_arn))["lastStatus"] == "RUNNING" and t)
    details = {d["name"]: d["value"] for d in task["attachments"][0]["details"]}
    assert task["attachments"][0]["type"] == "ElasticNetworkInterface"
    assert details["privateIPv4Address"].startswith("10.1.2.")
    assert task["containers"][0]["networkInterfaces"][0]["privateIpv4Address"] == details["privateIPv4Address"]
    ec2 = sim.client("ec2")
    enis = ec2.describe_network_interfaces(NetworkInterfaceIds=[details["networkInterfaceId"]])["NetworkInterfaces"]
    assert enis[0]["PrivateIpAddress"] == details["privateIPv4Address"]
    assert task_arn in ecs.list_tasks(cluster="work")["taskArns"]
    ecs.stop_task(cluster="work", task=task_arn, reason="test over")
    task = wait_for(lambda: (t := describe(ecs, task_arn))["lastStatus"] == "STOPPED" and t)
    assert task["stopCode"] == "UserInitiated" and task["stoppedReason"] == "test over"
    assert task["containers"][0]["exitCode"] == 143
    with pytest.raises(ClientError):
        ec2.describe_network_interfaces(NetworkInterfaceIds=[details["networkInterfaceId"]])
    assert task_arn not in ecs.list_tasks(cluster="work")["taskArns"]
    assert task_arn in ecs.list_tasks(cluster="work", desiredStatus="STOPPED")["taskArns"]


def test_stop_escalates_to_sigkill_after_stop_timeout(ecs, net, wait_for) -> None:
    family = register(ecs, ["sh", "-c", "trap '' TERM; while true; do sleep 0.1; done"], stopTimeout=1)
    task_arn = run(ecs, net, family)
    wait_for(lambda: describe(ecs, task_arn)["lastStatus"] == "RUNNING")
    ecs.stop_task(cluster="work", task=task_arn)
    task = wait_for(lambda: (t := describe(ecs, task_arn))["lastStatus"] == "STOPPED" and t, timeout=20)
    assert task["containers"][0]["exitCode"] == 137
    assert task["stoppedReason"] == "Task stopped by user"


def test_overrides_env_and_tags(sim, ecs, net, wait_for) -> None:
    family = register(ecs, ["sh", "-c", 'echo "v=$GREETING"'], environment=[{"name": "GREETING", "value": "def"}])
    task_arn = run(ecs, net, family, tags=[{"key": "sockerless", "value": "yes"}],
                   overrides={"containerOverrides": [{"name": "main",
                                                      "environment": [{"name": "GREETING", "value": "over"}]}]})
    task = wait_for(lambda: (t := describe(ecs, task_arn))["lastStatus"] == "STOPPED" and t)
    assert {"key": "sockerless", "value": "yes"} in task["tags"]
    assert ecs.list_tags_for_resource(resourceArn=task_arn)["tags"] == [{"key": "sockerless", "value": "yes"}]
    stream = f"sl/main/{task_arn.rsplit('/', 1)[1]}"
    events = sim.client("logs").get_log_events(logGroupName="/ecs/work", logStreamName=stream)["events"]
    assert [e["message"] for e in events] == ["v=over"]


def test_missing_command_fails_to_start_clearly(ecs, net, wait_for) -> None:
    task_arn = run(ecs, net, register(ecs, ["no-such-command-on-host"]))
    task = wait_for(lambda: (t := describe(ecs, task_arn))["lastStatus"] == "STOPPED" and t)
    assert task["stopCode"] == "TaskFailedToStart"
    assert "executable file not found" in task["stoppedReason"]
    assert "executable file not found" in task["containers"][0]["reason"]


def test_task_definition_revisions_and_errors(ecs, net) -> None:
    family = register(ecs, ["true"])
    second = ecs.register_task_definition(family=family, containerDefinitions=[{"name": "a", "image": "x"}])
    assert second["taskDefinition"]["revision"] == 2
    assert ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]["revision"] == 2
    ecs.deregister_task_definition(taskDefinition=f"{family}:2")
    assert ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]["revision"] == 1
    with pytest.raises(ClientError) as exc:
        ecs.run_task(cluster="nope", taskDefinition=family)
    assert exc.value.response["Error"]["Code"] == "ClusterNotFoundException"
    with pytest.raises(ClientError) as exc:
        ecs.run_task(cluster="work", taskDefinition=family)
    assert "Network Configuration must be provided" in exc.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as exc:
        ecs.register_task_definition(family="bad", containerDefinitions=[{"name": "a"}])
    assert exc.value.response["Error"]["Code"] == "ClientException"
    missing = ecs.describe_tasks(cluster="work", tasks=["0" * 32])
    assert missing["failures"][0]["reason"] == "MISSING"
