"""The second executor: each container is a real container on a local Docker engine (via the docker CLI).

The image is pulled by the engine as needed. Containers get ``--network`` from the executor
(``host`` by default, so an agent inside can reach the daemon on loopback), labels naming the
simulator, and are removed after they exit. Mounts are bind mounts of directories under the
simulator's data directory (the engine must see the simulator's filesystem: a local engine).
Containers of one group (an ECS task) share localhost: on the ``host`` network they all do;
on another network the first one starts a small holder container from the pause image and
every member joins its network namespace (``--network container:HOLDER``), as awsvpc tasks do.
"""

from __future__ import annotations

import shutil
import subprocess
import threading

from .base import OutputSink, StartFailure, WorkloadSpec, exit_status

LABEL = "sockerless.sim-aws"
HOLD_SECONDS = "2147483647"


class DockerWorkload:
    """A detached container whose logs are followed into a sink."""

    def __init__(self, cli: list[str], container_id: str, output: OutputSink) -> None:
        self.cli = cli
        self.runtime_id = container_id
        self._code: int | None = None
        self._done = threading.Event()
        self._logs = subprocess.Popen([*cli, "logs", "-f", container_id], stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE)
        self._pumps = [threading.Thread(target=self._pump, args=(s, n), daemon=True)
                       for s, n in ((self._logs.stdout, "stdout"), (self._logs.stderr, "stderr"))]
        self._output = output
        for pump in self._pumps:
            pump.start()
        threading.Thread(target=self._wait, daemon=True).start()

    def _pump(self, stream, name: str) -> None:  # type: ignore[no-untyped-def]
        for raw in iter(stream.readline, b""):
            self._output(name, raw.decode(errors="replace").rstrip("\n"))

    def _wait(self) -> None:
        out = subprocess.run([*self.cli, "wait", self.runtime_id], capture_output=True, text=True)
        self._code = int(out.stdout.strip()) if out.returncode == 0 and out.stdout.strip().isdigit() else 137
        self._logs.wait(10)
        for pump in self._pumps:
            pump.join(5)
        subprocess.run([*self.cli, "rm", "-f", self.runtime_id], capture_output=True)
        self._done.set()

    def wait(self, timeout: float | None = None) -> int | None:
        """The container's exit code once it exited and its logs are drained."""
        return self._code if self._done.wait(timeout) else None

    def signal(self, signum: int) -> None:
        """``docker kill -s``; ignored once the container is gone."""
        if not self._done.is_set():
            subprocess.run([*self.cli, "kill", "-s", str(signum), self.runtime_id], capture_output=True)


class DockerExecutor:
    """Runs containers on the engine at ``docker_host``."""

    name = "docker"

    def __init__(self, docker_host: str, network: str = "host", pause_image: str = "busybox:latest") -> None:
        docker = shutil.which("docker")
        if docker is None:
            raise RuntimeError("the docker executor needs the docker CLI on PATH")
        self.cli = [docker, "-H", docker_host]
        self.network = network
        self.pause_image = pause_image
        self._holders: dict[str, str] = {}
        self._lock = threading.Lock()

    def _network_for(self, spec: WorkloadSpec) -> str:
        """``host``/the network, or ``container:HOLDER`` for a group on a network other than host."""
        if not spec.group or self.network == "host":
            return self.network
        with self._lock:
            holder = self._holders.get(spec.group)
            if holder is None:
                out = subprocess.run([*self.cli, "run", "-d", "--network", self.network, "--label", f"{LABEL}=1",
                                      "--label", f"{LABEL}.holder={spec.group}", "--entrypoint", "sleep",
                                      self.pause_image, HOLD_SECONDS], capture_output=True, text=True, timeout=600)
                if out.returncode != 0:
                    raise StartFailure("CannotStartContainerError: the task's network holder (image "
                                       f"{self.pause_image}) did not start: {out.stderr.strip()[-300:]}")
                holder = self._holders[spec.group] = out.stdout.strip()
        return f"container:{holder}"

    def start(self, spec: WorkloadSpec, output: OutputSink) -> DockerWorkload:
        """``docker run -d`` the spec; :class:`StartFailure` with the engine's message."""
        args = [*self.cli, "run", "-d", "--network", self._network_for(spec), "--label", f"{LABEL}=1"]
        for mount in spec.mounts:
            args += ["-v", f"{mount.source}:{mount.target}" + (":ro" if mount.read_only else "")]
        for key, value in spec.labels.items():
            args += ["--label", f"{key}={value}"]
        for key, value in spec.env.items():
            args += ["-e", f"{key}={value}"]
        if spec.workdir:
            args += ["-w", spec.workdir]
        if spec.user:
            args += ["-u", spec.user]
        if spec.memory_mib:
            args += ["-m", f"{spec.memory_mib}m"]
        if spec.entrypoint:
            args += ["--entrypoint", spec.entrypoint[0], spec.image, *spec.entrypoint[1:], *(spec.command or [])]
        else:
            args += [spec.image, *(spec.command or [])]
        out = subprocess.run(args, capture_output=True, text=True, timeout=600)
        if out.returncode != 0:
            raise StartFailure(f"CannotStartContainerError: {out.stderr.strip()[-500:]}")
        return DockerWorkload(self.cli, out.stdout.strip(), output)

    def reap(self, runtime_id: str) -> None:
        """``docker rm -f`` the leftover container."""
        subprocess.run([*self.cli, "rm", "-f", runtime_id], capture_output=True, timeout=60)

    def check(self, workload: DockerWorkload, argv: list[str], timeout: float) -> int | None:  # type: ignore[override]
        """``docker exec`` the health check command in the container."""
        try:
            done = subprocess.run([*self.cli, "exec", workload.runtime_id, *argv], capture_output=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        return exit_status(done.returncode)

    def release(self, group: str) -> None:
        """Remove the group's network holder (found by its label after a simulator restart)."""
        with self._lock:
            holder = self._holders.pop(group, None)
        if holder is None:
            found = subprocess.run([*self.cli, "ps", "-aq", "--filter", f"label={LABEL}.holder={group}"],
                                   capture_output=True, text=True, timeout=60)
            holder = found.stdout.split()[0] if found.returncode == 0 and found.stdout.split() else None
        if holder:
            subprocess.run([*self.cli, "rm", "-f", holder], capture_output=True, timeout=60)
