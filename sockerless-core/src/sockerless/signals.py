"""Linux signal numbers and names: the one table every package uses.

Docker passes signals by name or number (``docker kill -s``, ``StopSignal``); backends
receive numbers.
"""

from __future__ import annotations

from .api.errors import InvalidParameter

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


def parse(value: str | int) -> int:
    """``"TERM"``, ``"SIGTERM"``, ``"sigterm"``, ``"15"``, ``"RTMIN+2"`` or ``15``; ``ValueError`` otherwise."""
    if isinstance(value, int):
        num = value
    else:
        text = value.strip().upper()
        if text.isdigit():
            num = int(text)
        else:
            text = text.removeprefix("SIG")
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
        if text.startswith(base_name) and len(text) > len(base_name) and text[len(base_name)] in "+-":
            try:
                num = base + int(text[len(base_name):])
            except ValueError:
                break
            if SIGRTMIN <= num <= SIGRTMAX:
                return num
    raise ValueError(f"invalid signal: {text}")


def name(signum: int) -> str:
    """``15`` -> ``"TERM"``; real-time signals as ``RTMIN+n``."""
    if signum in SIGNAL_NAMES:
        return SIGNAL_NAMES[signum]
    if SIGRTMIN <= signum <= SIGRTMAX:
        return "RTMIN" if signum == SIGRTMIN else f"RTMIN+{signum - SIGRTMIN}"
    return str(signum)


def parse_api(value: str) -> int:
    """Parse a signal from an API parameter; a 400 with Docker's wording when invalid."""
    try:
        return parse(value)
    except ValueError:
        raise InvalidParameter(f"Invalid signal: {value}") from None
