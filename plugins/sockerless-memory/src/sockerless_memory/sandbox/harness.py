"""A throwaway sandbox for tests and benchmarks: the built-in rootfs, a kernel, captured stdio.

>>> with Sandbox() as box:
...     result = box.sh("echo hello; exit 3")
>>> result.stdout, result.status
(b'hello\\n', 3)
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass

from .. import rootfs
from .exec import DEFAULT_PATH, run_entrypoint
from .files import BytesInput, CaptureOutput
from .fs import FileSystem, Mount
from .kernel import Kernel
from .process import ProcessSpec


@dataclass
class RunResult:
    """What a program printed and how it ended (``status`` as a shell's ``$?``)."""

    stdout: bytes
    stderr: bytes
    status: int

    @property
    def out(self) -> str:
        """stdout decoded as UTF-8."""
        return self.stdout.decode("utf-8", "replace")

    @property
    def err(self) -> str:
        """stderr decoded as UTF-8."""
        return self.stderr.decode("utf-8", "replace")


class Sandbox:
    """A container world on a temporary built-in rootfs (or on ``root`` when given).

    With ``lowers`` (read-only layer directories, top-most first) the root is the writable
    upper directory of a union over them, as in a container of the memory backend; it is
    then a new empty directory unless ``root`` is given.
    """

    def __init__(self, root: str | None = None, mounts: Sequence[Mount] = (), hostname: str = "sandbox",
                 lowers: Sequence[str] = ()) -> None:
        self._tmp = None
        if root is None:
            self._tmp = tempfile.mkdtemp(prefix="sockerless-sandbox-")
            root = self._tmp
            if lowers:
                os.chmod(root, 0o755)  # an empty upper directory: "/" of the container
            else:
                rootfs.build(root)
        self.root = root
        self.fs = FileSystem(root, mounts, lowers=lowers)
        self.hostname = hostname
        self.env = {"PATH": DEFAULT_PATH, "HOSTNAME": hostname, "HOME": "/root"}

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the jail and delete a temporary rootfs."""
        self.fs.close()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)

    def run(
        self,
        argv: list[str],
        *,
        stdin: bytes = b"",
        env: dict[str, str] | None = None,
        cwd: str = "/",
        timeout: float = 60.0,
    ) -> RunResult:
        """Run ``argv`` as the init of a fresh kernel and wait for it."""
        kernel = Kernel(self.fs, hostname=self.hostname)
        out, err = CaptureOutput(), CaptureOutput()
        spec = ProcessSpec(argv=list(argv), env=dict(self.env if env is None else env), cwd=cwd)
        proc = kernel.spawn(spec, (BytesInput(stdin), out.acquire(), err.acquire()), lambda p: run_entrypoint(p, argv))
        if not proc._done.wait(timeout):
            kernel.signal_all(9)
            proc._done.wait(5)
            raise TimeoutError(f"{argv!r} did not finish within {timeout}s")
        assert proc.status is not None
        return RunResult(out.getvalue(), err.getvalue(), proc.status.shell_status)

    def sh(self, script: str, **kwargs) -> RunResult:
        """``sh -c SCRIPT``."""
        return self.run(["sh", "-c", script], **kwargs)
