"""Signal numbers, names and default actions as on Linux, plus the exceptions that unwind a process.

Sandbox processes are Python threads, so a signal is never delivered asynchronously: it is
recorded on the target :class:`~sockerless_memory.sandbox.process.Process`, every blocking
wait of that process wakes up, and the process acts on it at its next check point
(``Process.check()``, any blocking read, write, sleep or wait).
"""

from __future__ import annotations

import enum

SIGNALS: dict[str, int] = {
    "HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "BUS": 7, "FPE": 8,
    "KILL": 9, "USR1": 10, "SEGV": 11, "USR2": 12, "PIPE": 13, "ALRM": 14, "TERM": 15,
    "STKFLT": 16, "CHLD": 17, "CONT": 18, "STOP": 19, "TSTP": 20, "TTIN": 21, "TTOU": 22,
    "URG": 23, "XCPU": 24, "XFSZ": 25, "VTALRM": 26, "PROF": 27, "WINCH": 28, "IO": 29,
    "PWR": 30, "SYS": 31,
}
SIGNAL_NAMES: dict[int, str] = {num: name for name, num in SIGNALS.items()}
ALIASES = {"IOT": 6, "POLL": 29, "CLD": 17}
SIGRTMIN, SIGRTMAX = 34, 64

SIGHUP, SIGINT, SIGQUIT, SIGKILL, SIGUSR1, SIGUSR2 = 1, 2, 3, 9, 10, 12
SIGPIPE, SIGALRM, SIGTERM, SIGCHLD, SIGCONT, SIGSTOP, SIGTSTP, SIGWINCH = 13, 14, 15, 17, 18, 19, 20, 28


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


def parse_signal(value: str | int) -> int:
    """Parse ``"TERM"``, ``"SIGTERM"``, ``"sigterm"``, ``"15"``, ``"RTMIN+2"`` or ``15``; raise ``ValueError``."""
    if isinstance(value, int):
        num = value
    else:
        text = value.strip().upper()
        if text.isdigit():
            num = int(text)
        else:
            if text.startswith("SIG"):
                text = text[3:]
            if text in SIGNALS:
                return SIGNALS[text]
            if text in ALIASES:
                return ALIASES[text]
            num = _parse_realtime(text)
    if not 1 <= num <= SIGRTMAX:
        raise ValueError(f"invalid signal: {value}")
    return num


def _parse_realtime(text: str) -> int:
    for base_name, base in (("RTMIN", SIGRTMIN), ("RTMAX", SIGRTMAX)):
        if text == base_name:
            return base
        if text.startswith(base_name) and text[len(base_name)] in "+-":
            offset = int(text[len(base_name):])
            num = base + offset
            if SIGRTMIN <= num <= SIGRTMAX:
                return num
    raise ValueError(f"invalid signal: {text}")


def signal_name(signum: int) -> str:
    """``15`` -> ``"TERM"``; real-time signals as ``RTMIN+n``."""
    if signum in SIGNAL_NAMES:
        return SIGNAL_NAMES[signum]
    if SIGRTMIN <= signum <= SIGRTMAX:
        return "RTMIN" if signum == SIGRTMIN else f"RTMIN+{signum - SIGRTMIN}"
    return str(signum)


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
