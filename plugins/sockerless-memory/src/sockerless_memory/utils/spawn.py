"""Running other programs from a utility: exec in place (env, nice, nohup) or as a child (xargs, timeout, time)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from ..sandbox.exec import ExecError, execute
from ..sandbox.files import OpenFile
from ..sandbox.process import ExitStatus, Process
from .common import Util


def exec_reason(exc: ExecError) -> str:
    """The C library's wording for why a program could not start."""
    return "No such file or directory" if exc.reason == "not found" else exc.reason


def exec_in_place(u: Util, argv: list[str], report: Callable[[ExecError], None] | None = None) -> int:
    """Replace the running utility with ``argv`` (same pid, descriptors and environment), like ``execvp``."""
    u.out.flush()
    try:
        return execute(u.proc, argv)
    except ExecError as exc:
        if report is not None:
            report(exc)
        else:
            u.error(f"can't execute '{argv[0]}': {exec_reason(exc)}")
        return exc.status


def child_target(child: Process, argv: list[str], report: Callable[[ExecError], None]) -> Callable[[], int]:
    """The program of a forked child: exec ``argv``, reporting a failure to start through ``report``."""

    def run() -> int:
        try:
            return execute(child, argv)
        except ExecError as exc:
            report(exc)
            return exc.status

    return run


def run_child(u: Util, argv: list[str], report: Callable[[ExecError], None], env: dict[str, str] | None = None) -> ExitStatus:
    """Fork, exec ``argv`` and wait for it on this thread (a foreground command)."""
    u.out.flush()
    child = u.proc.fork(argv, env)
    return child.run(child_target(child, argv, report))


def start_child(u: Util, argv: list[str], report: Callable[[ExecError], None], env: dict[str, str] | None = None,
                *, fds: Mapping[int, OpenFile] | None = None) -> Process:
    """Fork and exec ``argv`` on a thread of its own (collect it with ``u.proc.wait_child``).

    ``fds`` are installed in the child first (the end of a pipe as its stdin or stdout).
    """
    u.out.flush()
    child = u.proc.fork(argv, env)
    for fd, file in (fds or {}).items():
        child.fds.install(file, fd)
    u.proc.kernel.start_thread(child, child_target(child, argv, report))
    return child


def wait_until(u: Util, child: Process, timeout: float) -> bool:
    """Wait at most ``timeout`` seconds for ``child`` to end; True if it did (signals still act)."""
    deadline = time.monotonic() + timeout
    while not child.exited():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        u.proc.sleep(min(remaining, 0.02))
    return True
