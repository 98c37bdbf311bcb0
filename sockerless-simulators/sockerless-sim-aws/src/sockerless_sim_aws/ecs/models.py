"""ECS resources as stored: plain dicts in the wire shape, so describes return them unchanged."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from ..arns import arn, resource_name
from ..protocol.errors import AWSError
from ..state import Changes


def epoch() -> float:
    """Seconds since the epoch: JSON 1.1 timestamps."""
    return round(time.time(), 3)


@dataclass
class TaskRecord:
    """A task: its wire view plus what the runner needs."""

    view: dict[str, Any]
    region: str
    stop_timeouts: dict[str, int] = field(default_factory=dict)

    @property
    def arn(self) -> str:
        """The task ARN."""
        return self.view["taskArn"]

    @property
    def status(self) -> str:
        """``lastStatus``."""
        return self.view["lastStatus"]


class ECSModel:
    """Clusters, task definitions, tasks and tags of the simulated account."""

    def __init__(self, changes: Changes) -> None:
        self.lock = threading.RLock()
        self.changed = changes
        self.clusters: dict[str, dict[str, Any]] = {}
        self.task_definitions: dict[str, dict[str, Any]] = {}
        self.tasks: dict[str, TaskRecord] = {}
        self.tags: dict[str, list[dict[str, str]]] = {}

    # clusters ---------------------------------------------------------------------------

    def cluster(self, region: str, name_or_arn: str | None, *, create_default: bool = True) -> dict[str, Any]:
        """The cluster named (``default`` when absent, created on first use as ECS does)."""
        name = resource_name(name_or_arn or "default")
        cluster_arn = arn("ecs", region, f"cluster/{name}")
        with self.lock:
            cluster = self.clusters.get(cluster_arn)
            if cluster is None and name == "default" and create_default:
                cluster = self.add_cluster(region, name, [])
            if cluster is None or cluster["status"] != "ACTIVE":
                raise AWSError("ClusterNotFoundException", "Cluster not found.")
            return cluster

    def add_cluster(self, region: str, name: str, tags: list[dict[str, str]]) -> dict[str, Any]:
        """Create (or return the active) cluster ``name``."""
        cluster_arn = arn("ecs", region, f"cluster/{name}")
        with self.lock:
            existing = self.clusters.get(cluster_arn)
            if existing is not None and existing["status"] == "ACTIVE":
                return existing
            cluster = {"clusterArn": cluster_arn, "clusterName": name, "status": "ACTIVE",
                       "registeredContainerInstancesCount": 0, "runningTasksCount": 0, "pendingTasksCount": 0,
                       "activeServicesCount": 0, "statistics": [], "settings": [], "capacityProviders": ["FARGATE"],
                       "defaultCapacityProviderStrategy": []}
            self.clusters[cluster_arn] = cluster
            self.set_tags(cluster_arn, tags)
            self.changed.touch()
            return cluster

    def counts(self, cluster: dict[str, Any]) -> dict[str, Any]:
        """The cluster view with live task counts."""
        tasks = [t for t in self.tasks.values() if t.view["clusterArn"] == cluster["clusterArn"]]
        return cluster | {"runningTasksCount": sum(t.status == "RUNNING" for t in tasks),
                          "pendingTasksCount": sum(t.status in ("PROVISIONING", "PENDING") for t in tasks)}

    # task definitions -------------------------------------------------------------------

    def task_definition(self, region: str, ref: str) -> dict[str, Any]:
        """``family``, ``family:revision`` or an ARN; the latest ACTIVE revision for a bare family."""
        name = ref.split("task-definition/", 1)[-1]
        with self.lock:
            if ":" in name:
                found = self.task_definitions.get(arn("ecs", region, f"task-definition/{name}"))
            else:
                revisions = [td for td in self.task_definitions.values()
                             if td["family"] == name and td["status"] == "ACTIVE"
                             and td["taskDefinitionArn"].split(":")[3] == region]
                found = max(revisions, key=lambda td: td["revision"]) if revisions else None
        if found is None:
            raise AWSError("ClientException", "Unable to describe task definition.")
        return found

    def next_revision(self, family: str) -> int:
        """One more than the family's highest revision so far (revisions are never reused)."""
        revisions = [td["revision"] for td in self.task_definitions.values() if td["family"] == family]
        return max(revisions, default=0) + 1

    # tasks ------------------------------------------------------------------------------

    def task(self, region: str, cluster_arn: str, ref: str) -> TaskRecord:
        """A task by ARN or id within a cluster."""
        task_id = resource_name(ref)
        with self.lock:
            for task in self.tasks.values():
                if task.view["clusterArn"] == cluster_arn and task.arn.endswith("/" + task_id):
                    return task
        raise AWSError("InvalidParameterException", f"The referenced task was not found: {ref}")

    def update_task(self, task: TaskRecord, **changes: Any) -> None:
        """Change fields of a task's view."""
        with self.lock:
            task.view.update(changes)
            self.changed.touch()

    def update_container(self, task: TaskRecord, name: str, **changes: Any) -> None:
        """Change fields of one container of a task."""
        with self.lock:
            for container in task.view["containers"]:
                if container["name"] == name:
                    container.update(changes)
            self.changed.touch()

    # tags -------------------------------------------------------------------------------

    def set_tags(self, resource_arn: str, tags: list[dict[str, str]]) -> None:
        """Merge ``[{key, value}]`` tags into a resource's tags."""
        with self.lock:
            current = {t["key"]: t["value"] for t in self.tags.get(resource_arn, [])}
            current.update({t["key"]: t.get("value", "") for t in tags})
            self.tags[resource_arn] = [{"key": k, "value": v} for k, v in current.items()]
            self.changed.touch()

    def remove_tags(self, resource_arn: str, keys: list[str]) -> None:
        """Drop tags by key."""
        with self.lock:
            self.tags[resource_arn] = [t for t in self.tags.get(resource_arn, []) if t["key"] not in keys]
            self.changed.touch()

    def exists(self, resource_arn: str) -> bool:
        """Whether a cluster, task definition or task with this ARN exists."""
        return (resource_arn in self.clusters or resource_arn in self.task_definitions
                or resource_arn in self.tasks)

    # snapshots --------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Everything, as JSON data."""
        with self.lock:
            return {"clusters": self.clusters, "taskDefinitions": self.task_definitions, "tags": self.tags,
                    "tasks": [{"view": t.view, "region": t.region, "stopTimeouts": t.stop_timeouts}
                              for t in self.tasks.values()]}

    def restore(self, data: dict[str, Any]) -> None:
        """Replace the state with a snapshot (tasks that were running are stopped by the runner)."""
        with self.lock:
            self.clusters = data.get("clusters", {})
            self.task_definitions = data.get("taskDefinitions", {})
            self.tags = data.get("tags", {})
            self.tasks = {t["view"]["taskArn"]: TaskRecord(t["view"], t["region"], t.get("stopTimeouts", {}))
                          for t in data.get("tasks", [])}
