"""Task execution: the state progression of a task driven by real workloads.

PROVISIONING (ENI attached) -> PENDING -> RUNNING (every container started) -> when an
essential container exits or StopTask is called: the others get SIGTERM and, after their
``stopTimeout``, SIGKILL -> DEPROVISIONING (ENI removed) -> STOPPED with ``stopCode``,
``stoppedReason`` and each container's real ``exitCode``.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from ..execution.base import Executor, StartFailure, Workload, WorkloadSpec, stop
from ..logs.models import LogsModel
from . import network
from .models import ECSModel, TaskRecord, epoch

log = logging.getLogger(__name__)
DEFAULT_STOP_TIMEOUT = 30


class TaskRunner:
    """Runs tasks on an executor and keeps their views up to date."""

    def __init__(self, model: ECSModel, logs: LogsModel, executor: Executor, step_delay: float = 0.05) -> None:
        self.model = model
        self.logs = logs
        self.executor = executor
        self.step_delay = step_delay
        self._workloads: dict[str, dict[str, Workload]] = {}
        self._stop_requested: dict[str, threading.Event] = {}

    def launch(self, task: TaskRecord, task_def: dict[str, Any], overrides: dict[str, Any]) -> None:
        """Start running the task in the background."""
        self._stop_requested[task.arn] = threading.Event()
        threading.Thread(target=self._run, args=(task, task_def, overrides), name=f"task-{task.arn[-8:]}",
                         daemon=True).start()

    def request_stop(self, task: TaskRecord, reason: str) -> None:
        """StopTask: desired STOPPED now, the workloads are stopped by the task's thread."""
        if task.view["desiredStatus"] == "STOPPED":
            return
        self.model.update_task(task, desiredStatus="STOPPED", stopCode="UserInitiated", stoppedReason=reason,
                               stoppingAt=epoch())
        event = self._stop_requested.get(task.arn)
        if event is not None:
            event.set()

    def close(self) -> None:
        """Stop every running task's workloads (simulator shutdown)."""
        for task_arn, workloads in list(self._workloads.items()):
            for workload in workloads.values():
                stop(workload, 5)
            event = self._stop_requested.get(task_arn)
            if event is not None:
                event.set()

    def recover(self) -> None:
        """After a restart: tasks that were running lost their workloads; record that and stop them."""
        for task in list(self.model.tasks.values()):
            if task.status == "STOPPED":
                continue
            for container in task.view["containers"]:
                if container.get("runtimeId") and container.get("lastStatus") != "STOPPED":
                    self.executor.reap(container["runtimeId"])
                if container.get("lastStatus") != "STOPPED":
                    self.model.update_container(task, container["name"], lastStatus="STOPPED",
                                                reason="the simulator restarted while the container ran")
            for attachment in task.view.get("attachments", []):
                network.detach_eni(task.region, attachment)
                attachment["status"] = "DELETED"
            self.model.update_task(task, lastStatus="STOPPED", desiredStatus="STOPPED",
                                   stopCode=task.view.get("stopCode") or "TaskFailedToStart",
                                   stoppedReason=task.view.get("stoppedReason") or "the simulator restarted",
                                   stoppedAt=epoch())

    # the task's thread ---------------------------------------------------------------------

    def _step(self, task: TaskRecord, status: str, **changes: Any) -> None:
        time.sleep(self.step_delay)
        self.model.update_task(task, lastStatus=status, **changes)

    def _run(self, task: TaskRecord, task_def: dict[str, Any], overrides: dict[str, Any]) -> None:
        try:
            self._lifecycle(task, task_def, overrides)
        except Exception as exc:  # keep the task's record truthful even when we fail
            log.exception("task %s failed in the simulator", task.arn)
            self._finish(task, "TaskFailedToStart", f"simulator error: {exc}")

    def _lifecycle(self, task: TaskRecord, task_def: dict[str, Any], overrides: dict[str, Any]) -> None:
        stop_event = self._stop_requested[task.arn]
        self._step(task, "PENDING")
        specs = [self._spec(task, c, overrides) for c in task_def["containerDefinitions"]]
        started: dict[str, Workload] = {}
        self._workloads[task.arn] = started
        now = epoch()
        self.model.update_task(task, pullStartedAt=now, pullStoppedAt=now)
        for spec, definition in zip(specs, task_def["containerDefinitions"], strict=True):
            if stop_event.is_set():
                break
            try:
                started[spec.name] = self.executor.start(spec, self._sink(task, definition))
            except StartFailure as exc:
                self.model.update_container(task, spec.name, lastStatus="STOPPED", reason=str(exc))
                self._stop_all(task, started)
                self._finish(task, "TaskFailedToStart", str(exc))
                return
            self.model.update_container(task, spec.name, lastStatus="RUNNING", runtimeId=started[spec.name].runtime_id)
        if not stop_event.is_set():
            self._step(task, "RUNNING", startedAt=epoch(), connectivity="CONNECTED", connectivityAt=epoch())
        essential = {c["name"] for c in task_def["containerDefinitions"] if c.get("essential", True)}
        exited = threading.Event()
        for name, workload in started.items():
            threading.Thread(target=self._watch, args=(task, name, workload, name in essential, exited),
                             daemon=True).start()
        while not (stop_event.is_set() or exited.is_set()):
            stop_event.wait(0.05)
        if exited.is_set() and task.view["desiredStatus"] != "STOPPED":
            self.model.update_task(task, desiredStatus="STOPPED", stopCode="EssentialContainerExited",
                                   stoppedReason="Essential container in task exited", stoppingAt=epoch())
        self._step(task, "DEACTIVATING")
        self._step(task, "STOPPING")
        self._stop_all(task, started)
        self._finish(task, task.view.get("stopCode") or "UserInitiated", task.view.get("stoppedReason") or "")

    def _watch(self, task: TaskRecord, name: str, workload: Workload, essential: bool, exited: threading.Event) -> None:
        code = workload.wait()
        self.model.update_container(task, name, lastStatus="STOPPED", exitCode=code)
        if essential:
            exited.set()

    def _stop_all(self, task: TaskRecord, started: dict[str, Workload]) -> None:
        threads = [threading.Thread(target=self._stop_one, args=(task, name, w)) for name, w in started.items()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _stop_one(self, task: TaskRecord, name: str, workload: Workload) -> None:
        if workload.wait(0) is None:
            code = stop(workload, task.stop_timeouts.get(name, DEFAULT_STOP_TIMEOUT))
            self.model.update_container(task, name, lastStatus="STOPPED", exitCode=code)

    def _finish(self, task: TaskRecord, stop_code: str, reason: str) -> None:
        self.model.update_task(task, desiredStatus="STOPPED", stopCode=task.view.get("stopCode") or stop_code,
                               stoppedReason=task.view.get("stoppedReason") or reason,
                               executionStoppedAt=epoch())
        self._step(task, "DEPROVISIONING")
        for attachment in task.view.get("attachments", []):
            network.detach_eni(task.region, attachment)
            attachment["status"] = "DELETED"
        for container in task.view["containers"]:
            if container.get("lastStatus") != "STOPPED":
                self.model.update_container(task, container["name"], lastStatus="STOPPED")
        self._step(task, "STOPPED", stoppedAt=epoch())
        self._workloads.pop(task.arn, None)
        self._stop_requested.pop(task.arn, None)

    # specs and logs -----------------------------------------------------------------------

    def _spec(self, task: TaskRecord, definition: dict[str, Any], overrides: dict[str, Any]) -> WorkloadSpec:
        override = next((o for o in overrides.get("containerOverrides", []) if o.get("name") == definition["name"]), {})
        env = {e["name"]: e["value"] for e in definition.get("environment", [])}
        env |= {e["name"]: e["value"] for e in override.get("environment", [])}
        env |= {"AWS_REGION": task.region, "AWS_DEFAULT_REGION": task.region, "AWS_EXECUTION_ENV": "AWS_ECS_FARGATE",
                "ECS_TASK_ARN": task.arn, "ECS_CONTAINER_NAME": definition["name"]}
        task.stop_timeouts[definition["name"]] = int(definition.get("stopTimeout", DEFAULT_STOP_TIMEOUT))
        labels = dict(definition.get("dockerLabels") or {})
        return WorkloadSpec(name=definition["name"], image=definition.get("image", ""),
                            entrypoint=definition.get("entryPoint") or None,
                            command=override.get("command") or definition.get("command") or None,
                            env=env, workdir=definition.get("workingDirectory", ""), user=definition.get("user", ""),
                            labels=labels, memory_mib=override.get("memory") or definition.get("memory"))

    def _sink(self, task: TaskRecord, definition: dict[str, Any]):  # type: ignore[no-untyped-def]
        config = definition.get("logConfiguration") or {}
        if config.get("logDriver") != "awslogs":
            return lambda stream, line: None
        options = config.get("options") or {}
        group = options.get("awslogs-group", "")
        region = options.get("awslogs-region", task.region)
        if (region, group) not in self.logs.groups and options.get("awslogs-create-group") != "true":
            raise StartFailure("ResourceInitializationError: failed to validate logger args: The specified log "
                               f"group does not exist: {group}")
        prefix = options.get("awslogs-stream-prefix", "")
        task_id = task.arn.rsplit("/", 1)[-1]
        stream = f"{prefix}/{definition['name']}/{task_id}" if prefix else task_id
        lock = threading.Lock()

        def sink(_stream: str, line: str) -> None:
            with lock:
                self.logs.append(region, group, stream, line)

        return sink
