"""Small utilities: true, false, yes, echo, pwd, sleep, usleep, sync, basename, dirname, seq."""

from __future__ import annotations

import math
import re

from .common import Util, utility
from .escapes import expand


@utility("true", usage="true\n\nReturn an exit code of TRUE (0)")
def true(u: Util, argv: list[str]) -> int:
    """true: succeed."""
    return 0


@utility("false", usage="false\n\nReturn an exit code of FALSE (1)")
def false(u: Util, argv: list[str]) -> int:
    """false: fail."""
    return 1


@utility("yes", usage="yes [STRING]...\n\nRepeatedly output a line with STRING, or 'y'")
def yes(u: Util, argv: list[str]) -> int:
    """yes [STRING]...: print the line until the reader goes away (SIGPIPE)."""
    line = (" ".join(argv[1:]) if len(argv) > 1 else "y").encode("utf-8", "surrogateescape") + b"\n"
    block = line * max(1, 8192 // len(line))
    out = u.out.file
    while True:
        u.check()
        out.write(block)


def echo_bytes(args: list[str]) -> bytes:
    """What ``echo ARGS`` prints (busybox: leading words made of n, e, E letters are options)."""
    newline = True
    interpret = False
    i = 0
    while i < len(args):
        arg = args[i]
        if len(arg) < 2 or arg[0] != "-" or any(c not in "neE" for c in arg[1:]):
            break
        newline = newline and "n" not in arg
        interpret = interpret or "e" in arg
        i += 1
    data = " ".join(args[i:]).encode("utf-8", "surrogateescape")
    if interpret:
        data, stopped = expand(data, zero_prefix=True)
        if stopped:
            return data
    return data + b"\n" if newline else data


@utility("echo", usage="echo [-neE] [ARG]...\n\nPrint the specified ARGs to stdout")
def echo(u: Util, argv: list[str]) -> int:
    """echo [-neE] [ARG]..."""
    u.out.write(echo_bytes(argv[1:]))
    return 0


@utility("pwd", usage="pwd [-LP]\n\nPrint the full filename of the current working directory\n\n\t-L\tUse $PWD\n\t-P\tResolve symlinks (default)")
def pwd(u: Util, argv: list[str]) -> int:
    """pwd [-LP]: physical by default; ``-L`` prints $PWD when it names the working directory."""
    opts, _ = u.getopt(argv[1:], "LP")
    try:
        physical = u.fs.realpath(u.cwd)
    except OSError:
        physical = u.cwd
    path = physical
    if opts.last_of("LP") == "L":
        logical = u.env.get("PWD", "")
        if logical.startswith("/") and "/./" not in logical + "/" and "/../" not in logical + "/":
            try:
                a, b = u.stat(logical), u.stat(physical)
                if (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino):
                    path = logical
            except OSError:
                pass
    u.out.write(path.encode("utf-8", "surrogateescape") + b"\n")
    return 0


_DURATION = re.compile(r"(\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?([smhd]?)")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """Seconds for ``1.5``, ``2m``, ``1h``, ``inf`` (``ValueError`` otherwise)."""
    if text.lower() in ("inf", "infinity"):
        return math.inf
    m = _DURATION.fullmatch(text)
    if m is None:
        raise ValueError(text)
    return float(text[: m.start(2)]) * _UNITS[m.group(2)]


@utility("sleep", usage="sleep [N]...\n\nPause for a time equal to the total of the args given, where each arg can\nhave an optional suffix of (s)econds, (m)inutes, (h)ours, or (d)ays")
def sleep(u: Util, argv: list[str]) -> int:
    """sleep N[smhd]...: the total of the durations, interruptible by signals."""
    args = argv[1:]  # busybox's sleep takes no options: "-1" (or "--") is a bad number
    if not args:
        u.usage_error()
    total = 0.0
    for arg in args:
        try:
            total += parse_duration(arg)
        except ValueError:
            u.fail(f"invalid number '{arg}'")
    _sleep(u, total)
    return 0


def _sleep(u: Util, seconds: float) -> None:
    if math.isinf(seconds):
        while True:
            u.proc.sleep(86400)
    u.proc.sleep(seconds)


@utility("usleep", usage="usleep N\n\nPause for N microseconds")
def usleep(u: Util, argv: list[str]) -> int:
    """usleep N: sleep N microseconds."""
    _, args = u.getopt(argv[1:], "")
    if len(args) != 1:
        u.usage_error()
    if not args[0].isdigit():
        u.fail(f"invalid number '{args[0]}'")
    _sleep(u, int(args[0]) / 1e6)
    return 0


@utility("sync", usage="sync [-d] [FILE]...\n\nWrite all buffered blocks to disk")
def sync(u: Util, argv: list[str]) -> int:
    """sync: the sandbox writes through the host kernel; nothing is held back here."""
    u.getopt(argv[1:], "df")
    return 0


def base_name(path: str, suffix: str = "") -> str:
    """The last component of ``path`` (``/`` for the root), without ``suffix``."""
    stripped = path.rstrip("/")
    if not stripped:
        return "/" if path else ""
    name = stripped.rsplit("/", 1)[-1]
    if suffix and name != suffix and name.endswith(suffix):
        name = name[: -len(suffix)]
    return name


def dir_name(path: str) -> str:
    """``dirname``: everything before the last component (``.`` when there is none)."""
    stripped = path.rstrip("/")
    if not stripped:
        return "/" if path.startswith("/") else "."
    if "/" not in stripped:
        return "."
    head = stripped.rsplit("/", 1)[0]
    if not head:
        return "/"
    trimmed = head.rstrip("/")
    if trimmed:
        return trimmed
    return "//" if path.startswith("//") and not path.startswith("///") else "/"


@utility("basename", usage="basename FILE [SUFFIX] | -a FILE... | -s SUFFIX FILE...\n\nStrip directory path and SUFFIX from FILE\n\n\t-a\t\tAll arguments are FILEs\n\t-s SUFFIX\tRemove SUFFIX (implies -a)")
def basename(u: Util, argv: list[str]) -> int:
    """basename FILE [SUFFIX] | -a FILE... | -s SUFFIX FILE..."""
    opts, args = u.getopt(argv[1:], "+as:")
    suffix = opts.get("s", "") or ""
    every = "a" in opts or "s" in opts
    if not args or (not every and len(args) > 2):
        u.usage_error()
    if not every:
        suffix = args[1] if len(args) == 2 else ""
        args = args[:1]
    for arg in args:
        u.out.write(base_name(arg, suffix).encode("utf-8", "surrogateescape") + b"\n")
    return 0


@utility("dirname", usage="dirname FILENAME\n\nStrip non-directory suffix from FILENAME")
def dirname(u: Util, argv: list[str]) -> int:
    """dirname FILENAME."""
    _, args = u.getopt(argv[1:], "")
    if len(args) != 1:
        u.usage_error()
    u.out.write(dir_name(args[0]).encode("utf-8", "surrogateescape") + b"\n")
    return 0


_SEQ_NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _seq_integers(u: Util, first: int, inc: int, last: int, sep: bytes) -> int:
    """seq over whole numbers, written a few thousand at a time."""
    numbers = range(first, last + (1 if inc > 0 else -1), inc)
    if not numbers:
        return 0
    step = 4096
    for start in range(0, len(numbers), step):
        chunk = numbers[start:start + step]
        if start:
            u.out.write(sep)
        u.out.write(sep.join([b"%d" % v for v in chunk]))
        u.check()
    u.out.write(b"\n")
    return 0


@utility("seq", usage="seq [-w] [-s SEP] [FIRST [INC]] LAST\n\nPrint numbers from FIRST to LAST, in steps of INC.\nFIRST, INC default to 1.\n\n\t-w\tPad to last with leading zeros\n\t-s SEP\tString separator")
def seq(u: Util, argv: list[str]) -> int:
    """seq [-w] [-s SEP] [FIRST [INC]] LAST."""
    opts, args = u.getopt(argv[1:], "+ws:")  # stops at the first number, so that "seq 5 -2 1" works
    if not 1 <= len(args) <= 3:
        u.usage_error()
    texts = ["1", "1"] if len(args) == 1 else [args[0], "1"] if len(args) == 2 else [args[0], args[1]]
    texts.append(args[-1])
    values = []
    for text in texts:
        if _SEQ_NUMBER.fullmatch(text) is None:
            u.usage_error()
        values.append(float(text))
    first, inc, last = values
    # as many decimals as FIRST or INC is written with
    decimals = max((len(t.split(".", 1)[1]) if "." in t else 0) for t in texts[:2])
    sep = (opts.get("s") if "s" in opts else "\n").encode("utf-8", "surrogateescape")
    width = 0
    if "w" in opts:
        width = max(len(f"{first:.{decimals}f}"), len(f"{last:.{decimals}f}"))
    if not decimals and not width and inc and all(v.is_integer() and abs(v) < 2 ** 53 for v in values):
        return _seq_integers(u, int(first), int(inc), int(last), sep)
    n = 0
    started = False
    while True:
        value = first + n * inc
        if (inc >= 0 and value > last) or (inc < 0 and value < last):
            break
        if started:
            u.out.write(sep)
        text = f"{value:0{width}.{decimals}f}" if width else f"{value:.{decimals}f}"
        u.out.write(text.encode("utf-8", "surrogateescape"))
        started = True
        n += 1
        if n % 4096 == 0:
            u.check()
    if started:
        u.out.write(b"\n")
    return 0
