"""Agent injection through a sidecar: the init container copies the static agent onto a task volume, the
workload runs it from there (read-only) and it dials back to an agent hub; run for real on the real dockerd."""

from __future__ import annotations

import asyncio
import uuid
from types import SimpleNamespace

import pytest
from resource_fixtures import agent_image, host_sim, wait_stopped  # noqa: F401
from sockerless.agent import protocol
from sockerless.agent.bridge import AgentBridge
from sockerless.agent.hub import AgentHub
from sockerless.agent.link import ReverseAddress
from sockerless.engine.stdio import OutputStream, ProcessIO
from sockerless_ecs import pods, sidecar


def test_injection_parts() -> None:
    config = SimpleNamespace(agent_image="reg.example/agent:1", log_group="/g", aws=SimpleNamespace(region="eu-west-1"))
    parts = sidecar.injection(config, ["--container", "abc"])
    assert parts.entry_point == ["/.sockerless/sockerless-agent", "--container", "abc", "--"]
    assert parts.volumes == [{"name": "sockerless-agent", "host": {}}]
    init = parts.extra_containers[0]
    assert init["name"] == sidecar.INIT_CONTAINER and init["essential"] is False and init["image"] == config.agent_image
    assert init["entryPoint"] == ["/bin/cp", sidecar.IMAGE_AGENT_PATH, sidecar.AGENT_BINARY]
    assert init["logConfiguration"]["options"] == {"awslogs-group": "/g", "awslogs-stream-prefix": "sockerless",
                                                   "awslogs-region": "eu-west-1"}
    assert parts.container_fields == {
        "dependsOn": [{"containerName": sidecar.INIT_CONTAINER, "condition": "SUCCESS"}],
        "mountPoints": [{"sourceVolume": "sockerless-agent", "containerPath": "/.sockerless", "readOnly": True}]}
    with pytest.raises(ValueError, match="needs option agent-image"):
        sidecar.init_container("")


async def _exec(bridge: AgentBridge, container: SimpleNamespace, argv: list[str]) -> tuple[int, bytes, bytes]:
    loop = asyncio.get_running_loop()
    out, err = bytearray(), bytearray()
    closed = [asyncio.Event(), asyncio.Event()]
    io = ProcessIO(stdin=None,
                   stdout=OutputStream(loop, lambda chunks: [out.extend(d) for _, d in chunks], closed[0].set),
                   stderr=OutputStream(loop, lambda chunks: [err.extend(d) for _, d in chunks], closed[1].set))
    process = await bridge.exec_start(container, uuid.uuid4().hex, argv, [], "", "", False, io)
    result = await process.wait()
    await asyncio.gather(*(event.wait() for event in closed))
    return result.code, bytes(out), bytes(err)


@pytest.mark.timeout(900)  # the first run of an agent source version includes the static build
def test_sidecar_agent_runs_the_workload_from_the_task_volume(host_sim, agent_image) -> None:  # noqa: F811
    ecs, logs = host_sim.client("ecs"), host_sim.client("logs")
    ecs.create_cluster(clusterName="sidecar")
    logs.create_log_group(logGroupName="/sidecar")
    container = SimpleNamespace(id=uuid.uuid4().hex * 2)
    token = "sidecar-" + uuid.uuid4().hex

    async def scenario() -> None:
        hub = AgentHub()
        try:
            url = await hub.reverse_url()
            hub.expect(container.id, token)
            config = SimpleNamespace(agent_image=agent_image, log_group="/sidecar",
                                     aws=SimpleNamespace(region="us-east-1"))
            parts = sidecar.injection(config, ["--container", container.id])
            workload = pods.merge_fields({"name": "main", "image": "busybox:latest", "entryPoint": parts.entry_point,
                                          "command": ["sleep", "120"], "stopTimeout": 2}, parts.container_fields)
            family = f"sidecar-{uuid.uuid4().hex[:6]}"
            ecs.register_task_definition(family=family, volumes=parts.volumes,
                                         containerDefinitions=[workload, *parts.extra_containers])
            task_arn = ecs.run_task(cluster="sidecar", taskDefinition=family, overrides={"containerOverrides": [
                {"name": "main", "environment": [{"name": "SOCKERLESS_AGENT_CONNECT", "value": url},
                                                 {"name": protocol.TOKEN_ENV, "value": token}]}]})["tasks"][0]["taskArn"]
            bridge = AgentBridge(hub, lambda c: ReverseAddress(c.id, token), connect_timeout=120)
            code, out, _ = await _exec(bridge, container, [
                "sh", "-c", "ls /.sockerless; touch /.sockerless/x 2>/dev/null || echo read-only; "
                            "ls /usr/bin/python3 2>/dev/null || echo no-python"])
            assert (code, out) == (0, b"sockerless-agent\nread-only\nno-python\n")
            ecs.stop_task(cluster="sidecar", task=task_arn)
            task = await asyncio.to_thread(wait_stopped, host_sim, "sidecar", task_arn)
            codes = {c["name"]: c.get("exitCode") for c in task["containers"]}
            assert codes[sidecar.INIT_CONTAINER] == 0
        finally:
            await hub.close()

    asyncio.run(scenario())
