"""The ECS backend's settings: every option, its default, and the simulator-mode defaults."""

from __future__ import annotations

import importlib.util
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from sockerless.agent import hostroot
from sockerless_aws import AwsSettings
from sockerless_aws.settings import SettingsError

BACKEND = "ecs"
INJECTION_MODES = ("host", "sidecar", "image")
DEFAULT_LOG_GROUP = "/sockerless/ecs"
DEFAULT_CLUSTER = "sockerless"


@dataclass(frozen=True)
class EcsConfig:
    """What the backend needs to know beyond the AWS connection (see the README's option table)."""

    aws: AwsSettings
    instance: str
    cluster: str = DEFAULT_CLUSTER
    subnets: list[str] = field(default_factory=list)
    security_groups: list[str] = field(default_factory=list)
    assign_public_ip: str = "DISABLED"
    execution_role_arn: str = ""
    task_role_arn: str = ""
    log_group: str = DEFAULT_LOG_GROUP
    repository_credentials: str = ""
    """A Secrets Manager secret ARN with the username/password Fargate pulls non-ECR private images with."""
    agent_injection: str = "host"
    agent_command: list[str] = field(default_factory=list)
    """``host`` injection: how the simulator's host runs the agent."""
    host_root: str = "none"
    """``host`` injection: ``image`` chroots each container into a root made from its image's layers,
    ``none`` runs it in the host's own filesystem."""
    agent_image: str = ""
    """``sidecar`` injection: the image holding the self-contained agent."""
    agent_path: str = ""
    """``image`` injection: where the agent already is inside every image."""
    start_timeout: float = 30.0
    """Seconds to wait for a new task's agent to dial in."""
    poll_interval: float = 0.5
    """Seconds between DescribeTasks polls of running tasks."""

    @property
    def simulator(self) -> bool:
        """True when pointed at a simulator (an endpoint URL is set)."""
        return self.aws.simulator

    @property
    def started_by(self) -> str:
        """RunTask's ``startedBy`` (at most 36 characters): finds this daemon's tasks with ListTasks."""
        return f"sockerless-{self.instance}"[:36]

    @classmethod
    def load(cls, options: dict[str, str], data_dir: Path) -> EcsConfig:
        """Read every option (``--backend-opt``, ``[backend.ecs]``, ``SOCKERLESS_ECS_*``, ``SOCKERLESS_AWS_*``)."""
        aws = AwsSettings.from_options(BACKEND, options)
        injection = aws.get("agent-injection", "host" if aws.simulator else "sidecar")
        if injection not in INJECTION_MODES:
            raise SettingsError(f"{BACKEND} backend: agent-injection must be one of {', '.join(INJECTION_MODES)}, "
                                f"not {injection!r}")
        host_root = _host_root(aws, injection)
        assign = aws.get("assign-public-ip", "DISABLED").upper()
        if assign not in ("ENABLED", "DISABLED"):
            raise SettingsError(f"{BACKEND} backend: assign-public-ip must be ENABLED or DISABLED, not {assign!r}")
        config = cls(
            aws=aws, instance=aws.instance_id(data_dir), cluster=aws.get("cluster", DEFAULT_CLUSTER),
            subnets=aws.get_list("subnets"), security_groups=aws.get_list("security-groups"),
            assign_public_ip=assign, execution_role_arn=aws.get("execution-role-arn"),
            task_role_arn=aws.get("task-role-arn"), log_group=aws.get("log-group", DEFAULT_LOG_GROUP),
            repository_credentials=aws.get("repository-credentials"),
            agent_injection=injection, host_root=host_root, agent_command=shlex.split(aws.get("agent-command")),
            agent_image=aws.get("agent-image"), agent_path=aws.get("agent-path"),
            start_timeout=aws.get_seconds("start-timeout", 30.0 if aws.simulator else 600.0),
            poll_interval=aws.get_seconds("poll-interval", 0.5 if aws.simulator else 3.0))
        config.check()
        return config

    def check(self) -> None:
        """Refuse combinations that cannot work, naming the option to set."""
        if not self.simulator:
            missing = [name for name, value in (("subnets", self.subnets),
                                                ("execution-role-arn", self.execution_role_arn)) if not value]
            if missing:
                raise SettingsError(f"{BACKEND} backend: on AWS the option(s) {', '.join(missing)} must be set "
                                    "(--backend-opt KEY=VALUE, [backend.ecs] in the config file, or SOCKERLESS_ECS_*)")
        if self.agent_injection == "host" and not self.agent_command and importlib.util.find_spec("sockerless_agent") is None:
            raise SettingsError(f"{BACKEND} backend: agent-injection=host runs the agent with this interpreter, but the "
                                "sockerless-agent distribution is not installed (or set agent-command)")
        if self.agent_injection == "sidecar" and not self.agent_image:
            raise SettingsError(f"{BACKEND} backend: agent-injection=sidecar needs agent-image (an image holding the "
                                "self-contained agent)")
        if self.agent_injection == "image" and not self.agent_path:
            raise SettingsError(f"{BACKEND} backend: agent-injection=image needs agent-path (the agent's path in the "
                                "images)")

    def host_agent(self) -> list[str]:
        """The agent's command for ``host`` injection."""
        return list(self.agent_command) or hostroot.host_agent_command()


def _host_root(aws: AwsSettings, injection: str) -> str:
    """Option ``host-root`` (:func:`sockerless.agent.hostroot.root_mode`): ``image`` by default when the daemon
    (and so the agent it has the simulator start) runs as root and the agent is injected from the host."""
    configured = aws.get("host-root").lower()
    if injection == "host":
        return hostroot.root_mode(configured, BACKEND)
    if configured == "image":
        raise SettingsError(f"{BACKEND} backend: host-root=image needs agent-injection=host (the agent runs on the "
                            f"simulator's host and chroots the container there), not agent-injection={injection}")
    return "none"

