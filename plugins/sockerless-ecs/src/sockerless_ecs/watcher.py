"""Following tasks until they stop: one DescribeTasks poll for every watched task of the daemon.

Each running container waits on its task here (the platform's record of how the workload
ended, used when its agent is gone); polling them together keeps the API calls to one per
interval and 100 tasks, whatever the number of containers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from sockerless_aws import AwsClients, CloudError

log = logging.getLogger("sockerless.backend.ecs")

DESCRIBE_BATCH = 100
LOST_EXIT_CODE = 255
MISSING_ROUNDS = 3
"""Polls a task may be missing from DescribeTasks before it counts as gone (eventual consistency)."""


def exit_code(task: dict[str, Any] | None, container: str) -> int:
    """The exit code of ``container`` in a stopped task (255 when ECS has none: it never ran or vanished)."""
    for entry in (task or {}).get("containers", []):
        if entry.get("name") == container and entry.get("exitCode") is not None:
            return int(entry["exitCode"])
    return LOST_EXIT_CODE


def stop_reason(task: dict[str, Any] | None) -> str:
    """Why a task stopped, with its containers' reasons (``CannotStartContainerError: ...``)."""
    if not task:
        return "the task is gone"
    reasons = [str(task.get("stoppedReason") or task.get("stopCode") or "")]
    reasons += [str(c["reason"]) for c in task.get("containers", []) if c.get("reason")]
    return "; ".join(dict.fromkeys(r for r in reasons if r))


class TaskWatcher:
    """Polls the watched tasks of one cluster; futures complete with each task's final description."""

    def __init__(self, clients: AwsClients, interval: float) -> None:
        self.clients = clients
        self.interval = interval
        self._waiting: dict[str, tuple[str, asyncio.Future[dict[str, Any] | None]]] = {}
        self._latest: dict[str, dict[str, Any]] = {}
        self._missing: dict[str, int] = {}
        self._poller: asyncio.Task | None = None
        self._wake = asyncio.Event()

    def watch(self, cluster: str, task_arn: str) -> asyncio.Future[dict[str, Any] | None]:
        """The future of ``task_arn``'s final description (``None`` when the task vanished)."""
        found = self._waiting.get(task_arn)
        if found is not None:
            return found[1]
        future: asyncio.Future[dict[str, Any] | None] = asyncio.get_running_loop().create_future()
        self._waiting[task_arn] = (cluster, future)
        if self._poller is None or self._poller.done():
            self._poller = asyncio.ensure_future(self._poll())
        self._wake.set()
        return future

    def latest(self, task_arn: str) -> dict[str, Any] | None:
        """The last description seen of a task."""
        return self._latest.get(task_arn)

    def pending(self, task_arn: str) -> bool:
        """True while ``task_arn`` is watched and not yet seen stopped."""
        return task_arn in self._waiting

    def forget(self, task_arn: str) -> None:
        """Stop watching a task (its container is gone)."""
        found = self._waiting.pop(task_arn, None)
        if found is not None and not found[1].done():
            found[1].cancel()
        self._latest.pop(task_arn, None)
        self._missing.pop(task_arn, None)

    async def describe(self, cluster: str, task_arns: list[str]) -> tuple[dict[str, dict[str, Any]], list[str]]:
        """DescribeTasks in batches: the tasks by ARN, and the ARNs ECS does not know."""
        found: dict[str, dict[str, Any]] = {}
        missing: list[str] = []
        for start in range(0, len(task_arns), DESCRIBE_BATCH):
            batch = task_arns[start:start + DESCRIBE_BATCH]
            answer = await self.clients.call("ecs", "describe_tasks", cluster=cluster, tasks=batch, include=["TAGS"])
            for task in answer.get("tasks", []):
                found[task["taskArn"]] = task
                self._latest[task["taskArn"]] = task
            missing += [f.get("arn", "") for f in answer.get("failures", []) if f.get("reason") == "MISSING"]
        return found, missing

    async def _poll(self) -> None:
        while self._waiting:
            self._wake.clear()
            by_cluster: dict[str, list[str]] = {}
            for arn, (cluster, _) in self._waiting.items():
                by_cluster.setdefault(cluster, []).append(arn)
            for cluster, arns in by_cluster.items():
                try:
                    found, missing = await self.describe(cluster, arns)
                except CloudError as exc:
                    log.warning("cannot follow the tasks of cluster %s: %s", cluster, exc)
                    continue
                for arn, task in found.items():
                    self._missing.pop(arn, None)
                    if task.get("lastStatus") == "STOPPED":
                        self._finish(arn, task)
                for arn in missing:
                    self._missing[arn] = self._missing.get(arn, 0) + 1
                    if self._missing[arn] >= MISSING_ROUNDS:
                        self._finish(arn, None)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)

    def _finish(self, task_arn: str, task: dict[str, Any] | None) -> None:
        found = self._waiting.pop(task_arn, None)
        self._missing.pop(task_arn, None)
        if found is not None and not found[1].done():
            found[1].set_result(task)

    async def close(self) -> None:
        """Stop polling."""
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._poller
