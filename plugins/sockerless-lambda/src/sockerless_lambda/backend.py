"""The ``lambda`` backend: each container is a Lambda container-image function whose runtime is the agent.

create = CreateFunction (the agent in Lambda mode as ``ImageConfig.EntryPoint``, the container's
argv as ``Command``); start = a RequestResponse Invoke whose payload carries the agent's token,
returning once the agent has dialled back; exec, ``docker cp``, signals and the main process's
output go through the agent; remove = DeleteFunction and its log group; ``docker logs`` reads
CloudWatch. After a daemon restart functions are found again by name and tags, a still-running
invocation is followed again when its agent reconnects, and functions of this daemon that it no
longer knows are deleted.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

from sockerless.agent import hostroot
from sockerless.agent.bridge import AgentBridge
from sockerless.agent.hooks import AgentBackendHooks
from sockerless.agent.hostroot import ContainerRoots
from sockerless.agent.link import AgentUnavailable, ReverseAddress
from sockerless.agent.tokens import new_token
from sockerless.api.errors import Conflict, InvalidParameter
from sockerless.plugins.backend import BackendInfo, Capability, ExitResult, StartError
from sockerless.plugins.hookspecs import hookimpl
from sockerless_aws import AwsClients, CloudError, tags
from sockerless_aws.iam import ensure_role

from .cloudlogs import FunctionLogs
from .functions import check_supported, create_request, function_name, log_group
from .invocations import UNKNOWN_EXIT, Invocation, InvocationProcess
from .settings import BACKEND, ROLE_NAME, LambdaSettings

log = logging.getLogger("sockerless.lambda")

# no ATTACH: an invocation is attached to only from its start (docker run, docker start -a)
CAPABILITIES = frozenset({Capability.EXEC, Capability.SIGNALS, Capability.ARCHIVE})
"""No TTY, stdin, pause, restart policies, networks, volumes, bind mounts, resize, top, stats or changes."""
READY_TIMEOUT = 300.0
REPORT_POLL = 2.0
LINGER_MARGIN = 5.0
"""Beyond the agent's --linger: its last redial may come a back-off step later."""


class FollowedProcess:
    """A main process followed again after a daemon restart, its agent still to dial back."""

    pid = 0

    def __init__(self, follow: Any) -> None:
        self._task = asyncio.ensure_future(follow)

    async def wait(self) -> ExitResult:
        """How it ended (as the agent or, without one, the function's log tells it)."""
        return await asyncio.shield(self._task)


class LambdaBackend(AgentBackendHooks):
    """Containers as Lambda functions, driven through boto3 and the agent."""

    def __init__(self, context: Any) -> None:
        self.settings = LambdaSettings.from_options(context.options)
        self.context = context
        self.roots = ContainerRoots(Path(context.data_dir) / "roots", context.layer_path, BACKEND)
        """Host injection: one directory per container (its root with ``host-root=image``)."""
        self.clients = AwsClients(self.settings.aws)
        self.instance = self.settings.aws.instance_id(context.data_dir)
        self.agent_bridge = AgentBridge(context.agents, self._locate, backend=BACKEND,
                                        connect_timeout=self.settings.connect_timeout)
        self._role = self.settings.role
        self._role_lock = asyncio.Lock()
        self.logs = FunctionLogs(self.clients)
        self._starting: set[str] = set()
        """Containers whose start (or re-adoption) hook runs: their agent is awaited though not Running yet."""

    def _locate(self, container: Any) -> ReverseAddress:
        token = container.backend_state.get("token")
        if not token or not (container.state.Running or container.id in self._starting):
            raise Conflict(f"lambda backend: container {container.id[:12]} is not running: its files and processes "
                           "exist only while its function runs")
        return ReverseAddress(container.id, token)

    @hookimpl
    def sockerless_backend_info(self) -> BackendInfo:
        return BackendInfo(name=BACKEND, capabilities=CAPABILITIES, driver="aws-lambda",
                           operating_system=f"AWS Lambda ({self.settings.aws.region})",
                           honoured_resources=frozenset({"Memory"}))

    @hookimpl
    def sockerless_builtin_image(self, reference: str) -> Any:
        """Simulator mode with the agent on this host: offline, images are this host's static busybox."""
        if self.settings.simulator and self.settings.injection == "host":
            return hostroot.builtin_image(BACKEND)
        return None

    # -- create ----------------------------------------------------------------------------------
    @hookimpl
    async def sockerless_container_create(self, container: Any, image: Any) -> None:
        image_user = getattr(getattr(image, "Config", None), "User", "") or ""
        check_supported(container, image_user, any_user=self.settings.host_root == "image")
        root = ""
        if self.settings.injection == "host":
            root = str(await self._make_root(container, image))
        try:
            request = create_request(self.settings, container, role=await self._role_arn(),
                                     connect_url=await self.context.agents.reverse_url(), root=root,
                                     tags=tags.base(container.id, self.instance) | tags.from_labels(
                                         container.config.Labels or {}))
            await self.clients.call("lambda", "create_function", **request)
        except BaseException:
            if root:
                await self.roots.remove(container.id)
            raise
        container.backend_state.update(function=request["FunctionName"], root=root, runs=0)

    async def _make_root(self, container: Any, image: Any) -> Path:
        """Host injection: the container's directory; with ``host-root=image``, its root made from the image's
        layers (kept for the container's life, as Docker keeps a container's filesystem across runs)."""
        if self.settings.host_root != "image":
            path = self.roots.path(container.id)
            workdir = path / (container.config.WorkingDir or "").lstrip("/")
            await asyncio.to_thread(workdir.mkdir, 0o755, True, True)
            return path
        return await self.roots.prepare(container, image)

    async def _role_arn(self) -> str:
        """The execution role: option ``role``, or in simulator mode ``sockerless-lambda`` (made if missing)."""
        if self._role:
            return self._role
        if not self.settings.simulator:
            raise InvalidParameter("lambda backend: container create: no execution role configured: set the backend "
                                   "option role (SOCKERLESS_LAMBDA_ROLE) to the ARN of an IAM role Lambda may assume")
        async with self._role_lock:
            if not self._role:
                self._role = await ensure_role(
                    self.clients, ROLE_NAME, "lambda.amazonaws.com", role_tags=tags.owned(self.instance),
                    description="Execution role of Sockerless Lambda containers (simulator mode)")
        return self._role

    # -- start, kill -----------------------------------------------------------------------------
    @hookimpl
    async def sockerless_container_start(self, container: Any, io: Any) -> Any:
        state = container.backend_state
        name = state["function"]
        await self._wait_ready(name)
        await self.agent_bridge.forget(container)  # no link of an earlier run's agent may serve this one
        state["token"] = new_token()  # one per run: an earlier run's agent, if still up, is refused
        self.context.agents.expect(container.id, state["token"])
        state["runs"] = state.get("runs", 0) + 1
        state["started_ms"] = int(time.time() * 1000)
        invocation = Invocation(self.clients, name, {"agentToken": state["token"]}, self.settings.timeout)
        self._starting.add(container.id)
        try:
            main = await self.agent_bridge.main_process(container, io,
                                                        invocation.exit_code(self.settings.agent_linger))
        except StartError as exc:
            raise self._start_error(name, invocation, exc) from None
        finally:
            self._starting.discard(container.id)
        return InvocationProcess(main, invocation)

    def _start_error(self, name: str, invocation: Invocation, error: StartError) -> StartError:
        """Why a start failed, in the agent's or Lambda's own words when they said something."""
        if not invocation.outcome.done():
            return StartError(f"{error.message} (is the daemon's agent endpoint reachable from the function? the "
                              f"invocation of {name} runs on until its timeout)", error.exit_code)
        outcome = invocation.outcome.result()
        failure = outcome.start_failure
        if failure is not None:
            return StartError(failure[0], failure[1])
        if outcome.error:
            return StartError(f"lambda backend: function {name} ended before its agent connected: {outcome.error}",
                              126)
        return error

    async def _wait_ready(self, name: str) -> None:
        """Lambda accepts invocations once the function is Active and no update is in progress."""
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            config = await self.clients.call("lambda", "get_function_configuration", FunctionName=name)
            state, update = config.get("State", "Active"), config.get("LastUpdateStatus", "Successful")
            if state == "Failed" or update == "Failed":
                reason = config.get("StateReason") or config.get("LastUpdateStatusReason") or "no reason given"
                raise StartError(f"lambda backend: function {name} cannot run: {reason}", 126)
            if state == "Active" and update != "InProgress":
                return
            if time.monotonic() > deadline:
                raise StartError(f"lambda backend: function {name} still {state}/{update} after {READY_TIMEOUT:g}s", 126)
            await asyncio.sleep(1.0)

    @hookimpl
    async def sockerless_container_kill(self, container: Any, signal: int) -> None:
        try:
            await self.agent_bridge.signal_main(container, signal)
        except AgentUnavailable as exc:
            raise Conflict(f"lambda backend: cannot signal container {container.id[:12]}: {exc} (a running "
                           f"invocation can only be signalled through its agent; it ends at the function's timeout, "
                           f"{self.settings.timeout} s)") from None

    # -- remove ----------------------------------------------------------------------------------
    @hookimpl
    async def sockerless_container_remove(self, container: Any) -> None:
        state = container.backend_state
        await self.logs.let_followers_finish(container.id)
        if state.get("function"):
            await self._delete_function(state["function"])
        await self.agent_bridge.forget(container)
        if state.get("root"):
            await self.roots.remove(container.id)

    async def _delete_function(self, name: str) -> None:
        """The function and its log group (either may be gone already)."""
        for service, operation, params in (("lambda", "delete_function", {"FunctionName": name}),
                                           ("logs", "delete_log_group", {"logGroupName": log_group(name)})):
            try:
                await self.clients.call(service, operation, **params)
            except CloudError as exc:
                if exc.status != 404:
                    raise

    # -- logs ------------------------------------------------------------------------------------
    @hookimpl
    def sockerless_container_logs(self, container: Any, options: dict[str, Any]) -> Any:
        name = container.backend_state.get("function") or function_name(self.settings.prefix, container.id)
        return self.logs.read(container, log_group(name), options)

    # -- restart recovery ------------------------------------------------------------------------
    @hookimpl
    async def sockerless_backend_recover(self, containers: list[Any]) -> list[Any]:
        known = {c.backend_state.get("function") or function_name(self.settings.prefix, c.id): c for c in containers}
        functions = await self.clients.paginate("lambda", "list_functions", "Functions")
        existing = {f["FunctionName"]: f for f in functions}
        await self._delete_orphans([f for n, f in existing.items() if n.startswith(self.settings.prefix) and n not in known])
        await self.roots.remove_orphans(c.id for c in containers)
        alive = [c for n, c in known.items() if c.state.Running and n in existing and c.backend_state.get("token")]
        for container in alive:
            self.context.agents.expect(container.id, container.backend_state["token"])
        if alive:
            await self.context.agents.reverse_url()
        return alive

    async def _delete_orphans(self, candidates: list[dict[str, Any]]) -> None:
        """Functions tagged for this daemon that it no longer has a container for."""
        for function in candidates:
            try:
                found = (await self.clients.call("lambda", "list_tags", Resource=function["FunctionArn"]))["Tags"]
            except CloudError as exc:
                log.warning("cannot read the tags of function %s: %s", function["FunctionName"], exc.message)
                continue
            if found.get(tags.MANAGED) == "1" and found.get(tags.DAEMON) == self.instance:
                log.info("deleting orphaned function %s (container %s)", function["FunctionName"],
                         found.get(tags.CONTAINER, "?")[:12])
                await self._delete_function(function["FunctionName"])

    @hookimpl
    async def sockerless_container_readopt(self, container: Any, io: Any) -> Any:
        # returns at once (the core re-adopts containers one after the other before it serves): the agent
        # may take its back-off to dial back, or not come at all when the run ended while the daemon was down
        return FollowedProcess(self._follow_again(container, io))

    async def _follow_again(self, container: Any, io: Any) -> ExitResult:
        ended = asyncio.ensure_future(self._ended_per_logs(container))
        try:
            main = await self.agent_bridge.main_process(container, io, ended, replay=False)
        except StartError:
            ended.cancel()
            io.stdout.close()
            io.stderr.close()
            return ExitResult(code=UNKNOWN_EXIT, error=(
                f"lambda backend: the invocation of function {container.backend_state['function']} ended while the "
                "daemon was down; its exit status is unknown"))
        return await main.wait()

    async def _ended_per_logs(self, container: Any) -> int:
        """Wait for the REPORT line Lambda writes when this run's invocation ends, then for the agent's linger
        (the exit status is unknown unless the agent dials back meanwhile)."""
        group = log_group(container.backend_state["function"])
        since = int(container.backend_state.get("started_ms", 0))
        while True:
            try:
                found = await self.clients.paginate("logs", "filter_log_events", "events", logGroupName=group,
                                                    startTime=since, filterPattern="REPORT")
                if any(e.get("message", "").startswith("REPORT RequestId:") for e in found):
                    # a lingering agent may still dial back with the exit code
                    await asyncio.sleep(self.settings.agent_linger + LINGER_MARGIN)
                    return UNKNOWN_EXIT
            except CloudError as exc:
                if exc.status != 404:
                    log.warning("cannot read the log of function %s: %s", group, exc.message)
            await asyncio.sleep(REPORT_POLL)
