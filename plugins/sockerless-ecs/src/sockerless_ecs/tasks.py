"""Running, waiting for and stopping one container's Fargate task."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sockerless.plugins.backend import StartError
from sockerless_aws import AwsClients, CloudError, tags

from .infra import Infrastructure
from .watcher import exit_code, stop_reason

log = logging.getLogger("sockerless.backend.ecs")

STARTED_STATUSES = ("RUNNING", "DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED")


class TaskControl:
    """RunTask, waiting for RUNNING, StopTask."""

    def __init__(self, clients: AwsClients, poll_interval: float, assign_public_ip: str, started_by: str) -> None:
        self.clients = clients
        self.poll_interval = poll_interval
        self.assign_public_ip = assign_public_ip
        self.started_by = started_by

    async def run(self, infra: Infrastructure, task_definition: str, overrides: dict[str, Any],
                  task_tags: dict[str, str], security_groups: list[str]) -> dict[str, Any]:
        """Start one task; its description. RunTask failures become a ``StartError``."""
        network: dict[str, Any] = {"subnets": infra.subnets, "assignPublicIp": self.assign_public_ip}
        if security_groups:
            network["securityGroups"] = security_groups
        answer = await self.clients.call(
            "ecs", "run_task", cluster=infra.cluster, taskDefinition=task_definition, launchType="FARGATE", count=1,
            networkConfiguration={"awsvpcConfiguration": network}, startedBy=self.started_by,
            overrides=overrides,
            tags=tags.to_key_value(task_tags))
        started = answer.get("tasks") or []
        if not started:
            failures = "; ".join(f"{f.get('arn', '')} {f.get('reason', '')} {f.get('detail', '')}".strip()
                                 for f in answer.get("failures", [])) or "no task and no failure reported"
            raise StartError(f"ecs backend: RunTask started nothing: {failures}", 126)
        return started[0]

    async def wait_started(self, cluster: str, task_arn: str, timeout: float) -> dict[str, Any]:
        """Poll until the task runs (or already stopped); ``StartError`` when it stopped or took too long."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        delay = min(0.05, self.poll_interval)
        last: dict[str, Any] = {}
        while True:
            answer = await self.clients.call("ecs", "describe_tasks", cluster=cluster, tasks=[task_arn])
            if answer.get("tasks"):
                last = answer["tasks"][0]
                if last.get("lastStatus") in STARTED_STATUSES:
                    return last
            if loop.time() >= deadline:
                raise StartError(f"ecs backend: task {task_arn} did not reach RUNNING within {timeout:g}s "
                                 f"(last status {last.get('lastStatus', 'unknown')})", 126)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.poll_interval)

    async def stop(self, cluster: str, task_arn: str, reason: str) -> None:
        """StopTask; a task that is already stopped or gone is fine."""
        try:
            await self.clients.call("ecs", "stop_task", cluster=cluster, task=task_arn, reason=reason[:255])
        except CloudError as exc:
            if exc.status not in (400, 404):
                raise
            log.debug("StopTask %s: %s", task_arn, exc)


def failed_start(task: dict[str, Any] | None, container: str, output: list[str]) -> StartError:
    """The error of a task that stopped before its agent dialled in, with the agent's last words."""
    code = exit_code(task, container)
    detail = " ".join(line.strip().removeprefix("sockerless-agent: ") for line in output[-3:] if line.strip())
    reason = stop_reason(task)
    message = detail or reason
    if detail and reason:
        message = f"{message} (task: {reason})"
    return StartError(f"ecs backend: {message}", code if code in (126, 127) else 126)
