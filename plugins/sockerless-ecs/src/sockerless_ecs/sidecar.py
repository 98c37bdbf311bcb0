"""Agent injection through a sidecar, for real ECS: the image stays as the user gave it.

The task gets a scratch volume ``sockerless-agent`` and an init container from option
``agent-image`` (``essential: false``; made by ``packaging/build-agent-image.sh``: busybox plus
the self-contained agent at :data:`IMAGE_AGENT_PATH`) that copies the agent onto the volume and
exits. The workload's container waits for it (``dependsOn`` ``SUCCESS``: a failed copy stops the
task with a clear dependency reason instead of an ``exec`` error), mounts the volume read-only
at ``/.sockerless`` and runs ``/.sockerless/sockerless-agent <flags> -- <argv>``; the agent dials
the daemon (reverse mode, URL and token from the RunTask environment override) and runs the
container's own command.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

AGENT_VOLUME = "sockerless-agent"
AGENT_DIR = "/.sockerless"
AGENT_BINARY = f"{AGENT_DIR}/sockerless-agent"
IMAGE_AGENT_PATH = "/sockerless/sockerless-agent"
"""Where the agent image holds the binary."""
INIT_CONTAINER = "sockerless-agent-init"
LOG_PREFIX = "sockerless"


@dataclass
class SidecarInjection:
    """What the sidecar adds: the workload's entry point and fields, the init container, the volume.

    Same attributes as the backend's ``Injection`` (entry_point, container_fields,
    extra_containers, volumes), so it can be used in its place.
    """

    entry_point: list[str]
    container_fields: dict[str, Any] = field(default_factory=dict)
    extra_containers: list[dict[str, Any]] = field(default_factory=list)
    volumes: list[dict[str, Any]] = field(default_factory=list)


def init_container(agent_image: str, log_group: str = "", region: str = "") -> dict[str, Any]:
    """The container definition that copies the agent onto the task volume (its output in CloudWatch
    when ``log_group`` is given)."""
    if not agent_image:
        raise ValueError("ecs backend: agent-injection=sidecar needs option agent-image")
    definition: dict[str, Any] = {
        "name": INIT_CONTAINER, "image": agent_image, "essential": False,
        "entryPoint": ["/bin/cp", IMAGE_AGENT_PATH, AGENT_BINARY],
        "mountPoints": [{"sourceVolume": AGENT_VOLUME, "containerPath": AGENT_DIR, "readOnly": False}],
    }
    if log_group:
        options = {"awslogs-group": log_group, "awslogs-stream-prefix": LOG_PREFIX}
        if region:
            options["awslogs-region"] = region
        definition["logConfiguration"] = {"logDriver": "awslogs", "options": options}
    return definition


def workload_fields() -> dict[str, Any]:
    """The fields the workload's container definition gains (merge list fields, see ``pods.merge_fields``)."""
    return {"dependsOn": [{"containerName": INIT_CONTAINER, "condition": "SUCCESS"}],
            "mountPoints": [{"sourceVolume": AGENT_VOLUME, "containerPath": AGENT_DIR, "readOnly": True}]}


def agent_volume() -> dict[str, Any]:
    """The task's scratch volume holding the agent (Fargate bind volume: task-scoped)."""
    return {"name": AGENT_VOLUME, "host": {}}


def entry_point(flags: list[str]) -> list[str]:
    """The workload's entry point: the copied agent, its flags, ``--`` (the command follows)."""
    return [AGENT_BINARY, *flags, "--"]


def injection(config: Any, flags: list[str]) -> SidecarInjection:
    """Everything the sidecar adds for one container; ``config`` has ``agent_image``, ``log_group`` and
    ``aws.region`` (the backend's ``EcsConfig``)."""
    region = getattr(getattr(config, "aws", None), "region", "")
    return SidecarInjection(entry_point=entry_point(flags), container_fields=workload_fields(),
                            extra_containers=[init_container(config.agent_image, getattr(config, "log_group", ""),
                                                             region)],
                            volumes=[agent_volume()])
