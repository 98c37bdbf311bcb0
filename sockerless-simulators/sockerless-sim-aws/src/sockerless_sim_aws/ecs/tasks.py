"""Task execution: the state progression of a task driven by real workloads.

PROVISIONING (ENI attached) -> PENDING (volumes prepared, containers started in ``dependsOn``
order) -> RUNNING (every essential container started) -> when an essential container exits
(or cannot start because a dependency failed) or StopTask is called: the others get SIGTERM
and, after their ``stopTimeout``, SIGKILL, dependents first -> DEPROVISIONING (ENI and scratch
volumes removed) -> STOPPED with ``stopCode``, ``stoppedReason`` and each container's real
``exitCode``. Non-essential containers may exit at any time without stopping the task.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

from ..execution.base import Executor, StartFailure, Workload, WorkloadSpec, stop
from ..logs.models import LogsModel
from . import network, volumes
from .models import ECSModel, TaskRecord, epoch
from .ordering import DEPENDENCY_EXIT_CODE, NEVER, WAIT, HealthCheck, Ordering, health_check
from .volumes import TaskVolumes

log = logging.getLogger(__name__)
DEFAULT_STOP_TIMEOUT = 30


def _task_id(task: TaskRecord) -> str:
    return task.arn.rsplit("/", 1)[-1]


class _TaskRun:
    """One run of a task: its containers' specs, ordering progress and started workloads."""

    def __init__(self, task: TaskRecord, definitions: dict[str, dict[str, Any]]) -> None:
        self.task = task
        self.definitions = definitions
        self.order = Ordering(definitions)
        self.essential = {name for name, c in definitions.items() if c.get("essential", True)}
        self.pending = list(definitions)
        self.since = time.monotonic()
        self.changed = threading.Event()
        """Set whenever a container exits, becomes (un)healthy or is stopped for its dependencies."""
        self.started: dict[str, Workload] = {}
        self.specs: dict[str, WorkloadSpec] = {}
        self.sinks: dict[str, Any] = {}


class TaskRunner:
    """Runs tasks on an executor and keeps their views up to date."""

    def __init__(self, model: ECSModel, logs: LogsModel, executor: Executor, volumes: TaskVolumes,
                 step_delay: float = 0.05) -> None:
        self.model = model
        self.volumes = volumes
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
            self._release(task)
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
        definitions = {c["name"]: c for c in task_def["containerDefinitions"]}
        run = _TaskRun(task, definitions)
        self._workloads[task.arn] = run.started
        try:
            paths = self.volumes.prepare(_task_id(task), task.region, task_def, self._zone(task))
            run.specs = {name: self._spec(task, c, overrides, paths, definitions) for name, c in definitions.items()}
            run.sinks = {name: self._sink(task, c) for name, c in definitions.items()}
        except StartFailure as exc:
            for name in definitions:
                self.model.update_container(task, name, lastStatus="STOPPED", reason=str(exc))
            self._finish(task, "TaskFailedToStart", str(exc))
            return
        now = epoch()
        self.model.update_task(task, pullStartedAt=now, pullStoppedAt=now)
        running = False
        while not stop_event.is_set():
            failure = self._start_ready(run)
            if failure is not None:
                self._stop_all(task, run.started, run.order)
                self._finish(task, "TaskFailedToStart", failure)
                return
            if not running and all(run.order.progress[n].started for n in run.essential):
                running = True
                self._step(task, "RUNNING", startedAt=epoch(), connectivity="CONNECTED", connectivityAt=epoch())
            if any(run.order.progress[n].stopped for n in run.essential):
                break
            run.changed.wait(0.05)
            run.changed.clear()
        if not stop_event.is_set() and task.view["desiredStatus"] != "STOPPED":
            self.model.update_task(task, desiredStatus="STOPPED", stopCode="EssentialContainerExited",
                                   stoppedReason="Essential container in task exited", stoppingAt=epoch())
        self._step(task, "DEACTIVATING")
        self._step(task, "STOPPING")
        self._stop_all(task, run.started, run.order)
        self._finish(task, task.view.get("stopCode") or "UserInitiated", task.view.get("stoppedReason") or "")

    def _start_ready(self, run: _TaskRun) -> str | None:
        """Start the containers whose dependencies are met, stop those whose dependencies never will be;
        the reason when a container cannot start (the task fails to start)."""
        task, order = run.task, run.order
        for name in list(run.pending):
            verdict, reason = order.readiness(name)
            timeout = run.definitions[name].get("startTimeout")
            if verdict == WAIT and timeout and time.monotonic() - run.since > float(timeout):
                verdict, reason = NEVER, order.failure(name, order.waiting_on(name) or {},
                                                       f"startTimeout of {timeout}s passed")
            if verdict == WAIT:
                continue
            run.pending.remove(name)
            if verdict == NEVER:
                order.progress[name].stopped = True
                order.progress[name].exit_code = DEPENDENCY_EXIT_CODE
                self.model.update_container(task, name, lastStatus="STOPPED", exitCode=DEPENDENCY_EXIT_CODE,
                                            reason=reason)
                run.changed.set()
                continue
            try:
                workload = run.started[name] = self.executor.start(run.specs[name], run.sinks[name])
            except StartFailure as exc:
                self.model.update_container(task, name, lastStatus="STOPPED", reason=str(exc))
                return str(exc)
            order.progress[name].started = True
            self.model.update_container(task, name, lastStatus="RUNNING", runtimeId=workload.runtime_id)
            threading.Thread(target=self._watch, args=(task, name, workload, order, run.changed), daemon=True).start()
            check = health_check(run.definitions[name])
            if check is not None:
                threading.Thread(target=self._probe, args=(task, name, workload, check, order, run.essential,
                                                           run.changed), daemon=True).start()
        return None

    def _watch(self, task: TaskRecord, name: str, workload: Workload, order: Ordering,
               changed: threading.Event) -> None:
        code = workload.wait()
        self.model.update_container(task, name, lastStatus="STOPPED", exitCode=code)
        order.progress[name].exit_code = code
        order.progress[name].stopped = True
        changed.set()

    def _probe(self, task: TaskRecord, name: str, workload: Workload, check: HealthCheck, order: Ordering,
               essential: set[str], changed: threading.Event) -> None:
        """Run the health check every interval while the container runs; failures in the start period don't count."""
        begun, failures = time.monotonic(), 0
        progress = order.progress[name]
        while workload.wait(check.interval) is None:
            code = self.executor.check(workload, check.argv, check.timeout)
            if code == 0:
                failures, health = 0, "HEALTHY"
            elif time.monotonic() - begun < check.start_period:
                continue
            else:
                failures += 1
                health = "UNHEALTHY" if failures >= check.retries else progress.health
            if health != progress.health and not progress.stopped:
                progress.health = health
                self.model.update_container(task, name, healthStatus=health)
                self._task_health(task, order, essential)
                changed.set()

    def _task_health(self, task: TaskRecord, order: Ordering, essential: set[str]) -> None:
        checked = [order.progress[n].health for n in essential if health_check(order.definitions[n])]
        health = ("UNHEALTHY" if "UNHEALTHY" in checked else
                  "HEALTHY" if checked and all(h == "HEALTHY" for h in checked) else "UNKNOWN")
        self.model.update_task(task, healthStatus=health)

    def _stop_all(self, task: TaskRecord, started: dict[str, Workload], order: Ordering) -> None:
        """Stop the started containers, dependents before the containers they depend on."""
        for group in order.stop_order(set(started)):
            threads = [threading.Thread(target=self._stop_one, args=(task, name, started[name])) for name in group]
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
        self._release(task)
        self._step(task, "STOPPED", stoppedAt=epoch())
        self._workloads.pop(task.arn, None)
        self._stop_requested.pop(task.arn, None)

    def _release(self, task: TaskRecord) -> None:
        """Free the task's scratch volumes and what the executor holds for it."""
        self.volumes.release(_task_id(task))
        if len(task.view["containers"]) > 1:
            self.executor.release(task.arn)

    def _zone(self, task: TaskRecord) -> str | None:
        attachments = task.view.get("attachments") or []
        return network.subnet_zone(task.region, attachments[0]) if attachments else None

    # specs and logs -----------------------------------------------------------------------

    def _spec(self, task: TaskRecord, definition: dict[str, Any], overrides: dict[str, Any],
              paths: dict[str, Path], definitions: dict[str, dict[str, Any]]) -> WorkloadSpec:
        override = next((o for o in overrides.get("containerOverrides", []) if o.get("name") == definition["name"]), {})
        env = {e["name"]: e["value"] for e in definition.get("environment", [])}
        env |= {e["name"]: e["value"] for e in override.get("environment", [])}
        env |= {"AWS_REGION": task.region, "AWS_DEFAULT_REGION": task.region, "AWS_EXECUTION_ENV": "AWS_ECS_FARGATE",
                "ECS_TASK_ARN": task.arn, "ECS_CONTAINER_NAME": definition["name"]}
        task.stop_timeouts[definition["name"]] = int(definition.get("stopTimeout", DEFAULT_STOP_TIMEOUT))
        labels = dict(definition.get("dockerLabels") or {})
        family, _, revision = task.view["taskDefinitionArn"].rsplit("/", 1)[-1].partition(":")
        labels |= {"com.amazonaws.ecs.task-arn": task.arn, "com.amazonaws.ecs.container-name": definition["name"],
                   "com.amazonaws.ecs.cluster": task.view["clusterArn"],
                   "com.amazonaws.ecs.task-definition-family": family,
                   "com.amazonaws.ecs.task-definition-version": revision}  # as the ECS agent labels them
        return WorkloadSpec(name=definition["name"], image=definition.get("image", ""),
                            entrypoint=definition.get("entryPoint") or None,
                            command=override.get("command") or definition.get("command") or None,
                            env=env, workdir=definition.get("workingDirectory", ""), user=definition.get("user", ""),
                            labels=labels, memory_mib=override.get("memory") or definition.get("memory"),
                            mounts=volumes.mounts(definition, paths, definitions),
                            group=task.arn if len(definitions) > 1 else "")

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
