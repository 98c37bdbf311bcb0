"""Helpers of the ECS suites: starting daemons on the ecs backend and clearing them."""

from __future__ import annotations

from pathlib import Path

from awssim import SimulatorProcess
from daemon import Daemon

PULL_SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:sockerless-pull"
"""A made-up pull secret for the module daemons: the process executor pulls no image, the task definition carries it."""


def start_ecs_daemon(workdir: Path, sim: SimulatorProcess, registry: str, *extra: str) -> Daemon:
    """A daemon on the ecs backend pointed at ``sim``, with ``alpine`` pulled through the registry mirror."""
    d = Daemon(workdir, backend="ecs", extra_args=["--endpoint-url", sim.endpoint, "--registry-mirror",
                                                   f"http://{registry}", *extra])
    d.start()
    if d.docker("image", "inspect", "alpine").returncode != 0:
        d.docker("pull", "alpine", check=True)
    return d


def remove_all(d: Daemon) -> None:
    """Remove every container the daemon still has."""
    leftover = d.docker("ps", "-aq").stdout.decode().split()
    if leftover:
        d.docker("rm", "-f", *leftover, timeout=120)


BUILD_AGENT_IMAGE = Path(__file__).resolve().parents[1] / "packaging" / "build-agent-image.sh"


def agent_image(registry: str) -> str:
    """The sidecar's agent image (busybox + the static agent) pushed to ``registry``, built once per agent version."""
    import subprocess

    from agentbuild import source_digest, static_agent

    reference = f"{registry}/sockerless-ecs-test/agent:{source_digest()}"
    out = subprocess.run([str(BUILD_AGENT_IMAGE), reference, "--agent", str(static_agent()), "--base",
                          f"{registry}/library/busybox:latest", "--insecure"], capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise RuntimeError(f"build-agent-image.sh failed: {out.stderr[-2000:]}")
    return reference
