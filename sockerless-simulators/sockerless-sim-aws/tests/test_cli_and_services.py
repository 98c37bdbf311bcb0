"""The aws CLI against the simulator; the moto-served services with real shapes; bad input."""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request
import uuid

import pytest
from botocore.exceptions import ClientError


def aws(sim, *args: str) -> dict:
    out = subprocess.run(["aws", "--endpoint-url", sim.endpoint, "--output", "json", *args], capture_output=True,
                         text=True, timeout=120, env=sim.env())
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout) if out.stdout.strip() else {}


def test_aws_cli_runs_a_task_and_reads_its_logs(sim, wait_for) -> None:
    group = f"/cli/{uuid.uuid4().hex[:6]}"
    aws(sim, "logs", "create-log-group", "--log-group-name", group)
    containers = [{"name": "c", "image": "alpine", "command": ["sh", "-c", "echo from-cli; exit 5"],
                   "logConfiguration": {"logDriver": "awslogs", "options": {
                       "awslogs-group": group, "awslogs-region": "us-east-1", "awslogs-stream-prefix": "x"}}}]
    family = f"cli-{uuid.uuid4().hex[:6]}"
    aws(sim, "ecs", "register-task-definition", "--family", family, "--container-definitions", json.dumps(containers))
    task = aws(sim, "ecs", "run-task", "--task-definition", family)["tasks"][0]
    done = wait_for(lambda: (t := aws(sim, "ecs", "describe-tasks", "--tasks", task["taskArn"])["tasks"][0])
                    ["lastStatus"] == "STOPPED" and t)
    assert done["containers"][0]["exitCode"] == 5
    events = aws(sim, "logs", "get-log-events", "--log-group-name", group, "--log-stream-name",
                 f"x/c/{task['taskArn'].rsplit('/', 1)[1]}")["events"]
    assert [e["message"] for e in events] == ["from-cli"]
    filtered = aws(sim, "logs", "filter-log-events", "--log-group-name", group, "--filter-pattern", "from")
    assert len(filtered["events"]) == 1
    assert aws(sim, "sts", "get-caller-identity")["Account"] == "123456789012"


def test_networking_iam_cloud_map_and_efs_shapes(sim) -> None:
    ec2 = sim.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]
    assert vpc["State"] == "available" and vpc["CidrBlock"] == "10.9.0.0/16"
    ec2.modify_vpc_attribute(VpcId=vpc["VpcId"], EnableDnsHostnames={"Value": True})
    subnet = ec2.create_subnet(VpcId=vpc["VpcId"], CidrBlock="10.9.1.0/24")["Subnet"]
    group = ec2.create_security_group(GroupName=f"sg-{uuid.uuid4().hex[:6]}", Description="d", VpcId=vpc["VpcId"])
    ec2.authorize_security_group_ingress(GroupId=group["GroupId"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": group["GroupId"]}]}])
    assert ec2.describe_security_groups(GroupIds=[group["GroupId"]])["SecurityGroups"][0]["IpPermissions"]
    assert subnet["AvailableIpAddressCount"] > 200
    iam = sim.client("iam")
    role = iam.create_role(RoleName=f"r-{uuid.uuid4().hex[:6]}", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}))["Role"]
    assert role["Arn"].startswith("arn:aws:iam::123456789012:role/")
    iam.attach_role_policy(RoleName=role["RoleName"],
                           PolicyArn="arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy")
    sd = sim.client("servicediscovery")
    name = f"n{uuid.uuid4().hex[:6]}.local"
    operation = sd.create_private_dns_namespace(Name=name, Vpc=vpc["VpcId"])
    assert sd.get_operation(OperationId=operation["OperationId"])["Operation"]["Status"] == "SUCCESS"
    second = sd.create_private_dns_namespace(Name=f"second-{name}", Vpc=vpc["VpcId"])  # as AWS: many per VPC
    assert sd.get_operation(OperationId=second["OperationId"])["Operation"]["Status"] == "SUCCESS"
    with pytest.raises(ClientError, match="ConflictingDomainExists"):  # but not the same name twice
        sd.create_private_dns_namespace(Name=name.upper(), Vpc=vpc["VpcId"])
    efs = sim.client("efs")
    fs = efs.create_file_system(CreationToken=uuid.uuid4().hex, Tags=[{"Key": "sockerless", "Value": "1"}])
    target = efs.create_mount_target(FileSystemId=fs["FileSystemId"], SubnetId=subnet["SubnetId"])
    assert target["LifeCycleState"] == "available"
    point = efs.create_access_point(FileSystemId=fs["FileSystemId"], RootDirectory={"Path": "/vol"})
    assert point["AccessPointArn"].startswith("arn:aws:elasticfilesystem:")


@pytest.mark.parametrize("target", ["AmazonEC2ContainerServiceV20141113.RunTask", "Logs_20140328.GetLogEvents",
                                    "AmazonEC2ContainerRegistry_V20150921.DescribeImages",
                                    "AmazonEC2ContainerServiceV20141113.NoSuchOperation"])
@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"{}"])
def test_bad_requests_get_client_errors_not_500(sim, target: str, body: bytes) -> None:
    request = urllib.request.Request(sim.endpoint + "/", data=body, method="POST",
                                     headers={"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"})
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(request, timeout=10)
    assert exc.value.code == 400
    assert json.loads(exc.value.read())["__type"]
