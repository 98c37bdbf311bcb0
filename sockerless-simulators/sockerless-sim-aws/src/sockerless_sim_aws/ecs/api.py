"""ECS operations over :class:`ECSModel` and :class:`TaskRunner`."""

from __future__ import annotations

import copy
from typing import Any

from ..arns import arn, new_uuid, task_id
from ..protocol.errors import AWSError
from ..protocol.json11 import JsonService, required
from . import network, ordering, volumes
from .models import ECSModel, TaskRecord, epoch
from .tasks import TaskRunner

TARGET = "AmazonEC2ContainerServiceV20141113"
CONTAINER_DEFAULTS: dict[str, Any] = {"cpu": 0, "portMappings": [], "essential": True, "environment": [],
                                      "mountPoints": [], "volumesFrom": []}


def _client_error(message: str) -> AWSError:
    return AWSError("ClientException", message)


def _validate_task_definition(body: dict[str, Any]) -> None:
    containers = body.get("containerDefinitions") or []
    if not containers:
        raise _client_error("Container list cannot be empty.")
    names = [c.get("name") for c in containers]
    for container in containers:
        if not container.get("name"):
            raise _client_error("Container.name should not be null or empty.")
        if not container.get("image"):
            raise _client_error("Container.image should not be null or empty.")
    if len(set(names)) != len(names):
        raise _client_error("Container names must be unique within a task definition.")
    ordering.validate(containers)
    volumes.validate(body)
    if "FARGATE" in (body.get("requiresCompatibilities") or []):
        if body.get("networkMode") != "awsvpc":
            raise _client_error("Fargate only supports network mode 'awsvpc'.")
        if not body.get("cpu"):
            raise _client_error("Fargate requires that 'cpu' be defined at the task level.")
        if not body.get("memory"):
            raise _client_error("Fargate requires that 'memory' be defined at the task level.")


class ECSAPI:
    """The simulated ECS operations."""

    def __init__(self, model: ECSModel, runner: TaskRunner) -> None:
        self.model = model
        self.runner = runner

    def service(self) -> JsonService:
        """The JSON 1.1 dispatcher."""
        ops = {name: getattr(self, attr) for name, attr in (
            ("CreateCluster", "create_cluster"), ("DescribeClusters", "describe_clusters"),
            ("ListClusters", "list_clusters"), ("DeleteCluster", "delete_cluster"),
            ("RegisterTaskDefinition", "register_task_definition"),
            ("DescribeTaskDefinition", "describe_task_definition"),
            ("DeregisterTaskDefinition", "deregister_task_definition"),
            ("DeleteTaskDefinitions", "delete_task_definitions"),
            ("ListTaskDefinitions", "list_task_definitions"),
            ("ListTaskDefinitionFamilies", "list_task_definition_families"),
            ("RunTask", "run_task"), ("StartTask", "start_task"), ("StopTask", "stop_task"),
            ("DescribeTasks", "describe_tasks"), ("ListTasks", "list_tasks"),
            ("TagResource", "tag_resource"), ("UntagResource", "untag_resource"),
            ("ListTagsForResource", "list_tags_for_resource"))}
        return JsonService(TARGET, ops)

    # clusters ---------------------------------------------------------------------------

    def create_cluster(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        cluster = self.model.add_cluster(region, body.get("clusterName") or "default", body.get("tags") or [])
        return {"cluster": self._cluster_view(cluster, ["TAGS"])}

    def _cluster_view(self, cluster: dict[str, Any], include: list[str]) -> dict[str, Any]:
        view = self.model.counts(cluster)
        if "TAGS" in include:
            view["tags"] = self.model.tags.get(cluster["clusterArn"], [])
        return view

    def describe_clusters(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        clusters, failures = [], []
        for ref in body.get("clusters") or ["default"]:
            try:
                clusters.append(self._cluster_view(self.model.cluster(region, ref), body.get("include") or []))
            except AWSError:
                failures.append({"arn": ref if ref.startswith("arn:") else arn("ecs", region, f"cluster/{ref}"),
                                 "reason": "MISSING"})
        return {"clusters": clusters, "failures": failures}

    def list_clusters(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        arns = sorted(a for a, c in self.model.clusters.items() if c["status"] == "ACTIVE" and f":{region}:" in a)
        return {"clusterArns": arns}

    def delete_cluster(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        cluster = self.model.cluster(region, required(body, "cluster"), create_default=False)
        if any(t.view["clusterArn"] == cluster["clusterArn"] and t.status != "STOPPED"
               for t in self.model.tasks.values()):
            raise AWSError("ClusterContainsTasksException",
                           "The Cluster cannot be deleted while Tasks are active.")
        with self.model.lock:
            cluster["status"] = "INACTIVE"
            self.model.changed.touch()
        return {"cluster": self.model.counts(cluster)}

    # task definitions -------------------------------------------------------------------

    def register_task_definition(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        family = required(body, "family", "ClientException")
        _validate_task_definition(body)
        with self.model.lock:
            revision = self.model.next_revision(family)
            td_arn = arn("ecs", region, f"task-definition/{family}:{revision}")
            definition = {key: copy.deepcopy(value) for key, value in body.items() if key != "tags"}
            definition |= {"taskDefinitionArn": td_arn, "family": family, "revision": revision,
                           "containerDefinitions": [CONTAINER_DEFAULTS | c for c in body["containerDefinitions"]],
                           "volumes": body.get("volumes", []), "status": "ACTIVE", "requiresAttributes": [],
                           "placementConstraints": body.get("placementConstraints", []),
                           "compatibilities": ["EC2", "FARGATE"], "registeredAt": epoch(),
                           "registeredBy": arn("iam", "", "root"),
                           "networkMode": body.get("networkMode", "bridge")}
            self.model.task_definitions[td_arn] = definition
            self.model.set_tags(td_arn, body.get("tags") or [])
        return {"taskDefinition": definition, "tags": self.model.tags.get(td_arn, [])}

    def describe_task_definition(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        definition = self.model.task_definition(region, required(body, "taskDefinition", "ClientException"))
        result: dict[str, Any] = {"taskDefinition": definition}
        if "TAGS" in (body.get("include") or []):
            result["tags"] = self.model.tags.get(definition["taskDefinitionArn"], [])
        return result

    def deregister_task_definition(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        ref = required(body, "taskDefinition", "ClientException")
        if ":" not in ref.split("task-definition/")[-1]:
            raise _client_error("Invalid revision number. Number: " + ref)
        definition = self.model.task_definition(region, ref)
        with self.model.lock:
            definition["status"] = "INACTIVE"
            definition["deregisteredAt"] = epoch()
            self.model.changed.touch()
        return {"taskDefinition": definition}

    def delete_task_definitions(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        deleted, failures = [], []
        for ref in body.get("taskDefinitions") or []:
            try:
                definition = self.model.task_definition(region, ref)
            except AWSError:
                failures.append({"arn": ref, "reason": "The specified task definition does not exist."})
                continue
            if definition["status"] == "ACTIVE":
                failures.append({"arn": definition["taskDefinitionArn"],
                                 "reason": "The specified task definition is still in ACTIVE status."})
                continue
            with self.model.lock:
                definition["status"] = "DELETE_IN_PROGRESS"
                del self.model.task_definitions[definition["taskDefinitionArn"]]
                self.model.changed.touch()
            deleted.append(definition)
        return {"taskDefinitions": deleted, "failures": failures}

    def list_task_definitions(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        status = body.get("status", "ACTIVE")
        family = body.get("familyPrefix")
        found = [td for td in self.model.task_definitions.values()
                 if td["status"] == status and (family is None or td["family"] == family)
                 and td["taskDefinitionArn"].split(":")[3] == region]
        found.sort(key=lambda td: (td["family"], td["revision"]), reverse=body.get("sort") == "DESC")
        return {"taskDefinitionArns": [td["taskDefinitionArn"] for td in found]}

    def list_task_definition_families(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        prefix = body.get("familyPrefix", "")
        families = {td["family"] for td in self.model.task_definitions.values()
                    if td["family"].startswith(prefix) and td["taskDefinitionArn"].split(":")[3] == region
                    and (body.get("status", "ACTIVE") == "ALL" or td["status"] == body.get("status", "ACTIVE"))}
        return {"families": sorted(families)}

    # tasks ------------------------------------------------------------------------------

    def run_task(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        cluster = self.model.cluster(region, body.get("cluster"))
        definition = self.model.task_definition(region, required(body, "taskDefinition"))
        if definition["status"] != "ACTIVE":
            raise _client_error("TaskDefinition is inactive")
        count = int(body.get("count", 1))
        if not 1 <= count <= 10:
            raise AWSError("InvalidParameterException", "count must be between 1 and 10.")
        awsvpc = (body.get("networkConfiguration") or {}).get("awsvpcConfiguration")
        if definition.get("networkMode") == "awsvpc" and not awsvpc:
            raise AWSError("InvalidParameterException",
                           "Network Configuration must be provided when networkMode 'awsvpc' is specified.")
        tasks = [self._new_task(region, cluster, definition, body, awsvpc) for _ in range(count)]
        overrides = body.get("overrides") or {}
        for task in tasks:
            self.runner.launch(task, definition, overrides)
        return {"tasks": [copy.deepcopy(t.view) for t in tasks], "failures": []}

    def _new_task(self, region: str, cluster: dict[str, Any], definition: dict[str, Any], body: dict[str, Any],
                  awsvpc: dict[str, Any] | None) -> TaskRecord:
        task_arn = arn("ecs", region, f"task/{cluster['clusterName']}/{task_id()}")
        attachments = []
        if awsvpc:
            attachments.append(network.attach_eni(region, awsvpc, f"arn:aws:ecs:{region}:attachment/{new_uuid()}"))
        ip = network.detail(attachments[0], "privateIPv4Address") if attachments else None
        containers = []
        for c in definition["containerDefinitions"]:
            container = {"containerArn": arn("ecs", region, f"container/{cluster['clusterName']}/"
                                             f"{task_arn.rsplit('/', 1)[-1]}/{new_uuid()}"),
                         "taskArn": task_arn, "name": c["name"], "image": c["image"], "lastStatus": "PENDING",
                         "cpu": str(c.get("cpu", 0)), "networkInterfaces": [], "healthStatus": "UNKNOWN"}
            if c.get("memory"):
                container["memory"] = str(c["memory"])
            if ip:
                container["networkInterfaces"] = [{"attachmentId": attachments[0]["id"], "privateIpv4Address": ip}]
            containers.append(container)
        launch_type = body.get("launchType") or ("FARGATE" if "FARGATE" in definition.get("requiresCompatibilities", [])
                                                 else "EC2")
        view: dict[str, Any] = {
            "taskArn": task_arn, "clusterArn": cluster["clusterArn"],
            "taskDefinitionArn": definition["taskDefinitionArn"], "containers": containers,
            "lastStatus": "PROVISIONING", "desiredStatus": "RUNNING", "createdAt": epoch(),
            "launchType": launch_type, "cpu": str(definition.get("cpu", "")), "memory": str(definition.get("memory", "")),
            "overrides": {"containerOverrides": [], "inferenceAcceleratorOverrides": []} | (body.get("overrides") or {}),
            "attachments": attachments, "availabilityZone": f"{region}a",
            "group": body.get("group") or f"family:{definition['family']}", "version": 1,
            "enableExecuteCommand": bool(body.get("enableExecuteCommand", False)),
            "ephemeralStorage": {"sizeInGiB": 20}, "healthStatus": "UNKNOWN",
            "attributes": [{"name": "ecs.cpu-architecture", "value": "x86_64"}]}
        if launch_type == "FARGATE":
            view |= {"platformVersion": body.get("platformVersion") or "1.4.0", "platformFamily": "Linux"}
        if body.get("startedBy"):
            view["startedBy"] = body["startedBy"]
        task = TaskRecord(view, region)
        with self.model.lock:
            self.model.tasks[task_arn] = task
            tags = list(body.get("tags") or [])
            if body.get("propagateTags") == "TASK_DEFINITION":
                tags = self.model.tags.get(definition["taskDefinitionArn"], []) + tags
            self.model.set_tags(task_arn, tags)
        return task

    def start_task(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        self.model.cluster(region, body.get("cluster"))
        instances = body.get("containerInstances") or []
        if not instances:
            raise AWSError("InvalidParameterException", "Container instances cannot be empty.")
        return {"tasks": [], "failures": [{"arn": ref, "reason": "MISSING",
                                           "detail": "the simulator has no container instances; use RunTask"}
                                          for ref in instances]}

    def stop_task(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        cluster = self.model.cluster(region, body.get("cluster"))
        task = self.model.task(region, cluster["clusterArn"], required(body, "task"))
        self.runner.request_stop(task, body.get("reason") or "Task stopped by user")
        return {"task": self._task_view(task, [])}

    def _task_view(self, task: TaskRecord, include: list[str]) -> dict[str, Any]:
        with self.model.lock:
            view = copy.deepcopy(task.view)
        if "TAGS" in include:
            view["tags"] = self.model.tags.get(task.arn, [])
        return view

    def describe_tasks(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        cluster = self.model.cluster(region, body.get("cluster"))
        tasks, failures = [], []
        for ref in required(body, "tasks"):
            try:
                tasks.append(self._task_view(self.model.task(region, cluster["clusterArn"], ref),
                                             body.get("include") or []))
            except AWSError:
                failures.append({"arn": ref, "reason": "MISSING"})
        return {"tasks": tasks, "failures": failures}

    def list_tasks(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        cluster = self.model.cluster(region, body.get("cluster"))
        desired = body.get("desiredStatus", "RUNNING")
        family = body.get("family")
        found = [t for t in self.model.tasks.values()
                 if t.view["clusterArn"] == cluster["clusterArn"] and t.view["desiredStatus"] == desired
                 and (family is None or t.view["group"] == f"family:{family}")
                 and (body.get("startedBy") is None or t.view.get("startedBy") == body["startedBy"])
                 and (body.get("launchType") is None or t.view["launchType"] == body["launchType"])]
        found.sort(key=lambda t: t.view["createdAt"])
        return {"taskArns": [t.arn for t in found]}

    # tags -------------------------------------------------------------------------------

    def _tagged(self, body: dict[str, Any]) -> str:
        resource = required(body, "resourceArn")
        if not self.model.exists(resource):
            raise AWSError("InvalidParameterException", f"The specified resource does not exist: {resource}")
        return resource

    def tag_resource(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        self.model.set_tags(self._tagged(body), body.get("tags") or [])
        return {}

    def untag_resource(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        self.model.remove_tags(self._tagged(body), body.get("tagKeys") or [])
        return {}

    def list_tags_for_resource(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        return {"tags": self.model.tags.get(self._tagged(body), [])}

