"""The shared AWS code against a really started AWS simulator: errors, pagination, CloudWatch log reading."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sockerless_aws import AwsClients, AwsSettings, CloudError, read_log_events
from sockerless_aws.iam import ensure_role

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests"))

from awssim import SimulatorProcess, start_simulator


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatorProcess]:
    simulator = start_simulator(tmp_path_factory.mktemp("aws-common-sim"))
    yield simulator
    simulator.stop()


@pytest.fixture
def clients(sim: SimulatorProcess) -> AwsClients:
    return AwsClients(AwsSettings.from_options("ecs", {"endpoint-url": sim.endpoint}))


def _put(sim: SimulatorProcess, group: str, stream: str, lines: list[tuple[int, str]]) -> None:
    logs = sim.client("logs")
    try:
        logs.create_log_group(logGroupName=group)
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    try:
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    logs.put_log_events(logGroupName=group, logStreamName=stream,
                        logEvents=[{"timestamp": t, "message": m} for t, m in lines])


async def _collect(iterator) -> list[tuple[int, bytes]]:
    return [(rec.time_ns, rec.data) async for rec in iterator]


def test_errors_name_the_backend_and_call(clients: AwsClients) -> None:
    with pytest.raises(CloudError) as caught:
        asyncio.run(clients.call("ecs", "describe_task_definition", taskDefinition="nope:1"))
    assert caught.value.message.startswith("ecs backend: ECS DescribeTaskDefinition: ")
    assert caught.value.status in (400, 404)
    with pytest.raises(CloudError) as caught:
        asyncio.run(clients.call("logs", "get_log_events", logGroupName="/none", logStreamName="x"))
    assert caught.value.status == 404 and "CloudWatch Logs GetLogEvents" in caught.value.message


def test_unreachable_endpoint_is_503() -> None:
    clients = AwsClients(AwsSettings.from_options("lambda", {"endpoint-url": "http://127.0.0.1:9"}))
    with pytest.raises(CloudError) as caught:
        asyncio.run(clients.call("lambda", "list_functions", _config={"retries": {"max_attempts": 1}}))
    assert caught.value.status == 503 and "cannot reach AWS" in caught.value.message


def test_paginate_reads_every_page(sim: SimulatorProcess, clients: AwsClients) -> None:
    logs = sim.client("logs")
    for i in range(7):
        logs.create_log_group(logGroupName=f"/paginate/{i}")
    groups = asyncio.run(clients.paginate("logs", "describe_log_groups", "logGroups", logGroupNamePrefix="/paginate/",
                                          limit=2))
    assert sorted(g["logGroupName"] for g in groups) == [f"/paginate/{i}" for i in range(7)]


def test_read_since_until_tail_and_merge(sim: SimulatorProcess, clients: AwsClients) -> None:
    base = int(time.time() * 1000) - 60_000
    _put(sim, "/read", "a", [(base + 0, "a0"), (base + 20, "a2"), (base + 40, "a4")])
    _put(sim, "/read", "b", [(base + 10, "b1"), (base + 30, "b3\n")])
    everything = asyncio.run(_collect(read_log_events(clients, "/read", ["a", "b", "missing"])))
    assert [d for _, d in everything] == [b"a0\n", b"b1\n", b"a2\n", b"b3\n", b"a4\n"]
    assert everything[0][0] == base * 1_000_000
    window = asyncio.run(_collect(read_log_events(clients, "/read", ["a", "b"], since_ns=(base + 10) * 1_000_000,
                                                  until_ns=(base + 30) * 1_000_000)))
    assert [d for _, d in window] == [b"b1\n", b"a2\n", b"b3\n"]
    last = asyncio.run(_collect(read_log_events(clients, "/read", ["a", "b"], tail=2)))
    assert [d for _, d in last] == [b"b3\n", b"a4\n"]
    assert asyncio.run(_collect(read_log_events(clients, "/read", ["a"], tail=0))) == []
    more = asyncio.run(_collect(read_log_events(clients, "/read", ["a", "b"], tail=50)))  # more than there are
    assert [d for _, d in more] == [b"a0\n", b"b1\n", b"a2\n", b"b3\n", b"a4\n"]
    skipped = asyncio.run(_collect(read_log_events(clients, "/read", ["a"], skip=lambda m: m.startswith("a2"))))
    assert [d for _, d in skipped] == [b"a0\n", b"a4\n"]


def test_follow_until_finished(sim: SimulatorProcess, clients: AwsClients) -> None:
    now = int(time.time() * 1000)
    _put(sim, "/follow", "s", [(now, "first")])
    done = {"value": False}

    async def scenario() -> list[bytes]:
        got: list[bytes] = []

        async def writer() -> None:
            await asyncio.sleep(0.3)
            await asyncio.to_thread(_put, sim, "/follow", "s", [(now + 1, "second")])
            await asyncio.to_thread(_put, sim, "/follow", "late", [(now + 2, "from a new stream")])
            await asyncio.sleep(0.3)
            done["value"] = True

        task = asyncio.ensure_future(writer())
        names = ["s"]

        def streams() -> list[str]:
            if len(got) >= 2:
                names.append("late") if "late" not in names else None
            return names

        async for rec in read_log_events(clients, "/follow", streams, follow=True, finished=lambda: done["value"],
                                         poll=0.05):
            got.append(rec.data)
        await task
        return got

    assert asyncio.run(asyncio.wait_for(scenario(), 30)) == [b"first\n", b"second\n", b"from a new stream\n"]


def test_ensure_role_finds_or_makes_it_once(sim: SimulatorProcess, clients: AwsClients) -> None:
    policy = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
    arn = asyncio.run(ensure_role(clients, "aws-common-role", "ecs-tasks.amazonaws.com", policies=[policy]))
    assert arn.endswith(":role/aws-common-role")
    assert asyncio.run(ensure_role(clients, "aws-common-role", "ecs-tasks.amazonaws.com")) == arn
    iam = sim.client("iam")
    attached = iam.list_attached_role_policies(RoleName="aws-common-role")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [policy]
    trust = iam.get_role(RoleName="aws-common-role")["Role"]["AssumeRolePolicyDocument"]
    assert "ecs-tasks.amazonaws.com" in json.dumps(trust)
