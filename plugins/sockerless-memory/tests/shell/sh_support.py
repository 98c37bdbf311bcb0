"""Helpers of the shell tests: the sandbox wrapper and the reference shells."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass

from sockerless_memory.sandbox.harness import RunResult, Sandbox

BUSYBOX = "/usr/bin/busybox"
BASH = "/usr/bin/bash"
REFERENCE_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LC_ALL": "C"}


@dataclass
class Reference:
    """What the reference shell printed."""

    stdout: bytes
    stderr: bytes
    status: int


def run_reference(shell: list[str], script: str, stdin: bytes = b"") -> Reference:
    """Run ``shell -c script`` in a fresh empty directory."""
    workdir = tempfile.mkdtemp(prefix="sh-ref-")
    try:
        proc = subprocess.run(
            [*shell, "-c", script],
            input=stdin,
            capture_output=True,
            cwd=workdir,
            env=REFERENCE_ENV,
            timeout=20,
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    status = proc.returncode if proc.returncode >= 0 else 128 - proc.returncode  # killed by a signal
    return Reference(proc.stdout, proc.stderr, status)


class Box:
    """A sandbox whose ``/tmp`` is emptied before every script (scripts run in ``/tmp``)."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.tmp = os.path.join(sandbox.root, "tmp")

    def clean(self) -> None:
        for name in os.listdir(self.tmp):
            path = os.path.join(self.tmp, name)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.unlink(path)

    def sh(self, script: str, stdin: bytes = b"", shell: str = "sh") -> RunResult:
        self.clean()
        env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root"}
        return self.sandbox.run([shell, "-c", script], stdin=stdin, env=env, cwd="/tmp", timeout=20)


def have(path: str) -> bool:
    """True when a reference program is installed."""
    return os.path.exists(path)
