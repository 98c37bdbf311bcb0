"""stty: terminal settings of the container's pseudo-terminal (a real host pty behind the sandbox)."""

from __future__ import annotations

import fcntl
import struct
import termios

from .common import Util, utility

# name -> (attribute index in tcgetattr's list, flag)
_FLAGS = {
    "ignbrk": (0, termios.IGNBRK), "brkint": (0, termios.BRKINT), "ignpar": (0, termios.IGNPAR),
    "parmrk": (0, termios.PARMRK), "inpck": (0, termios.INPCK), "istrip": (0, termios.ISTRIP),
    "inlcr": (0, termios.INLCR), "igncr": (0, termios.IGNCR), "icrnl": (0, termios.ICRNL),
    "ixon": (0, termios.IXON), "ixoff": (0, termios.IXOFF), "ixany": (0, termios.IXANY),
    "imaxbel": (0, termios.IMAXBEL), "iutf8": (0, getattr(termios, "IUTF8", 0o40000)),
    "opost": (1, termios.OPOST), "onlcr": (1, termios.ONLCR), "ocrnl": (1, termios.OCRNL),
    "onocr": (1, termios.ONOCR), "onlret": (1, termios.ONLRET),
    "isig": (3, termios.ISIG), "icanon": (3, termios.ICANON), "iexten": (3, termios.IEXTEN),
    "echo": (3, termios.ECHO), "echoe": (3, termios.ECHOE), "echok": (3, termios.ECHOK),
    "echonl": (3, termios.ECHONL), "noflsh": (3, termios.NOFLSH), "tostop": (3, termios.TOSTOP),
    "echoctl": (3, termios.ECHOCTL), "echoke": (3, termios.ECHOKE),
}
_LISTING = [
    ["ignbrk", "brkint", "ignpar", "parmrk", "inpck", "istrip", "inlcr", "igncr", "icrnl", "ixon", "ixoff",
     "ixany", "imaxbel", "iutf8"],
    ["opost", "ocrnl", "onlcr", "onocr", "onlret"],
    ["isig", "icanon", "iexten", "echo", "echoe", "echok", "echonl", "noflsh", "tostop", "echoctl", "echoke"],
]
_CHARS = [("intr", termios.VINTR), ("quit", termios.VQUIT), ("erase", termios.VERASE), ("kill", termios.VKILL),
          ("eof", termios.VEOF), ("start", termios.VSTART), ("stop", termios.VSTOP), ("susp", termios.VSUSP),
          ("werase", termios.VWERASE), ("lnext", termios.VLNEXT)]
_SANE_ON = ["icrnl", "ixon", "opost", "onlcr", "isig", "icanon", "iexten", "echo", "echoe", "echok", "echoctl", "echoke"]
_SANE_OFF = ["inlcr", "igncr", "ocrnl", "onlret", "echonl", "noflsh", "tostop"]
_RAW_OFF = ["ignbrk", "brkint", "ignpar", "parmrk", "inpck", "istrip", "inlcr", "igncr", "icrnl", "ixon", "ixoff",
            "opost", "isig", "icanon", "iexten"]


def _char(value: bytes | int) -> str:
    code = value[0] if isinstance(value, bytes) else value
    if code == 0:
        return "<undef>"
    if code == 0x7F:
        return "^?"
    return f"^{chr(code + 64)}" if code < 32 else chr(code)


def _listing(attrs: list, rows: int, cols: int) -> str:
    lines = [f"speed 38400 baud; rows {rows}; columns {cols}; line = 0;",
             "; ".join(f"{name} = {_char(attrs[6][index])}" for name, index in _CHARS) + ";"]
    for group in _LISTING:
        lines.append(" ".join(name if attrs[_FLAGS[name][0]] & _FLAGS[name][1] else "-" + name for name in group))
    return "\n".join(lines) + "\n"


@utility("stty", usage="stty [-a|g] [-F DEVICE] [SETTING]...\n\nWithout arguments, prints baud rate, line discipline,\n"
         "and deviations from stty sane\n\n\t-F DEVICE\tOpen device instead of stdin\n\t-a\t\tPrint all current settings\n"
         "\t-g\t\tPrint in stty-readable form\n\t[SETTING]\tSee manpage")
def stty(u: Util, argv: list[str]) -> int:
    """stty [-a|-g] [-F DEVICE] [SETTING]..."""
    opts, args = u.getopt(argv[1:], "agF:")
    name = opts.get("F") or "standard input"
    file = u.open(opts["F"]) if opts.get("F") else u.proc.stdin
    fd = file.fileno() if file.isatty() else None
    if fd is None:
        u.fail(f"{name}: Inappropriate ioctl for device")
    try:
        attrs = termios.tcgetattr(fd)
        rows, cols, _, _ = struct.unpack("HHHH", fcntl.ioctl(fd, termios.TIOCGWINSZ, bytes(8)))
    except (termios.error, OSError) as exc:
        u.fail(f"{name}: {exc}")
    if opts.get("a"):
        u.out.write(_listing(attrs, rows, cols).encode())
        return 0
    if opts.get("g"):
        cc = ":".join(f"{c[0] if isinstance(c, bytes) else c:x}" for c in attrs[6])
        u.out.write(f"{attrs[0]:x}:{attrs[1]:x}:{attrs[2]:x}:{attrs[3]:x}:{cc}\n".encode())
        return 0
    if not args:
        u.out.write(f"speed 38400 baud; line = 0;\n{_deviations(attrs)}".encode())
        return 0
    if args == ["size"]:
        u.out.write(f"{rows} {cols}\n".encode())
        return 0
    _apply(u, fd, attrs, args, rows, cols)
    return 0


def _deviations(attrs: list) -> str:
    changed = [name for name in _SANE_ON if not attrs[_FLAGS[name][0]] & _FLAGS[name][1]]
    changed = ["-" + n for n in changed] + [n for n in _SANE_OFF if attrs[_FLAGS[n][0]] & _FLAGS[n][1]]
    return (" ".join(changed) + "\n") if changed else ""


def _set(attrs: list, name: str, on: bool) -> None:
    index, flag = _FLAGS[name]
    attrs[index] = attrs[index] | flag if on else attrs[index] & ~flag


def _apply(u: Util, fd: int, attrs: list, args: list[str], rows: int, cols: int) -> None:
    words = iter(args)
    for word in words:
        if word in ("rows", "cols", "columns"):
            value = next(words, None)
            if value is None or not value.isdigit():
                u.fail(f"invalid argument '{value or ''}'")
            rows, cols = (int(value), cols) if word == "rows" else (rows, int(value))
            fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
            continue
        if word in ("raw", "-cooked"):
            for name in _RAW_OFF:
                _set(attrs, name, False)
            attrs[6][termios.VMIN], attrs[6][termios.VTIME] = 1, 0
        elif word in ("-raw", "cooked", "sane"):
            for name in _SANE_ON:
                _set(attrs, name, True)
            for name in _SANE_OFF:
                _set(attrs, name, False)
        elif word.lstrip("-") in _FLAGS:
            _set(attrs, word.lstrip("-"), not word.startswith("-"))
        else:
            u.fail(f"invalid argument '{word}'")
    termios.tcsetattr(fd, termios.TCSANOW, attrs)
