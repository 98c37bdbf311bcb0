"""Helpers of the agent suites: starting daemons on the agentproc backend, finding agent processes."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "tests"))

from daemon import Daemon  # noqa: E402
from polling import agent_pid, wait_for  # noqa: E402,F401  (re-exported to the agent suites)

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


