"""The container-to-task-definition translation (pure functions)."""

from __future__ import annotations

import pytest
from sockerless_ecs import taskdef


@pytest.mark.parametrize(("cpu", "memory", "expected"), [
    (0, 0, (256, 512)),
    (256, 0, (256, 512)),
    (0, 600 * taskdef.MIB, (256, 1024)),
    (0, 2048 * taskdef.MIB, (256, 2048)),
    (0, 2049 * taskdef.MIB, (512, 3072)),
    (300, 0, (512, 1024)),
    (1024, 512 * taskdef.MIB, (1024, 2048)),
    (1024, 9000 * taskdef.MIB, (2048, 9216)),
    (4096, 30720 * taskdef.MIB, (4096, 30720)),
    (4096, 30721 * taskdef.MIB, (8192, 32768)),
    (16384, 122880 * taskdef.MIB, (16384, 122880)),
])
def test_fargate_size_rounds_up_to_a_valid_pair(cpu, memory, expected):
    assert taskdef.fargate_size(cpu, memory) == expected


def test_fargate_size_refuses_what_fargate_cannot_give():
    with pytest.raises(taskdef.TaskDefinitionError, match="at most 16 vCPUs and 120 GiB"):
        taskdef.fargate_size(20000, 0)
    with pytest.raises(taskdef.TaskDefinitionError):
        taskdef.fargate_size(0, 200 * 1024 * taskdef.MIB)


def test_cpu_units_from_cpus_and_quota():
    assert taskdef.requested_cpu_units(nano_cpus=500_000_000) == 512
    assert taskdef.requested_cpu_units(nano_cpus=1) == 1
    assert taskdef.requested_cpu_units(cpu_quota=50_000, cpu_period=100_000) == 512
    assert taskdef.requested_cpu_units(cpu_quota=200_000) == 2048
    assert taskdef.requested_cpu_units() == 0


def test_port_mappings_merge_exposed_and_bound_ports():
    mappings = taskdef.port_mappings({"80/tcp": {}, "53/udp": {}}, {"80/tcp": [{"HostPort": "8080"}], "443": None})
    assert mappings == [
        {"containerPort": 53, "hostPort": 53, "protocol": "udp"},
        {"containerPort": 80, "hostPort": 80, "protocol": "tcp"},
        {"containerPort": 443, "hostPort": 443, "protocol": "tcp"},
    ]


@pytest.mark.parametrize("spec", ["132/sctp", "8000-8010/tcp", "http/tcp", "0/tcp", "70000"])
def test_port_mappings_refuse_what_ecs_cannot_express(spec):
    with pytest.raises(taskdef.TaskDefinitionError):
        taskdef.port_mappings([spec], None)


def test_environment_keeps_last_value_and_skips_bare_names():
    assert taskdef.environment(["A=1", "B=x=y", "A=2", "BARE", "=v"]) == [
        {"name": "A", "value": "2"}, {"name": "B", "value": "x=y"}]


def test_names_and_stop_timeout():
    cid = "0123456789ab" + "c" * 52
    assert taskdef.family(cid) == "sockerless-0123456789ab"
    assert taskdef.container_name("/web.1") == "web-1"
    assert taskdef.container_name("") == "main"
    assert taskdef.stop_timeout(None) == 10
    assert taskdef.stop_timeout(0) == 2
    assert taskdef.stop_timeout(500) == 120
    arn = "arn:aws:ecs:us-east-1:123456789012:task/sockerless/abc123"
    assert taskdef.log_stream("web", arn) == "sockerless/web/abc123"


def test_register_request_is_a_fargate_awsvpc_definition_with_awslogs():
    main = taskdef.ContainerSpec(name="web", image="alpine", entry_point=["/agent", "--"], command=["sh", "-c", "x"],
                                 env=["A=1"], workdir="/srv", user="1000:1000",
                                 ports=taskdef.port_mappings(["80/tcp"], None), labels={"tier": "front"},
                                 stop_timeout=5, extra={"mountPoints": [{"sourceVolume": "v", "containerPath": "/v"}]})
    request = taskdef.register_request(
        taskdef.TaskSpec(family="sockerless-0123456789ab", containers=[main], cpu=512, memory=1024,
                         execution_role_arn="arn:aws:iam::1:role/exec", tags={"sockerless:managed": "1"}),
        "/sockerless/ecs", "eu-west-1")
    assert request["networkMode"] == "awsvpc" and request["requiresCompatibilities"] == ["FARGATE"]
    assert (request["cpu"], request["memory"]) == ("512", "1024")
    assert request["executionRoleArn"] == "arn:aws:iam::1:role/exec" and "taskRoleArn" not in request
    assert request["tags"] == [{"key": "sockerless:managed", "value": "1"}]
    (definition,) = request["containerDefinitions"]
    assert definition["entryPoint"] == ["/agent", "--"] and definition["command"] == ["sh", "-c", "x"]
    assert definition["environment"] == [{"name": "A", "value": "1"}]
    assert definition["workingDirectory"] == "/srv" and definition["user"] == "1000:1000"
    assert definition["portMappings"] == [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}]
    assert definition["dockerLabels"] == {"tier": "front"} and definition["stopTimeout"] == 5
    assert definition["mountPoints"] == [{"sourceVolume": "v", "containerPath": "/v"}]
    assert definition["logConfiguration"] == {"logDriver": "awslogs", "options": {
        "awslogs-group": "/sockerless/ecs", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "sockerless"}}


def test_empty_fields_are_left_out():
    bare = taskdef.container_definition(taskdef.ContainerSpec(name="m", image="i", entry_point=[], command=[]), "g", "r")
    assert not {"entryPoint", "command", "workingDirectory", "user", "dockerLabels"} & set(bare)


def test_runtime_platform_follows_the_image_architecture():
    assert taskdef.runtime_platform("amd64") == {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"}
    assert taskdef.runtime_platform("arm64")["cpuArchitecture"] == "ARM64"
    with pytest.raises(taskdef.TaskDefinitionError, match="not s390x"):
        taskdef.runtime_platform("s390x")
