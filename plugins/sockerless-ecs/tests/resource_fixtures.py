"""Fixtures and helpers of the network, volume, pod and sidecar tests (imported by those modules; the
session's process-executor simulator ``sim`` comes from the conftest)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import ecs_support
import pytest
from agentbuild import BuildFailed
from awssim import SimulatorProcess, start_simulator
from sockerless_aws import AwsClients, AwsSettings


@pytest.fixture(scope="module")
def agent_image(services: dict[str, str]) -> str:
    """The sidecar image (``ecs_support.agent_image``: busybox + the static agent, pushed to the real registry)."""
    try:
        return ecs_support.agent_image(services["registry"])
    except (BuildFailed, RuntimeError) as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="module")
def host_sim(tmp_path_factory: pytest.TempPathFactory, services: dict[str, str]) -> Iterator[SimulatorProcess]:
    """Tasks as containers on the real dockerd, on the host network (their agents dial back on loopback)."""
    simulator = start_simulator(tmp_path_factory.mktemp("ecs-sidecar-sim"), "--executor", "docker",
                                "--docker-host", services["docker_host"], "--docker-network", "host")
    yield simulator
    simulator.stop()


@pytest.fixture(scope="module")
def docker_sim(tmp_path_factory: pytest.TempPathFactory, services: dict[str, str]) -> Iterator[SimulatorProcess]:
    """A simulator running tasks as containers on the shared real dockerd (network none: tasks share localhost
    through the simulator's holder container)."""
    simulator = start_simulator(tmp_path_factory.mktemp("ecs-resources-docker-sim"), "--executor", "docker",
                                "--docker-host", services["docker_host"], "--docker-network", "none")
    yield simulator
    simulator.stop()


def clients_for(simulator: SimulatorProcess) -> AwsClients:
    """The backend's clients, in simulator mode."""
    return AwsClients(AwsSettings.from_options("ecs", {"endpoint-url": simulator.endpoint}))


def run(coro: Any) -> Any:
    """Run one coroutine of the module under test."""
    return asyncio.run(coro)


def subnet(simulator: SimulatorProcess, cidr: str, zone: str = "us-east-1a") -> tuple[str, str]:
    """A new VPC and subnet: ``(vpc, subnet)``."""
    ec2 = simulator.client("ec2")
    vpc = ec2.create_vpc(CidrBlock=cidr.rsplit(".", 2)[0] + ".0.0/16")["Vpc"]["VpcId"]
    made = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
    return vpc, made


def wait_stopped(simulator: SimulatorProcess, cluster: str, task_arn: str, timeout: float = 90) -> dict[str, Any]:
    """DescribeTasks until the task is STOPPED."""
    import time

    ecs = simulator.client("ecs")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = ecs.describe_tasks(cluster=cluster, tasks=[task_arn])["tasks"][0]
        if task["lastStatus"] == "STOPPED":
            return task
        time.sleep(0.1)
    raise AssertionError(f"task {task_arn} did not stop within {timeout}s")
