"""Running WebAssembly programs in a throwaway sandbox, with the knobs a container has."""

from __future__ import annotations

import time

from sockerless_memory.sandbox.exec import run_entrypoint
from sockerless_memory.sandbox.files import BytesInput, CaptureOutput, OpenFile
from sockerless_memory.sandbox.harness import RunResult, Sandbox
from sockerless_memory.sandbox.kernel import Kernel
from sockerless_memory.sandbox.process import Process, ProcessSpec


def install(box: Sandbox, data: bytes, path: str = "/bin/wtool") -> None:
    """Put a module into the container as an executable file (through the jail)."""
    box.fs.write_bytes(path, data, mode=0o755)


class Started:
    """A program started as pid 1 of a fresh kernel, with captured output."""

    def __init__(self, box: Sandbox, argv: list[str], *, stdin: OpenFile | None = None,
                 memory_limit: int | None = None, cwd: str = "/") -> None:
        self.kernel = Kernel(box.fs, hostname=box.hostname, memory_limit=memory_limit)
        self.out, self.err = CaptureOutput(), CaptureOutput()
        spec = ProcessSpec(argv=list(argv), env=dict(box.env), cwd=cwd)
        stdio = (stdin or BytesInput(b""), self.out.acquire(), self.err.acquire())
        self.proc: Process = self.kernel.spawn(spec, stdio, lambda p: run_entrypoint(p, list(argv)))

    def wait_output(self, text: bytes, timeout: float = 30.0) -> None:
        """Wait until stdout contains ``text``."""
        deadline = time.monotonic() + timeout
        while text not in self.out.getvalue():
            if time.monotonic() > deadline or self.proc.exited():
                raise AssertionError(f"no {text!r} in the output: {self.out.getvalue()!r} {self.err.getvalue()!r}")
            time.sleep(0.01)

    def result(self, timeout: float = 30.0) -> RunResult:
        """Wait for the end: what the program printed and its status."""
        if not self.proc._done.wait(timeout):
            self.kernel.signal_all(9)
            raise AssertionError(f"the program did not end within {timeout}s")
        assert self.proc.status is not None
        return RunResult(self.out.getvalue(), self.err.getvalue(), self.proc.status.shell_status)
