"""Starting real ``sockerless serve`` processes for the end-to-end suites."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from sockerless.client import UnixHTTPConnection, ping


def sockerless_command() -> list[str]:
    """How to run the CLI of the installed distribution."""
    exe = shutil.which("sockerless", path=os.path.dirname(sys.executable)) or shutil.which("sockerless")
    return [exe] if exe else [sys.executable, "-m", "sockerless.cli.main"]


@dataclass
class Daemon:
    """A running daemon on a unix socket under ``workdir``."""

    workdir: Path
    backend: str = "memory"
    extra_args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None

    @property
    def socket_path(self) -> str:
        return str(self.workdir / "sockerless.sock")

    @property
    def host(self) -> str:
        return f"unix://{self.socket_path}"

    @property
    def data_root(self) -> Path:
        return self.workdir / "data"

    @property
    def log_path(self) -> Path:
        return self.workdir / "daemon.log"

    def start(self, timeout: float = 30.0) -> Daemon:
        self.workdir.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env.update(self.env)
        args = [*sockerless_command(), "serve", "--backend", self.backend, "-H", self.host,
                "--data-root", str(self.data_root), "--log-level", "info", *self.extra_args]
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child
        self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"daemon exited with {self.process.returncode}:\n{self.log_path.read_text()}")
            if self.ping():
                return self
            time.sleep(0.05)
        raise RuntimeError(f"daemon did not answer within {timeout}s:\n{self.log_path.read_text()}")

    def ping(self) -> bool:
        return ping(self.socket_path)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        conn = UnixHTTPConnection(self.socket_path)
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        result = resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
        conn.close()
        return result

    def kill(self) -> None:
        """SIGKILL: what a crash looks like."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def remove_all_containers(self) -> None:
        """``docker rm -f`` every container the daemon still has (a suite's teardown)."""
        leftover = self.docker("ps", "-aq").stdout.decode().split()
        if leftover:
            self.docker("rm", "-f", *leftover, timeout=120)

    def docker(self, *args: str, input: bytes | None = None, timeout: float = 60.0,
               check: bool = False) -> subprocess.CompletedProcess:
        """Run the real Docker CLI against this daemon."""
        env = dict(os.environ)
        env["DOCKER_HOST"] = self.host
        env.pop("DOCKER_CONTEXT", None)
        env.setdefault("DOCKER_CONFIG", str(self.workdir / "docker-config"))
        result = subprocess.run(["docker", *args], input=input, capture_output=True, timeout=timeout, env=env)
        if check and result.returncode != 0:
            raise AssertionError(f"docker {' '.join(args)} failed ({result.returncode}): {result.stderr.decode()}")
        return result
