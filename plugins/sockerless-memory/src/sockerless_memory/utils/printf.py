"""printf: C-style formatting of arguments (also the shell's ``printf`` builtin)."""

from __future__ import annotations

import re
from collections.abc import Callable

from .common import Util, utility
from .escapes import expand

_SPEC = re.compile(rb"%([-+ #0']*)(\*|\d+)?(?:\.(\*|\d*))?(hh|ll|[hlLjzt])?(.?)", re.S)
_INT_RE = re.compile(rb"[ \t\n\r\f\v]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)")
_FLOAT_RE = re.compile(
    rb"[ \t\n\r\f\v]*[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|0[xX][0-9a-fA-F.]+(?:[pP][+-]?\d+)?|inf(?:inity)?|nan)",
    re.I,
)
_I64 = 1 << 63


class _Args:
    """The argument list with the conversion errors it produced."""

    def __init__(self, values: list[bytes], report: Callable[[str], None]) -> None:
        self.values = values
        self.pos = 0
        self.report = report
        self.failed = False

    def next(self) -> bytes | None:
        if self.pos < len(self.values):
            self.pos += 1
            return self.values[self.pos - 1]
        return None

    def _bad(self, text: bytes) -> None:
        self.report(f"invalid number '{text.decode('utf-8', 'surrogateescape')}'")
        self.failed = True

    def integer(self, *, unsigned: bool = False) -> int:
        text = self.next()
        text = b"" if text is None else text
        if text[:1] in (b"'", b'"'):
            return text[1] if len(text) > 1 else 0
        m = _INT_RE.fullmatch(text)
        if m is None:
            self._bad(text)
            return 0
        digits = m.group(2)
        if digits[:2] in (b"0x", b"0X"):
            value = int(digits[2:], 16)
        else:
            value = int(digits, 8 if digits.startswith(b"0") else 10)
        if m.group(1) == b"-":
            value = -value
        if unsigned:
            if value >= 1 << 64 or value < -(1 << 64):
                self._bad(text)
                return 0
            return value & ((1 << 64) - 1)
        if not -_I64 <= value < _I64:
            self._bad(text)
            return 0
        return value

    def number(self) -> float:
        text = self.next()
        text = b"" if text is None else text
        if text[:1] in (b"'", b'"'):
            return float(text[1]) if len(text) > 1 else 0.0
        m = _FLOAT_RE.fullmatch(text)
        if m is None:
            self._bad(text)
            return 0.0
        body = text.strip()
        try:
            if b"x" in body.lower():
                return float.fromhex(body.decode())
            return float(body)
        except ValueError:
            self._bad(text)
            return 0.0


def _pad(data: bytes, flags: bytes, width: int | None) -> bytes:
    if width is None or len(data) >= width:
        return data
    fill = b" " * (width - len(data))
    return data + fill if b"-" in flags else fill + data


def _star(args: _Args, value: bytes | None) -> int | None:
    if value is None:
        return None
    if value == b"*":
        return args.integer()
    return int(value) if value else 0


def render(fmt: bytes, args: _Args, out: bytearray) -> tuple[bool, str | None]:
    """Render ``fmt`` once, consuming arguments; returns (stopped by ``\\c``, invalid-format text)."""
    i, n = 0, len(fmt)
    while i < n:
        pct = fmt.find(b"%", i)
        bs = fmt.find(b"\\", i)
        if pct < 0 and bs < 0:
            out += fmt[i:]
            return False, None
        if bs >= 0 and (pct < 0 or bs < pct):
            out += fmt[i:bs]
            # one escape at a time: an octal run never swallows a following '%'
            m = re.match(rb"\\(?:[0-7]{1,3}|x[0-9a-fA-F]{1,2}|.)", fmt[bs:], re.S)
            piece = m.group(0) if m else b"\\"
            data, stopped = expand(piece, zero_prefix=False)
            out += data
            if stopped:
                return True, None
            i = bs + len(piece)
            continue
        out += fmt[i:pct]
        m = _SPEC.match(fmt, pct)
        assert m is not None
        flags, width_s, prec_s, _length, conv = m.groups()
        i = m.end()
        if conv == b"%" and not (flags or width_s or prec_s is not None):
            out += b"%"
            continue
        width = _star(args, width_s)
        if width is not None and width < 0:
            flags += b"-"
            width = -width
        precision = _star(args, prec_s)
        if conv == b"s":
            text = args.next() or b""
            out += _pad(text if precision is None else text[:precision], flags, width)
        elif conv == b"b" and width_s is None and prec_s is None:
            data, stopped = expand(args.next() or b"", zero_prefix=True)
            out += data
            if stopped:
                return True, None
        elif conv == b"c":
            text = args.next()
            out += _pad(text[:1] if text else b"\0", flags, width)
        elif conv in (b"d", b"i", b"u", b"o", b"x", b"X"):
            value = args.integer(unsigned=conv not in (b"d", b"i"))
            out += _format_int(flags, width, precision, conv, value)
        elif conv in (b"e", b"E", b"f", b"F", b"g", b"G"):
            spec = b"%" + flags.replace(b"'", b"") + (b"%d" % width if width is not None else b"")
            spec += b".%d" % precision if precision is not None else b""
            out += (spec + conv) % args.number()
        else:
            return False, "%" + fmt[pct + 1:].decode("utf-8", "surrogateescape").replace(
                (_length or b"").decode(), "", 1
            )
    return False, None


def _format_int(flags: bytes, width: int | None, precision: int | None, conv: bytes, value: int) -> bytes:
    flags = flags.replace(b"'", b"")
    alternate = b"#" in flags
    flags = flags.replace(b"#", b"")
    if conv == b"o" and alternate:
        digits = b"%o" % value
        if not digits.startswith(b"0"):
            digits = b"0" + digits
        if precision is not None and len(digits) < precision:
            digits = digits.rjust(precision, b"0")
        spec = b"%" + flags.replace(b"+", b"").replace(b" ", b"") + (b"%d" % width if width is not None else b"") + b"s"
        if b"0" in flags and b"-" not in flags and width:
            return digits.rjust(width, b"0")
        return spec % digits
    if alternate and value != 0 and conv in (b"x", b"X"):
        flags += b"#"
    pyconv = b"d" if conv in (b"i", b"u") else conv
    spec = b"%" + flags + (b"%d" % width if width is not None else b"")
    spec += b".%d" % precision if precision is not None else b""
    if precision is not None:
        spec = spec.replace(b"0", b"", 1) if spec[1:2] == b"0" else spec  # C ignores 0 with a precision
    return (spec + pyconv) % value


def format_all(fmt: bytes, values: list[bytes], report: Callable[[str], None]) -> tuple[bytes, int]:
    """Apply ``fmt`` repeatedly until the arguments are used up; returns (output, status)."""
    args = _Args(values, report)
    out = bytearray()
    while True:
        before = args.pos
        stopped, invalid = render(fmt, args, out)
        if invalid is not None:
            report(f"{invalid}: invalid format")
            return bytes(out), 1
        if stopped or args.pos >= len(values) or args.pos == before:
            break
    return bytes(out), 1 if args.failed else 0


@utility("printf", usage="printf FORMAT [ARG]...\n\nFormat and print ARG(s) according to FORMAT (a-la C printf)")
def printf(u: Util, argv: list[str]) -> int:
    """printf FORMAT [ARG]..."""
    args = argv[1:]
    if args and args[0] == "--":
        args = args[1:]
    if not args:
        if u.builtin:  # as ash's builtin (and bash)
            u.fail("usage: printf FORMAT [ARGUMENT...]", 2)
        u.usage_error()
    values = [a.encode("utf-8", "surrogateescape") for a in args]
    data, status = format_all(values[0], values[1:], u.error)
    u.out.write(data)
    return status
