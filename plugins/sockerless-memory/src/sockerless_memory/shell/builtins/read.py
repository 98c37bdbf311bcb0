"""``read``: one line (or ``-n`` characters, or up to ``-d``) split into variables by ``IFS``.

It reads through the description's shared buffer (``readline``/``read_byte``), so the
input after the line stays available to the commands that follow.
"""

from __future__ import annotations

import termios
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ...sandbox.files import OpenFile
from ..variables import valid_name
from . import builtin, leading_options

if TYPE_CHECKING:
    from ..shell import Shell


class _Timeout(Exception):
    pass


class _Options:
    def __init__(self) -> None:
        self.raw = False
        self.silent = False
        self.prompt: str | None = None
        self.timeout: float | None = None
        self.count: int | None = None
        self.exact = False
        self.delim = "\n"
        self.array: str | None = None
        self.fd = 0


def _parse(sh: Shell, argv: list[str]) -> tuple[_Options, list[str]] | int:
    o = _Options()
    args = argv[1:]
    i = 0
    with_value = "ptnNdau"
    while i < len(args):
        arg = args[i]
        if arg == "--":
            i += 1
            break
        if not arg.startswith("-") or len(arg) < 2:
            break
        j = 1
        while j < len(arg):
            letter = arg[j]
            if letter == "r":
                o.raw = True
            elif letter == "s":
                o.silent = True
            elif letter == "e":
                pass  # readline editing: nothing to do without a line editor
            elif letter in with_value and (sh.bash or letter not in "ad"):
                value = arg[j + 1:]
                if not value:
                    i += 1
                    if i >= len(args):
                        sh.errmsg(f"no arg for -{letter} option", "read")
                        return 2
                    value = args[i]
                if not _apply(sh, o, letter, value):
                    return 1
                break
            else:
                sh.errmsg(f"illegal option -{letter}", "read")
                return 2
            j += 1
        i += 1
    return o, args[i:]


def _apply(sh: Shell, o: _Options, letter: str, value: str) -> bool:
    if letter == "p":
        o.prompt = value
    elif letter == "t":
        try:
            o.timeout = float(value)
        except ValueError:
            sh.errmsg(f"invalid timeout '{value}'", "read")
            return False
    elif letter in "nN":
        if not value.isdigit():
            sh.errmsg(f"invalid count '{value}'", "read")
            return False
        o.count = int(value)
        o.exact = letter == "N"
    elif letter == "d" and sh.bash:
        o.delim = value[:1] if value else "\0"
    elif letter == "a" and sh.bash:
        o.array = value
    elif letter == "u":
        if not value.isdigit():
            sh.errmsg(f"{value}: invalid file descriptor", "read")
            return False
        o.fd = int(value)
    else:
        sh.errmsg(f"illegal option -{letter}", "read")
        return False
    return True


@builtin("read")
def read(sh: Shell, argv: list[str]) -> int:
    """``read [-rs] [-p prompt] [-t secs] [-n count] [-d delim] [-a array] [-u fd] [name ...]``."""
    parsed = _parse(sh, argv)
    if isinstance(parsed, int):
        return parsed
    o, names = parsed
    for name in names:
        if not valid_name(name):
            sh.errmsg(f"'{name}': bad variable name", "read", numbered=False)
            return 1
    file = sh.proc.fds.get(o.fd)
    if file is None:
        sh.errmsg("read error: Bad file descriptor", "read")
        return 1
    if o.prompt is not None and file.isatty():  # like busybox and bash: only for a terminal
        try:
            sh.proc.stderr.write(o.prompt.encode("utf-8", "surrogateescape"))
        except OSError:
            pass
    restore = _no_echo(file) if o.silent else None
    proc = sh.proc
    previous = proc.interruptible
    proc.interruptible = previous or sh.opts.interactive  # ^C at an interactive read abandons it
    try:
        chars, escaped, eof = _read_input(sh, file, o)
    except _Timeout:
        return 142 if sh.bash else 1
    except OSError as exc:
        sh.errmsg(f"read error: {exc.strerror}", "read")
        return 1
    finally:
        proc.interruptible = previous
        if restore is not None:
            restore()
    text = "".join(chars)
    if o.array is not None:
        fields = _split_all(sh, chars, escaped)
        sh.array_assign(o.array, fields)
    elif not names:
        sh.set_var("REPLY", text)
    else:
        for name, value in zip(names, _split(sh, chars, escaped, len(names)), strict=True):
            sh.set_var(name, value)
    return 1 if eof else 0


def _read_input(sh: Shell, file: OpenFile, o: _Options) -> tuple[list[str], list[bool], bool]:
    """The characters read (after backslash processing), which were escaped, and whether EOF came first."""
    deadline = None if o.timeout is None else time.monotonic() + o.timeout
    if o.count is None and o.delim == "\n" and deadline is None:
        return _read_lines(file, o.raw)
    chars: list[str] = []
    escaped: list[bool] = []
    pending = b""
    backslash = False
    while True:
        if o.count is not None and len(chars) >= o.count:
            return chars, escaped, False
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not _wait(file, remaining):
                raise _Timeout
        byte = file.read_byte()
        if not byte:
            return chars, escaped, True
        pending += byte
        try:
            ch = pending.decode("utf-8")
        except UnicodeDecodeError:
            if len(pending) < 4:
                continue
            ch = pending.decode("utf-8", "surrogateescape")
        pending = b""
        if backslash:
            backslash = False
            if ch == "\n":
                continue  # line continuation
            chars.append(ch)
            escaped.append(True)
            continue
        if ch == o.delim and not o.exact:
            return chars, escaped, False
        if ch == "\0":
            continue
        if ch == "\\" and not o.raw:
            backslash = True
            continue
        chars.append(ch)
        escaped.append(False)


def _no_echo(file: OpenFile) -> Callable[[], None] | None:
    """``read -s`` on a terminal: turn echo off; returns the function that restores it."""
    fd = file.fileno() if file.isatty() else None
    if fd is None:
        return None
    try:
        saved = termios.tcgetattr(fd)
        quiet = list(saved)
        quiet[3] &= ~termios.ECHO
        termios.tcsetattr(fd, termios.TCSANOW, quiet)
    except (termios.error, OSError):
        return None

    def restore() -> None:
        try:
            termios.tcsetattr(fd, termios.TCSANOW, saved)
        except (termios.error, OSError):
            pass

    return restore


def _read_lines(file: OpenFile, raw: bool) -> tuple[list[str], list[bool], bool]:
    """The common case: whole lines through the shared buffer (continued by a final backslash)."""
    chars: list[str] = []
    escaped: list[bool] = []
    while True:
        line = file.readline().decode("utf-8", "surrogateescape").replace("\0", "")  # NULs are dropped
        eof = not line.endswith("\n")
        if not eof:
            line = line[:-1]
        if raw or "\\" not in line:
            chars.extend(line)
            escaped.extend([False] * len(line))
            return chars, escaped, eof
        i, n = 0, len(line)
        while i < n:
            ch = line[i]
            if ch == "\\":
                if i + 1 < n:
                    chars.append(line[i + 1])
                    escaped.append(True)
                    i += 2
                    continue
                if not eof:
                    break  # backslash-newline: the line continues
                i += 1
                continue
            chars.append(ch)
            escaped.append(False)
            i += 1
        else:
            return chars, escaped, eof
        # reached only after a line continuation


def _wait(file: OpenFile, timeout: float) -> bool:
    poll = getattr(file, "wait_readable", None)
    if poll is None:
        return True
    return bool(poll(timeout))


def _ifs(sh: Shell) -> tuple[str, frozenset[str]]:
    ifs = sh.get_var("IFS")
    if ifs is None:
        ifs = " \t\n"
    return ifs, frozenset(c for c in ifs if c in " \t\n")


def _split(sh: Shell, chars: list[str], escaped: list[bool], count: int) -> list[str]:
    """Values for ``count`` variables: fields, then the rest of the line for the last one."""
    ifs, ws = _ifs(sh)
    n = len(chars)

    def is_ifs(k: int) -> bool:
        return not escaped[k] and chars[k] in ifs

    def is_ws(k: int) -> bool:
        return not escaped[k] and chars[k] in ws

    def skip_delim(k: int) -> int:
        """Consume ``ws* [non-ws] ws*`` from ``k``."""
        while k < n and is_ws(k):
            k += 1
        if k < n and is_ifs(k) and not is_ws(k):
            k += 1
            while k < n and is_ws(k):
                k += 1
        return k

    i = 0
    while i < n and is_ws(i):
        i += 1
    values: list[str] = []
    for _ in range(count - 1):
        start = i
        while i < n and not is_ifs(i):
            i += 1
        values.append("".join(chars[start:i]))
        i = skip_delim(i)
    end = n
    while end > i and is_ws(end - 1):
        end -= 1
    k = i
    while k < end and not is_ifs(k):
        k += 1
    if k < end and skip_delim(k) >= end:
        end = k  # a single field with its trailing delimiter: drop the delimiter
    values.append("".join(chars[i:end]))
    return values


def _split_all(sh: Shell, chars: list[str], escaped: list[bool]) -> list[str]:
    """``read -a``: every field."""
    ifs, ws = _ifs(sh)
    fields: list[str] = []
    current: list[str] = []
    have = False
    for ch, esc in zip(chars, escaped, strict=True):
        if not esc and ch in ifs:
            if have or ch not in ws:
                fields.append("".join(current))
            current, have = [], False
        else:
            current.append(ch)
            have = True
    if have:
        fields.append("".join(current))
    return fields



@builtin("mapfile", "readarray", bash_only=True)
def mapfile(sh: Shell, argv: list[str]) -> int:
    """``mapfile [-t] [-n count] [-s skip] [-d delim] [-u fd] [array]`` (bash): lines into an array."""
    args = argv[1:]
    strip = False
    count = 0
    skip = 0
    delim = "\n"
    fd = 0
    for opt in leading_options(args):
        if opt == "-t":
            strip = True
            continue
        if opt[1] not in "nsdu" or (len(opt) == 2 and not args):
            sh.errmsg(f"{opt}: invalid option", argv[0])
            return 2
        value = opt[2:] if len(opt) > 2 else args.pop(0)
        if opt[1] == "d":
            delim = value[:1] or "\0"
        elif not value.isdigit():
            sh.errmsg(f"{value}: invalid number", argv[0])
            return 1
        elif opt[1] == "n":
            count = int(value)
        elif opt[1] == "s":
            skip = int(value)
        else:
            fd = int(value)
    name = args[0] if args else "MAPFILE"
    file = sh.proc.fds.get(fd)
    if file is None:
        sh.errmsg(f"{fd}: invalid file descriptor: Bad file descriptor", argv[0])
        return 1
    lines: list[str] = []
    index = 0
    while not count or len(lines) < count:
        if delim == "\n":
            raw = file.readline()
        else:
            raw = _read_until(file, delim.encode("utf-8", "surrogateescape"))
        if not raw:
            break
        text = raw.decode("utf-8", "surrogateescape")
        if strip and text.endswith(delim):
            text = text[:-1]
        if index >= skip:
            lines.append(text)
        index += 1
    sh.array_assign(name, lines)
    return 0


def _read_until(file: OpenFile, delim: bytes) -> bytes:
    out = bytearray()
    while True:
        byte = file.read_byte()
        if not byte:
            return bytes(out)
        out += byte
        if byte == delim:
            return bytes(out)
