"""The default executor: each container is a local process running the container's command on the host.

The image is not pulled: the command must exist on the host (the Sockerless agent can wrap it).
The working directory must exist on the host too; without one the process starts in a private
scratch directory under the simulator's data directory.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
from pathlib import Path

from .base import OutputSink, StartFailure, WorkloadSpec, exit_status

HOST_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class ProcessWorkload:
    """A host process with its output pumped line by line into a sink."""

    def __init__(self, process: subprocess.Popen[bytes], output: OutputSink, env: dict[str, str], cwd: Path) -> None:
        self.process = process
        self.env = env
        self.cwd = cwd
        self.runtime_id = str(process.pid)
        self._pumps = [threading.Thread(target=self._pump, args=(stream, name), daemon=True)
                       for stream, name in ((process.stdout, "stdout"), (process.stderr, "stderr"))]
        self._output = output
        for pump in self._pumps:
            pump.start()

    def _pump(self, stream, name: str) -> None:  # type: ignore[no-untyped-def]
        for raw in iter(stream.readline, b""):
            self._output(name, raw.decode(errors="replace").rstrip("\n"))
        stream.close()

    def wait(self, timeout: float | None = None) -> int | None:
        """The exit code once the process has exited and its output is drained."""
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        for pump in self._pumps:
            pump.join(5)
        return exit_status(code)

    def signal(self, signum: int) -> None:
        """Signal the process group (the command and what it started)."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signum)
            except ProcessLookupError:
                pass


class ProcessExecutor:
    """Runs each container's argv as a host process in its own process group."""

    name = "process"

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch

    def start(self, spec: WorkloadSpec, output: OutputSink) -> ProcessWorkload:
        """Start the command; :class:`StartFailure` names what is missing on the host."""
        if spec.mounts:
            mount = spec.mounts[0]
            raise StartFailure(f"CannotStartContainerError: the process executor cannot mount volume {mount.volume} "
                               f"at {mount.target} for container {spec.name}: a host process sees the host's "
                               "filesystem, not mount points (run the simulator with --executor docker)")
        if not spec.argv:
            raise StartFailure("CannotStartContainerError: the process executor needs a command or entryPoint "
                               f"for container {spec.name} (images are not pulled, so the image's default is unknown)")
        env = {"PATH": HOST_PATH, **spec.env}
        if shutil.which(spec.argv[0], path=env["PATH"]) is None and not os.access(spec.argv[0], os.X_OK):
            raise StartFailure(f'CannotStartContainerError: exec: "{spec.argv[0]}": executable file not found '
                               "in $PATH (the process executor runs commands on the simulator's host)")
        cwd = Path(spec.workdir) if spec.workdir else self.scratch / spec.name
        if spec.workdir and not cwd.is_dir():
            raise StartFailure(f"CannotStartContainerError: working directory {spec.workdir} does not exist on "
                               "the simulator's host (process executor)")
        cwd.mkdir(parents=True, exist_ok=True)
        try:
            process = subprocess.Popen(spec.argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        except OSError as exc:
            raise StartFailure(f"CannotStartContainerError: {exc}") from None
        return ProcessWorkload(process, output, env, cwd)

    def check(self, workload: ProcessWorkload, argv: list[str], timeout: float) -> int | None:  # type: ignore[override]
        """Run the health check command on the host, in the workload's environment and directory."""
        try:
            done = subprocess.run(argv, env=workload.env, cwd=workload.cwd, stdin=subprocess.DEVNULL,
                                  capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        except OSError:
            return 127
        return exit_status(done.returncode)

    def release(self, group: str) -> None:
        """Nothing is held per group: processes share the host's network (localhost)."""

    def reap(self, runtime_id: str) -> None:
        """SIGKILL the leftover process group (each workload leads its own)."""
        try:
            pid = int(runtime_id)
            if os.getpgid(pid) == pid:
                os.killpg(pid, signal.SIGKILL)
        except (ValueError, ProcessLookupError, PermissionError):
            pass
