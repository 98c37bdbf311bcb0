"""``--init``: a minimal init as pid 1, as Docker's docker-init (tini) is.

It starts the container's command as pid 2, forwards every signal it receives to it, and
exits with its status, so that ``docker stop`` reaches a command that has no handlers of
its own (an init of a PID namespace ignores signals it does not handle, a child does not).
"""

from __future__ import annotations

from collections.abc import Callable

from .sandbox.process import Disposition, Process
from .sandbox.signals import SIGKILL, SIGSTOP, Interrupted

INIT_PATH = "/sbin/docker-init"
_FORWARDED = [sig for sig in range(1, 32) if sig not in (SIGKILL, SIGSTOP)]


def run_init(proc: Process, argv: list[str], run_program: Callable[[Process, list[str]], int]) -> int:
    """Be pid 1 for ``argv``; returns the child's status as a shell would report it."""
    for signum in _FORWARDED:
        proc.dispositions[signum] = Disposition.CATCH
    child = proc.fork(argv=list(argv))
    for signum in _FORWARDED:
        child.dispositions.pop(signum, None)
    proc.kernel.start_thread(child, lambda: run_program(child, list(argv)))
    while True:
        try:
            status = proc.wait_child(child, interruptible=True)
        except Interrupted:
            for signum in proc.take_caught():
                child.deliver(signum)
            continue
        return status.shell_status
