"""The Lambda backend's options, read once at start and checked (every one is in the README)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from sockerless.agent.hostroot import host_agent_command, root_mode
from sockerless_aws import AwsSettings
from sockerless_aws.settings import SettingsError

BACKEND = "lambda"
INJECTIONS = ("host", "image")
MIN_MEMORY, MAX_MEMORY = 128, 10240
MAX_TIMEOUT = 900
MAX_SECONDS = 3600
"""Bound of the agent's connect timeout and linger options."""
PREFIX_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,24}$")
ROLE_NAME = "sockerless-lambda"


@dataclass(frozen=True)
class LambdaSettings:
    """Everything the backend needs to know besides the container."""

    aws: AwsSettings
    role: str
    """The execution role's ARN; empty in simulator mode means "create ``sockerless-lambda`` in IAM"."""
    timeout: int
    memory: int
    """MemorySize (MiB) of containers without ``--memory``."""
    injection: str
    """``host``: the agent as installed here (simulator); ``image``: the image holds it at ``agent_path``."""
    agent_path: str
    host_agent: tuple[str, ...]
    host_root: str
    """Host injection: ``image`` (the agent chroots the workload into a root made from the image's layers) or
    ``none`` (the workload sees the host's filesystem); empty in image injection."""
    prefix: str
    subnets: tuple[str, ...]
    security_groups: tuple[str, ...]
    connect_timeout: float
    agent_log_level: str
    agent_linger: float
    """How long the agent stays up after its command ended until the daemon collected the exit."""
    agent_ca_file: str
    """The agent's ``--ca-file`` (a path where the agent runs) to verify a ``wss://`` endpoint; empty: system CAs."""

    @property
    def simulator(self) -> bool:
        """True when an endpoint URL points the backend at a simulator."""
        return self.aws.simulator

    @classmethod
    def from_options(cls, options: Mapping[str, str]) -> LambdaSettings:
        """Read and check the options; :class:`SettingsError` names a bad one."""
        aws = AwsSettings.from_options(BACKEND, options)
        injection = aws.get("agent-injection", "host" if aws.simulator else "image")
        if injection not in INJECTIONS:
            raise SettingsError(f"lambda backend: agent-injection must be one of {', '.join(INJECTIONS)}, "
                                f"got {injection!r}")
        if injection == "host" and not aws.simulator:
            raise SettingsError("lambda backend: agent-injection host runs the agent installed on this machine, "
                                "which only a local simulator can do (set endpoint-url, or use agent-injection image "
                                "with agent-path)")
        timeout = aws.get_int("timeout", MAX_TIMEOUT)
        if not 1 <= timeout <= MAX_TIMEOUT:
            raise SettingsError(f"lambda backend: timeout must be 1..{MAX_TIMEOUT} seconds, got {timeout}")
        memory = aws.get_int("memory", 512)
        if not MIN_MEMORY <= memory <= MAX_MEMORY:
            raise SettingsError(f"lambda backend: memory must be {MIN_MEMORY}..{MAX_MEMORY} MiB, got {memory}")
        prefix = aws.get("function-prefix", "sockerless-")
        if not PREFIX_PATTERN.match(prefix):
            raise SettingsError("lambda backend: function-prefix must be 1-24 letters, digits, '-' or '_', "
                                f"got {prefix!r}")
        agent_path = aws.get("agent-path")
        if agent_path and not agent_path.startswith("/"):
            raise SettingsError(f"lambda backend: agent-path must be an absolute path in the image, got {agent_path!r}")
        host_agent = tuple(host_agent_command(aws.get("host-agent")))
        host_root = root_mode(aws.get("host-root"), BACKEND) if injection == "host" else ""
        role = aws.get("role")
        connect_timeout = aws.get_seconds("agent-connect-timeout", 30 if aws.simulator else 120, MAX_SECONDS)
        linger = aws.get_seconds("agent-linger", 30, MAX_SECONDS)
        return cls(aws=aws, role=role, timeout=timeout, memory=memory, injection=injection, agent_path=agent_path,
                   host_agent=host_agent, host_root=host_root, prefix=prefix, subnets=tuple(aws.get_list("subnets")),
                   security_groups=tuple(aws.get_list("security-groups")), connect_timeout=connect_timeout,
                   agent_log_level=aws.get("agent-log-level", "warning"), agent_linger=linger,
                   agent_ca_file=aws.get("agent-ca-file"))

