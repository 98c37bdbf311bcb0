"""What a container becomes in Lambda: its function's name and its CreateFunction request.

Pure functions of the container record and the settings (no AWS calls), so they are unit-tested.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sockerless.agent.hostroot import agent_flags
from sockerless.api.errors import InvalidParameter, NotImplementedByBackend

from .settings import BACKEND, MAX_MEMORY, MIN_MEMORY, LambdaSettings

MIB = 1 << 20
PLATFORM_LINES = ("START RequestId:", "END RequestId:", "REPORT RequestId:", "INIT_START ", "INIT_REPORT ",
                  "EXTENSION\t", "TELEMETRY\t", "RESTORE_START ", "RESTORE_REPORT ")
"""How the lines Lambda itself writes into a function's log stream begin (not the workload's output)."""
AGENT_LINES = "sockerless-agent: "
"""The agent's own log and messages (on the function's stderr, so in CloudWatch, but not the workload's output)."""
CONNECT_MARGIN = 5.0
"""The agent gives up on the daemon this much later than ``docker start`` gives up on the agent."""
ROOT_USERS = ("", "root", "0", "0:0", "root:root")


def function_name(prefix: str, container_id: str) -> str:
    """The container's function: ``PREFIX`` + the first 32 hex digits of its id (at most 56 characters)."""
    return prefix + container_id[:32]


def log_group(name: str) -> str:
    """Where Lambda writes a function's output."""
    return f"/aws/lambda/{name}"


def is_platform_line(message: str) -> bool:
    """True for Lambda's own START/END/REPORT (and init, extension) lines and the agent's own log lines."""
    return message.startswith(PLATFORM_LINES) or message.startswith(AGENT_LINES)


def memory_size(host_memory: int, default: int) -> int:
    """``--memory`` (bytes) as Lambda's MemorySize in MiB, rounded up; ``default`` when unset."""
    if not host_memory:
        return default
    mib = -(-host_memory // MIB)
    if not MIN_MEMORY <= mib <= MAX_MEMORY:
        raise InvalidParameter(f"lambda backend: a function's memory must be {MIN_MEMORY} MiB to {MAX_MEMORY} MiB, "
                               f"--memory asks for {host_memory} bytes ({mib} MiB)")
    return mib


def check_supported(container: Any, image_user: str = "", *, any_user: bool = False) -> None:
    """Refuse what a function cannot do and the core does not already refuse by capability.

    The image's own ``USER`` is accepted (Lambda runs every image as its sandbox user); a
    different ``--user`` is refused unless ``any_user`` (host injection with a container root,
    where the agent switches to the user).
    """
    host = container.host_config
    if (host.PortBindings and any(host.PortBindings.values())) or host.PublishAllPorts:
        raise NotImplementedByBackend(BACKEND, "published ports (-p, -P)", "a Lambda function accepts no inbound "
                                      "connections")
    if getattr(host, "Tmpfs", None) or any(getattr(m, "Type", "") == "tmpfs" for m in getattr(container, "mounts", [])):
        raise NotImplementedByBackend(BACKEND, "tmpfs mounts (--tmpfs)", "a function has no mounts; /tmp is its "
                                      "writable scratch space")
    user = container.config.User or ""
    if not any_user and user not in ROOT_USERS and user != image_user:
        raise NotImplementedByBackend(BACKEND, f"running the main process as user {container.config.User!r} (--user)",
                                      "a function runs as its sandbox's own user")
    if not (container.path or container.args):
        raise InvalidParameter("lambda backend: the container has no command (the image has no Entrypoint or Cmd "
                               "and none was given)")


def agent_argv(settings: LambdaSettings, container_id: str, connect_url: str, root_flags: list[str]) -> list[str]:
    """The function's ``ImageConfig.EntryPoint``: the agent in Lambda mode, dialling the daemon, then ``--``.

    ``root_flags``: where the agent puts the workload in host injection (``--root ...`` or ``--archive-root``)."""
    if settings.injection == "host":
        agent = list(settings.host_agent)
    elif settings.agent_path:
        agent = [settings.agent_path]
    else:
        raise NotImplementedByBackend(BACKEND, "containers from images without the agent",
                                      "on AWS a function's image must contain the Sockerless agent: build it into "
                                      "the image and set the backend option agent-path (SOCKERLESS_LAMBDA_AGENT_PATH) "
                                      "to its path")
    argv = [*agent, "--lambda", "--connect", connect_url, "--container", container_id,
            "--log-level", settings.agent_log_level, "--linger", f"{settings.agent_linger:g}",
            "--connect-timeout", f"{settings.connect_timeout + CONNECT_MARGIN:g}", *root_flags]
    if settings.agent_ca_file:
        argv += ["--ca-file", settings.agent_ca_file]
    return [*argv, "--"]


def environment(container: Any) -> dict[str, str]:
    """The container's ``Env`` as Lambda's variables (a later entry wins, as in Docker)."""
    variables: dict[str, str] = {}
    for entry in container.config.Env or []:
        key, sep, value = entry.partition("=")
        if sep and key:
            variables[key] = value
    return variables


def placement(settings: LambdaSettings, container: Any, root: str) -> tuple[list[str], str]:
    """The agent's root options and the function's ``WorkingDirectory`` (empty: none) for a container.

    Host injection with ``host-root=image``: the agent chroots into ``root`` and changes to the working
    directory inside it (the process executor must not look for that directory on the host). With
    ``host-root=none``: ``root`` is the container's host directory, ``docker cp``'s ``/``, and the working
    directory is inside it. Image injection: the function's own filesystem and working directory.
    """
    workdir = container.config.WorkingDir or ""
    if settings.injection != "host":
        return [], workdir
    if settings.host_root == "image":
        return agent_flags(Path(root), workdir, container.config.User or ""), ""
    return ["--archive-root", root], os.path.join(root, workdir.lstrip("/"))


def create_request(settings: LambdaSettings, container: Any, *, role: str, connect_url: str, root: str,
                   tags: dict[str, str]) -> dict[str, Any]:
    """The CreateFunction parameters of a container (``root``: its host directory in host injection, else empty)."""
    name = function_name(settings.prefix, container.id)
    root_flags, workdir = placement(settings, container, root)
    image_config: dict[str, Any] = {
        "EntryPoint": agent_argv(settings, container.id, connect_url, root_flags),
        "Command": [container.path, *container.args] if container.path else list(container.args),
    }
    if workdir:
        image_config["WorkingDirectory"] = workdir
    request: dict[str, Any] = {
        "FunctionName": name,
        "PackageType": "Image",
        "Code": {"ImageUri": container.config.Image},
        "Role": role,
        "ImageConfig": image_config,
        "Environment": {"Variables": environment(container)},
        "MemorySize": memory_size(container.host_config.Memory or 0, settings.memory),
        "Timeout": settings.timeout,
        "Description": f"Sockerless container {container.id[:12]}",
        "Tags": tags,
    }
    if settings.subnets:
        request["VpcConfig"] = {"SubnetIds": list(settings.subnets), "SecurityGroupIds": list(settings.security_groups)}
    return request
