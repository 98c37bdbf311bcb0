"""Signal numbers, names and default actions as on Linux, plus the exceptions that unwind a process.

Sandbox processes are Python threads, so a signal is never delivered asynchronously: it is
recorded on the target :class:`~sockerless_memory.sandbox.process.Process`, every blocking
wait of that process wakes up, and the process acts on it at its next check point
(``Process.check()``, any blocking read, write, sleep or wait).
"""

from __future__ import annotations

import enum

from sockerless.signals import (  # noqa: F401 - re-exported for the sandbox
    SIGALRM,
    SIGCHLD,
    SIGCONT,
    SIGHUP,
    SIGINT,
    SIGKILL,
    SIGNAL_NAMES,
    SIGNALS,
    SIGPIPE,
    SIGQUIT,
    SIGRTMAX,
    SIGRTMIN,
    SIGSTOP,
    SIGTERM,
    SIGTSTP,
    SIGUSR1,
    SIGUSR2,
    SIGWINCH,
)
from sockerless.signals import name as signal_name  # noqa: F401
from sockerless.signals import parse as parse_signal  # noqa: F401


class Action(enum.Enum):
    """What the default disposition of a signal does."""

    TERMINATE = "terminate"
    IGNORE = "ignore"
    STOP = "stop"
    CONTINUE = "continue"


_DEFAULT_IGNORED = {SIGCHLD, SIGWINCH, 23}  # CHLD, WINCH, URG
_DEFAULT_STOP = {SIGSTOP, SIGTSTP, 21, 22}


def default_action(signum: int) -> Action:
    """The action taken for ``signum`` when no handler is installed."""
    if signum in _DEFAULT_IGNORED:
        return Action.IGNORE
    if signum in _DEFAULT_STOP:
        return Action.STOP
    if signum == SIGCONT:
        return Action.CONTINUE
    return Action.TERMINATE


class ProcessExit(BaseException):
    """Raised to end the current process with an exit status (like ``_exit``).

    It derives from ``BaseException`` so that ordinary ``except Exception`` blocks in
    utilities never swallow it.
    """

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class SignalTermination(BaseException):
    """Raised inside a process that is being terminated by a signal (status 128+n)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class Interrupted(Exception):
    """A blocking wait was interrupted by a caught signal (the shell runs its trap, like EINTR)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
