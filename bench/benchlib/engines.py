"""The two engines under test: a private ``sockerless serve`` (memory or docker backend) and a private real dockerd."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import image
from .proc import BenchError, kill_strays, log, remove_tree, run, start_daemon, stop_group, wait_for_ping

SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
CLEAN_ENV = ("DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH", "DOCKER_API_VERSION",
             "SOCKERLESS_HOST", "SOCKERLESS_DATA_ROOT", "SOCKERLESS_BACKEND", "SOCKERLESS_CONFIG")


class EngineUnavailable(RuntimeError):
    """The engine could not be started; the message says why."""


def base_env() -> dict[str, str]:
    """The caller's environment without Docker/Sockerless settings that could redirect clients."""
    env = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    paths = env.get("PATH", "").split(":")
    env["PATH"] = ":".join([p for p in paths if p] + [p for p in SYSTEM_PATH.split(":") if p not in paths])
    return env


@dataclass
class Engine:
    """A running daemon on a private unix socket, with everything it owns under ``workdir``."""

    name: str
    workdir: Path
    socket_path: Path
    log_path: Path
    process: subprocess.Popen[bytes]
    docker_cli: str
    container_flags: list[str] = field(default_factory=list)
    network_mode: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def host(self) -> str:
        """``unix://`` address for clients."""
        return f"unix://{self.socket_path}"

    def env(self) -> dict[str, str]:
        """Environment for the Docker CLI: this daemon, a private client config."""
        env = base_env()
        env["DOCKER_HOST"] = self.host
        env["DOCKER_CONFIG"] = str(self.workdir / "docker-config")
        env["DOCKER_CLI_HINTS"] = "false"
        return env

    def cli(self, *args: str) -> list[str]:
        """Argument vector of a Docker CLI call."""
        return [self.docker_cli, *args]

    def docker(self, *args: str, timeout: float = 120.0, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        """Run the Docker CLI against this engine."""
        return run(self.cli(*args), timeout=timeout, env=self.env(), check=check)

    def api_client(self, timeout: float = 120.0) -> Any:
        """A low-level docker-py client (``docker.APIClient``) for this engine."""
        try:
            import docker
        except ImportError:
            raise BenchError("docker-py not installed in this interpreter") from None
        return docker.APIClient(base_url=self.host, version="auto", timeout=int(timeout))

    def server_version(self) -> str:
        """``docker version``'s server version string."""
        out = self.docker("version", "--format", "{{.Server.Version}} (API {{.Server.APIVersion}})", timeout=30)
        return out.stdout.decode().strip()

    def close(self) -> None:
        """Stop the daemon and its children, unmount and delete the work dir."""
        stop_group(self.process)
        strays = kill_strays(str(self.workdir))
        if strays:
            log(f"{self.name}: killed leftover processes {strays}")
        remove_tree(self.workdir)


def _workdir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))


def sockerless_command() -> list[str]:
    """How to run Sockerless: the script next to this interpreter, else ``python -m``."""
    sibling = Path(sys.executable).with_name("sockerless")
    if sibling.exists():
        return [str(sibling)]
    found = shutil.which("sockerless")
    return [found] if found else [sys.executable, "-m", "sockerless.cli.main"]


def start_sockerless(docker_cli: str, command: list[str] | None = None, timeout: float = 60.0,
                     engine: Engine | None = None) -> Engine:
    """``sockerless serve`` on a temp unix socket: the memory backend with ``alpine`` pulled, or, given
    a running dockerd ``engine``, the ``docker`` backend forwarding to it (whose images it then uses)."""
    workdir = _workdir("slbench-sl-")
    config = workdir / "config.toml"
    config.write_text("")
    socket_path, log_path = workdir / "sockerless.sock", workdir / "sockerless.log"
    backend = ["--backend", "memory"] if engine is None else [
        "--backend", "docker", "--backend-opt", f"docker-host={engine.host}"]
    cmd = [*(command or sockerless_command()), "serve", *backend, "-H", f"unix://{socket_path}",
           "--data-root", str(workdir / "data"), "--config", str(config), "--log-level", "warning"]
    process = start_daemon(cmd, log_path=log_path, env=base_env())
    flags = {} if engine is None else {"container_flags": engine.container_flags, "network_mode": engine.network_mode}
    sockerless = Engine("sockerless", workdir, socket_path, log_path, process, docker_cli,
                        details={"command": " ".join(cmd)}, **flags)
    try:
        wait_for_ping(socket_path, process, log_path, timeout)
        if engine is None:
            pull = sockerless.docker("pull", "alpine", timeout=300)
            sockerless.details["pull"] = _pull_note(pull.stdout.decode() + pull.stderr.decode())
        sockerless.details["version"] = sockerless.server_version()
    except BaseException:
        sockerless.close()
        raise
    return sockerless


def _pull_note(output: str) -> str:
    """Say whether the pull used the memory backend's built-in rootfs (expected offline)."""
    return "built-in rootfs (offline)" if "built-in rootfs" in output else "pulled"


def dockerd_binary() -> str | None:
    """Path of dockerd, if installed."""
    return shutil.which("dockerd", path=SYSTEM_PATH)


def start_dockerd(docker_cli: str, timeout: float = 60.0) -> Engine:
    """A private dockerd (overlay2, else vfs) with an ``alpine:latest`` built from busybox-static."""
    if os.geteuid() != 0:
        raise EngineUnavailable("not running as root (dockerd needs root)")
    binary = dockerd_binary()
    if binary is None:
        raise EngineUnavailable("dockerd not installed (apt-get install docker.io)")
    reasons = []
    for driver in ("overlay2", "vfs"):
        try:
            return _start_dockerd_with(binary, driver, docker_cli, timeout)
        except BenchError as exc:
            log(f"dockerd with --storage-driver={driver} failed: {exc}")
            reasons.append(f"{driver}: {exc}")
    raise EngineUnavailable("dockerd could not start: " + "; ".join(reasons))


def _dockerd_args(binary: str, workdir: Path, driver: str) -> list[str]:
    return [binary, "-H", f"unix://{workdir / 'docker.sock'}", "--data-root", str(workdir / "data"),
            "--exec-root", str(workdir / "exec"), "--pidfile", str(workdir / "docker.pid"),
            "--iptables=false", "--ip-forward=false", "--ip-masq=false", "--bridge=none",
            f"--storage-driver={driver}", "--exec-opt", "native.cgroupdriver=cgroupfs"]


def _start_dockerd_with(binary: str, driver: str, docker_cli: str, timeout: float) -> Engine:
    workdir = _workdir("slbench-dd-")
    socket_path, log_path = workdir / "docker.sock", workdir / "dockerd.log"
    cmd = _dockerd_args(binary, workdir, driver)
    process = start_daemon(cmd, log_path=log_path, env=base_env())
    engine = Engine("dockerd", workdir, socket_path, log_path, process, docker_cli,
                    container_flags=["--network", "none"], network_mode="none",
                    details={"command": " ".join(cmd), "storage_driver": driver})
    try:
        wait_for_ping(socket_path, process, log_path, timeout)
        rootfs = image.build_rootfs(workdir / "rootfs")
        image.import_rootfs(rootfs, engine.cli(), engine.env())
        engine.docker("run", "--rm", "--network", "none", "alpine", "true", timeout=120)
        engine.details["image"] = "alpine:latest imported from busybox-static"
        engine.details["version"] = engine.server_version()
    except BaseException:
        engine.close()
        raise
    return engine
