"""The ``ecs`` backend: every container is a Fargate task whose entry point is the Sockerless agent.

create registers a task definition (``sockerless-<id>``), start runs a task and returns once
it is RUNNING and its agent (reverse mode) has dialled in; exec, attach, signals and
``docker cp`` go through the agent; the exit code comes from the agent or, when it is gone,
from DescribeTasks; logs come from CloudWatch. remove stops what still runs and deregisters
and deletes the task definition. Everything is tagged for this daemon instance, so a restarted
daemon re-adopts the tasks still running and cleans up what nobody owns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
from collections.abc import AsyncIterator
from typing import Any

from sockerless.agent import hostroot
from sockerless.agent.bridge import AgentBridge
from sockerless.agent.hooks import AgentBackendHooks
from sockerless.agent.hostroot import ContainerRoots
from sockerless.agent.link import AgentUnavailable, ReverseAddress
from sockerless.agent.tokens import new_token
from sockerless.api.errors import Conflict, InvalidParameter
from sockerless.engine.logs import LogRecord
from sockerless.plugins.backend import BackendInfo, Capability, ExitResult, StartError
from sockerless.plugins.hookspecs import hookimpl
from sockerless.signals import SIGKILL, SIGTERM
from sockerless_aws import AwsClients, CloudError, read_log_events, tags

from . import pods, taskdef
from .cleanup import OrphanCleaner
from .config import EcsConfig
from .infra import InfraProvider
from .injection import HostRoot, inject, mounts_environment, run_environment
from .mounts import VolumeMapper, tmpfs_mounts
from .netmap import NetworkMapper
from .networks import deregister_names
from .tasks import TaskControl, failed_start
from .watcher import TaskWatcher, exit_code

log = logging.getLogger("sockerless.backend.ecs")

CAPABILITIES = frozenset({Capability.EXEC, Capability.ATTACH, Capability.TTY, Capability.STDIN, Capability.SIGNALS,
                          Capability.RESIZE, Capability.ARCHIVE, Capability.RESTART, Capability.VOLUMES,
                          Capability.NETWORKS})
HONOURED = frozenset({"NanoCpus", "CpuQuota", "CpuPeriod", "Memory"})
AGENT_CONNECT_TIMEOUT = 30.0
FAILURE_WAIT = 15.0
"""Seconds a failed start waits for its stopped task's description (exit code and reason)."""
_IMAGE_ID = re.compile(r"^(sha256:)?[0-9a-f]{12,64}$")


class EcsBackend(AgentBackendHooks):
    """Containers as ECS Fargate tasks."""

    def __init__(self, context: Any) -> None:
        self.context = context
        self.config = EcsConfig.load(context.options, context.data_dir)  # a BackendConfigError stops the daemon
        self.clients = AwsClients(self.config.aws)
        self.infra = InfraProvider(self.config, self.clients)
        self.volumes = VolumeMapper(self.config, self.clients, self.infra)
        self.networks = NetworkMapper(self.config, self.clients, self.infra)
        self.watcher = TaskWatcher(self.clients, self.config.poll_interval)
        self.tasks = TaskControl(self.clients, self.config.poll_interval, self.config.assign_public_ip,
                                 self.config.started_by)
        self.agent_bridge = AgentBridge(context.agents, self._locate, backend="ecs",
                                        connect_timeout=AGENT_CONNECT_TIMEOUT)
        self.orphans = OrphanCleaner(self.clients, self.config.cluster, self.config.instance, self.config.started_by)
        self._ended_while_away: dict[str, ExitResult] = {}
        self._resource_cleanup: asyncio.Future[None] | None = None
        self.roots = ContainerRoots(context.data_dir / "roots", context.layer_path, "ecs")
        if self.config.agent_injection == "host":
            log.info("agent-injection=host, host-root=%s: %s", self.config.host_root,
                     "each container runs chrooted into a root made from its image's layers"
                     if self.config.host_root == "image" else "containers run in the host's own filesystem")

    @property
    def _chrooted(self) -> bool:
        """Containers get a root made from their image (``host-root=image``)."""
        return self.config.agent_injection == "host" and self.config.host_root == "image"

    @property
    def _agent_in_container_root(self) -> bool:
        """The agent's files are the container's (its image, a sidecar's task, or a host root), not the host's."""
        return self.config.agent_injection != "host" or self._chrooted

    async def _dns_search(self, container: Any) -> list[str]:
        """The Cloud Map domains of the container's user networks (its peers' bare names resolve under them)."""
        if not self._agent_in_container_root:
            return []
        return [state.namespace for _, state in await self.networks.joined(container)]

    def _locate(self, container: Any) -> ReverseAddress:
        return ReverseAddress(container.id, container.backend_state["token"])

    # -- identity ------------------------------------------------------------------------------
    @hookimpl
    def sockerless_backend_info(self) -> BackendInfo:
        where = "simulator at " + self.config.aws.endpoint_url if self.config.simulator else "AWS"
        return BackendInfo(name="ecs", capabilities=CAPABILITIES, driver="ecs-fargate",
                           operating_system=f"AWS ECS Fargate ({where}, {self.config.aws.region}, "
                                            f"cluster {self.config.cluster})",
                           architecture="x86_64", honoured_resources=HONOURED)

    @hookimpl
    def sockerless_builtin_image(self, reference: str) -> Any:
        """Simulator mode with the agent on this host: offline, images are this host's static busybox."""
        if self.config.simulator and self.config.agent_injection == "host":
            return hostroot.builtin_image("ecs")
        return None

    # -- create --------------------------------------------------------------------------------
    @hookimpl
    async def sockerless_container_create(self, container: Any, image: Any) -> None:
        infra = await self.infra.get()
        group = self._group(container)
        if len(group) > 1 and self._running_group_task(group):
            raise Conflict(f"ecs backend: container {container.name} joins a group ({group[0].name}, ...) whose task "
                           "already runs, and ECS cannot add a container to a running task: stop the group first")
        try:
            container.backend_state.update({"member": await self._member(container, image, infra),
                                            "cluster": infra.cluster, "log_group": infra.log_group, "tasks": [],
                                            "task": ""})
            if len(group) == 1:
                arn, names = await self._register([container], container, infra)
                container.backend_state.update({"task_definition": arn, "container_name": names[container.id]})
        except BaseException:
            await self.roots.remove(container.id)
            raise

    async def _member(self, container: Any, image: Any, infra: Any) -> dict[str, Any]:
        """The container as one container definition, with the task volumes and helper containers it needs.

        With ``host-root=image`` the agent gets the container's root, working directory and user
        (the definition has neither ``workingDirectory`` nor ``user``: the process executor would
        apply them on the host), and a container with mounts asks the executor to hand them to
        the agent.
        """
        user = container.config.User
        if self.config.agent_injection == "host" and user and not self._chrooted:
            raise InvalidParameter("ecs backend: with agent-injection=host and host-root=none the simulator's process "
                                   "executor runs commands as its own user, so User (-u) cannot be applied; run the "
                                   "daemon as root (host-root=image) or use the docker executor with "
                                   "agent-injection=sidecar")
        root = None
        if self._chrooted:
            path = await self.roots.prepare(container, image)
            container.backend_state["root"] = str(path)
            root = HostRoot(str(path), container.config.WorkingDir, user)
        injection = inject(self.config, container.id, bool(container.config.Tty), bool(container.config.OpenStdin),
                           self._agent_log(container.id), root)
        host = container.host_config
        cpu_units = taskdef.requested_cpu_units(host.NanoCpus, host.CpuQuota, host.CpuPeriod)
        try:
            taskdef.fargate_size(cpu_units, host.Memory)
            exposed = container.config.ExposedPorts if isinstance(container.config.ExposedPorts, dict) else {}
            ports = taskdef.port_mappings(exposed, host.PortBindings)
        except taskdef.TaskDefinitionError as exc:
            raise InvalidParameter(f"ecs backend: {exc}") from None
        stop = container.config.StopTimeout if isinstance(container.config.StopTimeout, int) else None
        tmpfs = host.Tmpfs if isinstance(host.Tmpfs, dict) else {}
        mounts = await self.volumes.task_mounts([*container.mounts, *tmpfs_mounts(
            tmpfs, (m.Destination for m in container.mounts))])
        env = list(container.config.Env or [])
        if root is not None:
            env += mounts_environment(mounts.mount_points)
        spec = taskdef.ContainerSpec(
            name=taskdef.container_name(container.name), image=_image_reference(container.config.Image, image),
            entry_point=injection.entry_point, command=[*filter(None, [container.path]), *container.args],
            env=env, workdir="" if root else container.config.WorkingDir, user="" if root else user,
            ports=ports, labels=dict(container.config.Labels or {}), stop_timeout=taskdef.stop_timeout(stop),
            extra=pods.merge_fields(injection.container_fields, {"mountPoints": mounts.mount_points},
                                    self._pull_credentials()))
        return {"definition": taskdef.container_definition(spec, infra.log_group, self.config.aws.region),
                "volumes": [*injection.volumes, *mounts.volumes], "helpers": injection.extra_containers,
                "cpu": cpu_units, "memory": host.Memory, "architecture": getattr(image, "Architecture", "") or "amd64"}

    def _pull_credentials(self) -> dict[str, Any]:
        """``repositoryCredentials`` when option ``repository-credentials`` names a secret."""
        secret = self.config.repository_credentials
        return {"repositoryCredentials": {"credentialsParameter": secret}} if secret else {}

    async def _register(self, members: list[Any], owner: Any, infra: Any) -> tuple[str, dict[str, str]]:
        """Register one task definition for ``members`` (a group: one container definition each, the first
        essential); its ARN and the ECS container name of each member."""
        parts = [m.backend_state["member"] for m in members]
        if len(members) == 1:
            definitions = [parts[0]["definition"], *parts[0]["helpers"]]
            volumes, names = parts[0]["volumes"], {owner.id: parts[0]["definition"]["name"]}
            cpu_units, memory_bytes = parts[0]["cpu"], parts[0]["memory"]
        else:
            try:
                pod = pods.pod_task([pods.Member(container_id=m.id, definition=p["definition"], volumes=p["volumes"],
                                                 helpers=p["helpers"], cpu_units=p["cpu"], memory_bytes=p["memory"],
                                                 docker_name=m.name) for m, p in zip(members, parts, strict=True)])
            except ValueError as exc:
                raise InvalidParameter(str(exc)) from None
            definitions, volumes, names = pod.container_definitions, pod.volumes, pod.names
            cpu_units, memory_bytes = pod.cpu_units, pod.memory_bytes
        try:
            cpu, memory = taskdef.fargate_size(cpu_units, memory_bytes)
        except taskdef.TaskDefinitionError as exc:
            raise InvalidParameter(f"ecs backend: {exc}") from None
        architectures = {p.get("architecture", "amd64") for p in parts}
        if len(architectures) > 1:
            raise InvalidParameter(f"ecs backend: the containers of one task must share a CPU architecture, not "
                                   f"{', '.join(sorted(architectures))}")
        try:
            platform = taskdef.runtime_platform(architectures.pop())
        except taskdef.TaskDefinitionError as exc:
            raise InvalidParameter(f"ecs backend: {exc}") from None
        request = taskdef.task_request(taskdef.family(owner.id), definitions, cpu=cpu, memory=memory,
                                       execution_role_arn=infra.execution_role_arn,
                                       task_role_arn=self.config.task_role_arn, tags=self._tags(owner),
                                       volumes=volumes)
        request["runtimePlatform"] = platform
        answer = await self.clients.call("ecs", "register_task_definition", **request)
        return answer["taskDefinition"]["taskDefinitionArn"], names

    def _group(self, container: Any) -> list[Any]:
        """The containers that run in one task with ``container`` (itself included, the root first)."""
        group = self.context.workload_group(container) if self.context.workload_group is not None else [container]
        return list(group) or [container]

    def _running_group_task(self, group: list[Any]) -> str:
        """The task the group's members run in now, if one runs."""
        for member in group:
            arn = member.backend_state.get("task", "")
            if arn and member.backend_state.get("group_definition") and self.watcher.pending(arn):
                return arn
        return ""

    def _tags(self, container: Any) -> dict[str, str]:
        return tags.base(container.id, self.config.instance) | tags.from_labels(container.config.Labels)

    def _agent_log(self, container_id: str) -> str:
        """``host`` injection: the agent's own log, next to the daemon's data (never in the workload output)."""
        if self.config.agent_injection != "host":
            return ""
        directory = self.context.data_dir / "agent-logs"
        directory.mkdir(parents=True, exist_ok=True)
        return str(directory / f"{container_id}.log")

    # -- start ---------------------------------------------------------------------------------
    @hookimpl
    async def sockerless_container_start(self, container: Any, io: Any) -> Any:
        state = container.backend_state
        infra = await self.infra.get()
        group = self._group(container)
        launched = True
        if len(group) == 1:
            arn = await self._launch(infra, [container], state["task_definition"])
        else:
            arn = self._running_group_task(group)
            launched = not arn
            if arn and state.get("task") != arn:
                raise Conflict(f"ecs backend: container {container.name} was created after its group's task started; "
                               "ECS cannot add a container to a running task: stop the group and start it again")
            if not arn:
                previous = {m.backend_state.get("group_definition", "") for m in group}
                definition, names = await self._register(group, group[0], infra)
                for member in group:
                    member.backend_state.update({"container_name": names[member.id], "group_definition": definition})
                for old in filter(None, previous - {definition}):  # the group's last launch is over
                    await self._delete_task_definition(old)
                arn = await self._launch(infra, group, definition)
        return await self._follow_start(container, io, arn, launched)

    async def _launch(self, infra: Any, members: list[Any], task_definition: str) -> str:
        """RunTask for ``members`` (each gets a fresh agent token); the task's ARN, recorded in each member."""
        url = await self.context.agents.reverse_url()
        environments = {}
        groups = list(infra.security_groups)
        for member in members:
            member.backend_state["token"] = new_token()
            self.context.agents.expect(member.id, member.backend_state["token"])
            environments[member.backend_state["container_name"]] = run_environment(
                url, member.backend_state["token"], await self._dns_search(member))
            groups = await self.networks.security_groups(member, groups)
        task = await self.tasks.run(infra, task_definition, pods.member_overrides(environments),
                                    self._tags(members[0]), groups)
        arn = task["taskArn"]
        for member in members:
            member.backend_state["task"] = arn
            member.backend_state["tasks"] = [*member.backend_state.get("tasks", []), arn]
        return arn

    async def _follow_start(self, container: Any, io: Any, arn: str, launched: bool) -> Any:
        """Wait for the task to run and the container's agent to dial in; its main process.

        A failure stops the task only when this start ``launched`` it (a group member joining a
        running task leaves its peers alone); a member whose container already ended in the
        running task reports that exit at once.
        """
        state = container.backend_state
        ended = self.watcher.watch(state["cluster"], arn)
        try:
            running = await self.tasks.wait_started(state["cluster"], arn, self.config.start_timeout)
            mine = next((c for c in running.get("containers", []) if c.get("name") == state["container_name"]), {})
            if not launched and mine.get("lastStatus") == "STOPPED":
                io.stdout.close()
                io.stderr.close()
                return _Ended(ExitResult(code=exit_code(running, state["container_name"])))
            process = await self.agent_bridge.main_process(container, io, self._workload_exit(ended, state))
            await self.networks.register(container, running)
            return _Following(self._until_exit(container, process.wait()), process.pid)
        except StartError:
            if launched:
                await self.tasks.stop(state["cluster"], arn, "sockerless: the container failed to start")
            raise await self._start_failure(container, ended) from None
        except BaseException:
            if launched:
                with contextlib.suppress(Exception):
                    await self.tasks.stop(state["cluster"], arn, "sockerless: the container failed to start")
            raise

    async def _until_exit(self, container: Any, ending: Any) -> ExitResult:
        """The exit of the main process, after which the container's names leave its networks."""
        try:
            return await ending
        finally:
            try:
                await self.networks.deregister(container)
            except CloudError as exc:
                log.warning("could not deregister the names of container %s: %s", container.id[:12], exc)

    async def _workload_exit(self, ended: asyncio.Future, state: dict[str, Any]) -> int:
        return exit_code(await asyncio.shield(ended), state["container_name"])

    async def _start_failure(self, container: Any, ended: asyncio.Future) -> StartError:
        """Why the task ended before its agent dialled in: its stop reason and the last lines it wrote."""
        state = container.backend_state
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(ended), min(self.config.start_timeout, FAILURE_WAIT))
        task = ended.result() if ended.done() and not ended.cancelled() else self.watcher.latest(state["task"])
        lines: list[str] = []
        with contextlib.suppress(CloudError):
            stream = taskdef.log_stream(state["container_name"], state["task"])
            async for record in read_log_events(self.clients, state["log_group"], [stream], tail=3):
                lines.append(record.data.decode(errors="replace"))
        return failed_start(task, state["container_name"], lines)

    # -- signals, stop, remove -------------------------------------------------------------------
    @hookimpl
    async def sockerless_container_kill(self, container: Any, signal: int) -> None:
        state = container.backend_state
        try:
            await self.agent_bridge.signal_main(container, signal)
            return
        except AgentUnavailable as exc:
            reason = str(exc)
        if signal in (SIGKILL, SIGTERM) and state.get("task"):
            log.info("agent of %s unreachable (%s): stopping its task", container.id[:12], reason)
            await self.tasks.stop(state["cluster"], state["task"], f"sockerless: signal {signal} without an agent")
            return
        raise Conflict(f"ecs backend: cannot deliver signal {signal} to container {container.id[:12]}: {reason}")

    @hookimpl
    async def sockerless_container_remove(self, container: Any) -> None:
        state = container.backend_state
        cluster = state.get("cluster", self.config.cluster)
        group = self._group(container)
        others_run = any(m.state.Running for m in group if m.id != container.id)
        for arn in state.get("tasks", []):
            known = self.watcher.latest(arn)
            shared = others_run and arn == state.get("task")
            if not shared and (known is None or known.get("lastStatus") != "STOPPED"):
                await self.tasks.stop(cluster, arn, "sockerless: container removed")
            if not shared:
                self.watcher.forget(arn)
        definitions = [state.get("task_definition", "")]
        if not [m for m in group if m.id != container.id and m.state.Status != "removing"]:
            definitions.append(state.get("group_definition", ""))  # the group's last member removes it
        for definition in filter(None, definitions):
            await self._delete_task_definition(definition)
        await self._delete_log_streams(state)
        await self.agent_bridge.forget(container)
        self._ended_while_away.pop(container.id, None)
        agent_log = self._agent_log(container.id)
        if agent_log:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(agent_log)
        await self.roots.remove(container.id)

    async def _delete_task_definition(self, arn: str) -> None:
        try:
            await self.clients.call("ecs", "deregister_task_definition", taskDefinition=arn)
        except CloudError as exc:
            if exc.status not in (400, 404):
                raise
        answer = await self.clients.call("ecs", "delete_task_definitions", taskDefinitions=[arn])
        failures = [f for f in answer.get("failures", []) if "does not exist" not in str(f.get("reason", ""))]
        if failures:
            raise CloudError(f"ecs backend: ECS DeleteTaskDefinitions: {failures[0].get('reason')}", 502)

    async def _delete_log_streams(self, state: dict[str, Any]) -> None:
        for arn in state.get("tasks", []):
            stream = taskdef.log_stream(state.get("container_name", ""), arn)
            try:
                await self.clients.call("logs", "delete_log_stream", logGroupName=state.get("log_group", ""),
                                        logStreamName=stream)
            except CloudError as exc:
                if exc.status not in (400, 404):
                    raise

    # -- docker cp ---------------------------------------------------------------------------------
    def _require_running(self, container: Any) -> None:
        if not container.state.Running:
            raise Conflict(f"ecs backend: docker cp needs container {container.name} to be running: "
                           "a task's files exist only while it runs (copy after docker start)")

    @hookimpl
    async def sockerless_archive_stat(self, container: Any, path: str) -> dict[str, Any]:
        self._require_running(container)
        return await self.agent_bridge.archive_stat(container, path)

    @hookimpl
    async def sockerless_archive_get(self, container: Any, path: str) -> Any:
        self._require_running(container)
        return await self.agent_bridge.archive_get(container, path)

    @hookimpl
    async def sockerless_archive_put(self, container: Any, path: str, tar_stream: Any, no_overwrite_dir_non_dir: bool,
                                     copy_uid_gid: bool) -> bool:
        self._require_running(container)
        await self.agent_bridge.archive_put(container, path, tar_stream, no_overwrite_dir_non_dir, copy_uid_gid)
        return True

    # -- volumes -----------------------------------------------------------------------------------
    @hookimpl
    async def sockerless_volume_create(self, volume: Any) -> str:
        return await self.volumes.create(volume)

    @hookimpl
    async def sockerless_volume_remove(self, volume: Any) -> None:
        await self.volumes.remove(volume)

    # -- networks ----------------------------------------------------------------------------------
    @hookimpl
    async def sockerless_network_create(self, network: Any) -> None:
        await self.networks.create(network)

    @hookimpl
    async def sockerless_network_remove(self, network: Any) -> None:
        await self.networks.remove(network)

    @hookimpl
    async def sockerless_network_connect(self, network: Any, container: Any, endpoint: Any) -> None:
        task = self.watcher.latest(container.backend_state.get("task", ""))
        if container.state.Running and task is not None:
            await self.networks.register(container, task)

    @hookimpl
    async def sockerless_network_disconnect(self, network: Any, container: Any) -> None:
        state = await self.networks.state(network.id, network.backend_state)
        if state is not None:
            await deregister_names(self.clients, state, container.id)

    # -- logs --------------------------------------------------------------------------------------
    @hookimpl
    def sockerless_container_logs(self, container: Any, options: dict[str, Any]) -> AsyncIterator[LogRecord]:
        state = container.backend_state

        def streams() -> list[str]:
            return [taskdef.log_stream(state.get("container_name", ""), arn) for arn in state.get("tasks", [])]

        def finished() -> bool:
            """Stopped, and its container in the task too (so its last lines have reached CloudWatch)."""
            current = state.get("task", "")
            if container.state.Running:
                return False
            if not (current and self.watcher.pending(current)):
                return True
            task = self.watcher.latest(current) or {}
            return any(c.get("name") == state.get("container_name") and c.get("lastStatus") == "STOPPED"
                       for c in task.get("containers", []))

        return read_log_events(self.clients, state.get("log_group", self.config.log_group), streams,
                               since_ns=int(options.get("since_ns") or 0), until_ns=int(options.get("until_ns") or 0),
                               tail=int(options.get("tail", -1)), follow=bool(options.get("follow")),
                               finished=finished, poll=min(self.config.poll_interval, 1.0))

    # -- restart of the daemon ---------------------------------------------------------------------
    @hookimpl
    async def sockerless_backend_recover(self, containers: list[Any], networks: list[Any],
                                         volumes: list[Any]) -> list[Any]:
        running = [c for c in containers if c.state.Running and c.backend_state.get("task")]
        by_cluster: dict[str, list[Any]] = {}
        for container in running:
            by_cluster.setdefault(container.backend_state["cluster"], []).append(container)
        kept: list[Any] = []
        for cluster, members in by_cluster.items():
            try:
                found, _ = await self.watcher.describe(cluster, [c.backend_state["task"] for c in members])
            except CloudError as exc:  # unknown now: follow them, the watcher and the agents will tell
                log.warning("cannot describe the tasks of cluster %s at startup (%s); following them anyway", cluster, exc)
                found = {c.backend_state["task"]: {"lastStatus": "UNKNOWN"} for c in members}
            for container in members:
                task = found.get(container.backend_state["task"])
                if task is None:
                    continue  # ECS forgot the task: the core records the container as exited (255)
                if task.get("lastStatus") == "STOPPED":
                    self._ended_while_away[container.id] = ExitResult(
                        code=exit_code(task, container.backend_state["container_name"]),
                        error="the task stopped while the daemon was down")
                else:
                    self.context.agents.expect(container.id, container.backend_state["token"])
                kept.append(container)
        if any(c.id not in self._ended_while_away for c in kept):
            await self.context.agents.reverse_url()
        await self._clean_orphans(containers, kept)
        self._resource_cleanup = asyncio.ensure_future(self._clean_orphaned_resources(networks, volumes))
        removed = await self.roots.remove_orphans(c.id for c in containers)
        if removed:
            log.info("removed %d root(s) of containers this daemon no longer has", len(removed))
        return kept

    async def _clean_orphans(self, containers: list[Any], kept: list[Any]) -> None:
        keep_tasks = {c.backend_state["task"] for c in kept if c.id not in self._ended_while_away}
        keep_definitions = {c.backend_state.get(key, "") for c in containers
                            for key in ("task_definition", "group_definition")}
        try:
            report = await self.orphans.run(keep_tasks, keep_definitions)
        except CloudError as exc:
            log.warning("could not look for orphaned ECS resources: %s", exc)
            return
        if report.stopped_tasks or report.deleted_task_definitions:
            log.info("cleaned orphans: %d task(s) stopped, %d task definition(s) deleted",
                     len(report.stopped_tasks), len(report.deleted_task_definitions))

    async def _clean_orphaned_resources(self, networks: list[Any], volumes: list[Any]) -> None:
        """In the background (a security group waits for the ENIs of orphaned tasks just stopped)."""
        try:
            report = await self.orphans.run_resources([n.id for n in networks], volumes)
        except Exception as exc:  # a background cleanup only reports: the next start tries again
            log.warning("could not look for orphaned network and volume resources: %s", exc)
            return
        if report.removed_networks or report.deleted_access_points:
            log.info("cleaned orphans: resources of %d network(s), %d access point(s) deleted",
                     len(report.removed_networks), len(report.deleted_access_points))

    @hookimpl
    async def sockerless_container_readopt(self, container: Any, io: Any) -> Any:
        ended = self._ended_while_away.pop(container.id, None)
        if ended is not None:
            io.stdout.close()
            io.stderr.close()
            return _Ended(ended)
        state = container.backend_state
        watched = self.watcher.watch(state["cluster"], state["task"])
        return _Following(self._until_exit(container, self._follow(container, io, watched)))

    async def _follow(self, container: Any, io: Any, ended: asyncio.Future) -> ExitResult:
        state = container.backend_state
        try:
            process = await self.agent_bridge.main_process(container, io, self._workload_exit(ended, state),
                                                           replay=False)
        except StartError:  # the task ended before its agent dialled in again
            with contextlib.suppress(Exception):
                io.stdout.close()
                io.stderr.close()
            return ExitResult(code=exit_code(await asyncio.shield(ended), state["container_name"]))
        return await process.wait()

    @hookimpl
    async def sockerless_backend_close(self) -> None:
        if self._resource_cleanup is not None:
            self._resource_cleanup.cancel()
            with contextlib.suppress(BaseException):
                await self._resource_cleanup
        await self.watcher.close()


class _Ended:
    """A re-adopted container whose task had already stopped: its exit is reported at once."""

    pid = 0

    def __init__(self, result: ExitResult) -> None:
        self.result = result

    async def wait(self) -> ExitResult:
        return self.result


class _Following:
    """A main process followed in the background until its exit (which ``follow`` returns)."""

    def __init__(self, follow: Any, pid: int = 0) -> None:
        self.pid = pid
        self._task = asyncio.ensure_future(follow)

    async def wait(self) -> ExitResult:
        return await asyncio.shield(self._task)


def _image_reference(requested: str, image: Any) -> str:
    """What ECS pulls: the name the client used, or for an image id the image's repository name."""
    if not _IMAGE_ID.match(requested) or not image.Id.removeprefix("sha256:").startswith(requested.removeprefix("sha256:")):
        return requested
    names = list(image.RepoDigests) + list(image.RepoTags)
    if not names:
        raise InvalidParameter(f"ecs backend: image {requested} has no repository name, and Fargate pulls images "
                               "from a registry: tag and push it first")
    return names[0]
