"""Orphans: what is tagged for this daemon and no record of its state holds.

A daemon killed between RunTask and persisting the task's ARN, between StopTask and deleting
the task definition, or between creating a network's or a volume's resources and saving its
record leaves such resources behind; at the next start they are found by their tags (and
RunTask's ``startedBy``) and removed: tasks and task definitions (:meth:`OrphanCleaner.run`),
then networks' security groups and namespaces and volumes' access points
(:meth:`OrphanCleaner.run_resources`, which may wait for ENIs of just-stopped tasks).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sockerless_aws import AwsClients, CloudError, tags

from . import networks, volumes
from .taskdef import FAMILY_PREFIX

log = logging.getLogger("sockerless.backend.ecs")


@dataclass
class CleanupReport:
    """What a cleanup removed (ARNs; network ids and access point ids)."""

    stopped_tasks: list[str] = field(default_factory=list)
    deleted_task_definitions: list[str] = field(default_factory=list)
    removed_networks: list[str] = field(default_factory=list)
    deleted_access_points: list[str] = field(default_factory=list)


class OrphanCleaner:
    """Removes what this daemon instance created and no longer owns."""

    def __init__(self, clients: AwsClients, cluster: str, instance: str, started_by: str) -> None:
        self.clients = clients
        self.cluster = cluster
        self.instance = instance
        self.started_by = started_by

    def _ours(self, resource_tags: list[dict[str, str]] | None) -> bool:
        return tags.matches(tags.from_key_value(resource_tags), tags.owned(self.instance))

    async def run(self, keep_tasks: set[str], keep_definitions: set[str]) -> CleanupReport:
        """Stop the tasks and delete the task definitions that are ours and not kept."""
        report = CleanupReport()
        await self._tasks(keep_tasks, report)
        await self._definitions(keep_definitions, report)
        return report

    async def run_resources(self, network_ids: Iterable[str], volume_records: Iterable[Any]) -> CleanupReport:
        """Delete the network resources whose network id is not in ``network_ids`` and the access points
        that none of ``volume_records`` holds."""
        report = CleanupReport()
        report.removed_networks = await networks.remove_orphans(self.clients, self.instance, network_ids)
        report.deleted_access_points = await volumes.remove_orphans(self.clients, self.instance, volume_records)
        return report

    async def _tasks(self, keep: set[str], report: CleanupReport) -> None:
        try:
            arns = await self.clients.paginate("ecs", "list_tasks", "taskArns", cluster=self.cluster,
                                               startedBy=self.started_by, desiredStatus="RUNNING")
        except CloudError as exc:
            if exc.status == 404:  # no cluster: nothing of ours runs
                return
            raise
        candidates = [arn for arn in arns if arn not in keep]
        for start in range(0, len(candidates), 100):
            answer = await self.clients.call("ecs", "describe_tasks", cluster=self.cluster,
                                             tasks=candidates[start:start + 100], include=["TAGS"])
            for task in answer.get("tasks", []):
                if self._ours(task.get("tags")) and task.get("lastStatus") != "STOPPED":
                    log.info("stopping orphaned task %s", task["taskArn"])
                    await self.clients.call("ecs", "stop_task", cluster=self.cluster, task=task["taskArn"],
                                            reason="sockerless: orphaned task (its container is gone)")
                    report.stopped_tasks.append(task["taskArn"])

    async def _definitions(self, keep: set[str], report: CleanupReport) -> None:
        families = await self.clients.paginate("ecs", "list_task_definition_families", "families",
                                               familyPrefix=FAMILY_PREFIX, status="ALL")
        for family in families:
            for status in ("ACTIVE", "INACTIVE"):
                arns = await self.clients.paginate("ecs", "list_task_definitions", "taskDefinitionArns",
                                                   familyPrefix=family, status=status)
                for arn in arns:
                    if arn not in keep and await self._owned_definition(arn):
                        await self._delete_definition(arn, active=status == "ACTIVE")
                        report.deleted_task_definitions.append(arn)

    async def _owned_definition(self, arn: str) -> bool:
        try:
            found = await self.clients.call("ecs", "describe_task_definition", taskDefinition=arn, include=["TAGS"])
        except CloudError as exc:
            if exc.status in (400, 404):  # deleted meanwhile
                return False
            raise
        return self._ours(found.get("tags"))

    async def _delete_definition(self, arn: str, *, active: bool) -> None:
        log.info("deleting orphaned task definition %s", arn)
        if active:
            await self.clients.call("ecs", "deregister_task_definition", taskDefinition=arn)
        await self.clients.call("ecs", "delete_task_definitions", taskDefinitions=[arn])
