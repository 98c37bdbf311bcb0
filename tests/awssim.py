"""Starting real ``sockerless sim aws`` processes for the suites of the simulator and the AWS backends."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from daemon import Daemon

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


@dataclass
class SimulatorProcess:
    """A running simulator: its endpoint and how to stop it."""

    process: subprocess.Popen[str]
    endpoint: str
    data_dir: Path

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(self.endpoint.rsplit(":", 1)[1])

    @property
    def log_path(self) -> Path:
        """Everything it printed after its ready line."""
        return self.data_dir / "simulator.log"

    def env(self) -> dict[str, str]:
        """Environment for the aws CLI and SDKs: test credentials and region."""
        return {**os.environ, **CREDENTIALS}

    def client(self, service: str, **kwargs: Any) -> Any:
        """A boto3 client for ``service`` pointed at the simulator."""
        import boto3

        return boto3.client(service, endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing", **kwargs)

    def stop(self, sig: int = 15) -> None:
        """Stop it (SIGTERM by default, SIGKILL to simulate a crash)."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(30)


def _drain(stream: Any, path: Path) -> None:
    with open(path, "a") as log:
        for line in iter(stream.readline, ""):
            log.write(line)
            log.flush()


def start_simulator(data_dir: Path, *extra: str, step_delay: str = "0.02") -> SimulatorProcess:
    """``sockerless sim aws --port 0`` and wait for its ready line (later output goes to ``log_path``)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "sockerless.cli.main", "sim", "aws", "--port", "0", "--data-dir", str(data_dir),
           "--step-delay", step_delay, *extra]
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, **CREDENTIALS})
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    lines = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        if match:
            simulator = SimulatorProcess(process, match.group(1), data_dir)
            threading.Thread(target=_drain, args=(process.stdout, simulator.log_path), daemon=True).start()
            return simulator
    process.kill()
    raise AssertionError("simulator did not start: " + "".join(lines)[-2000:])


def check_offline_builtin_run(data_dir: Path, backend: str, endpoint: str) -> None:
    """With no registry reachable, a simulator-mode AWS backend started in ``data_dir`` pulls its built-in
    busybox image (saying so) and ``docker run`` of it gives the command's output on the right streams and
    its exit code."""
    daemon = Daemon(data_dir, backend=backend, extra_args=["--endpoint-url", endpoint]).start()
    try:
        _check_builtin_run(daemon, backend)
    finally:
        daemon.remove_all_containers()
        daemon.stop()


def _check_builtin_run(daemon: Any, backend: str) -> None:
    pulled = daemon.docker("pull", "alpine", timeout=120)
    assert pulled.returncode == 0, pulled.stderr
    assert f"built-in rootfs of the {backend} backend in simulator mode".encode() in pulled.stdout + pulled.stderr
    run = daemon.docker("run", "--rm", "alpine", "sh", "-c", "echo out; echo err >&2; ls /bin/busybox; exit 4",
                        timeout=120)
    assert (run.returncode, run.stdout, run.stderr) == (4, b"out\n/bin/busybox\n", b"err\n")
