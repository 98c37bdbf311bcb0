"""Helpers of the agent suites: starting daemons on the agentproc backend, finding agent processes."""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "tests"))

from daemon import Daemon  # noqa: E402

FIXTURE = REPO / "tests" / "fixtures" / "sockerless-agentproc"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_agentd(workdir: Path, mode: str, site: Path, endpoint_port: int | None = None,
                 extra: list[str] | None = None) -> Daemon:
    """A daemon on the agentproc backend in ``mode`` (forward or reverse)."""
    args = ["--backend-opt", f"mode={mode}", *(extra or [])]
    if endpoint_port is not None:
        args += ["--agent-endpoint", f"127.0.0.1:{endpoint_port}"]
    pythonpath = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH", "")]))
    d = Daemon(workdir, backend="agentproc", extra_args=args, env={"PYTHONPATH": pythonpath})
    d.start()
    d.docker("pull", "scratchy", check=True)
    return d


def agent_pid(d: Daemon, container_id: str) -> int:
    """The pid of a container's agent process (its command line names the container's log file)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"sockerless_agent" in b" ".join(cmdline) and any(container_id.encode() in part for part in cmdline):
            return int(entry)
    raise AssertionError(f"no agent process found for container {container_id[:12]}")


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.05):
    """Poll until ``predicate()`` is truthy; returns its value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")
