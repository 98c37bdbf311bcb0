"""sort: ordering lines by keys (POSIX key fields, numeric, general, human, month, version)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ..sandbox.files import OpenFile
from .common import Util, read_records, strerror, utility

_USAGE = """sort [-nrugMcszbdfiokthV] [-o FILE] [-k START[.OFS][OPTS][,END[.OFS][OPTS]] [-t CHAR] [FILE]...

Sort lines of text

\t-o FILE\tOutput to FILE
\t-c\tCheck whether input is sorted
\t-b\tIgnore leading blanks
\t-f\tIgnore case
\t-i\tIgnore unprintable characters
\t-d\tDictionary order (blank or alphanumeric only)
\t-n\tSort numbers
\t-g\tGeneral numerical sort
\t-h\tSort human readable numbers (2K 1G)
\t-M\tSort month
\t-V\tSort version
\t-t CHAR\tField separator
\t-k N[,M] Sort by Nth field
\t-r\tReverse sort order
\t-s\tStable (don't sort ties alphabetically)
\t-u\tSuppress duplicate lines
\t-z\tNUL terminated input and output"""

_ORDER_FLAGS = "bdfgiMnhrV"
_NUMBER = re.compile(rb"[ \t]*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")
_HUMAN = re.compile(rb"[ \t]*([+-]?(?:\d+\.?\d*|\.\d+))([KMGTPEZY]?)", re.I)
_MONTHS = {m: i for i, m in enumerate([b"JAN", b"FEB", b"MAR", b"APR", b"MAY", b"JUN", b"JUL", b"AUG", b"SEP", b"OCT", b"NOV", b"DEC"], 1)}
_PRINTABLE = bytes(range(0x20, 0x7F))
_DICT = bytes(c for c in range(256) if chr(c).isalnum() and c < 0x80) + b" \t"
_NOT_PRINTABLE = bytes(c for c in range(256) if c not in _PRINTABLE)
_NOT_DICT = bytes(c for c in range(256) if c not in _DICT)


@dataclass(frozen=True)
class Key:
    """One ``-k`` specification (fields and characters are 1-based; end_char 0 = end of field)."""

    start_field: int = 1
    start_char: int = 1
    end_field: int | None = None
    end_char: int = 0
    flags: str = ""
    start_blanks: bool = False
    end_blanks: bool = False


class _Reversed:
    """Inverts the order of a key part (``-r`` on one key only)."""

    __slots__ = ("value",)

    def __init__(self, value) -> None:
        self.value = value

    def __lt__(self, other: _Reversed) -> bool:
        return other.value < self.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and self.value == other.value


def parse_key(text: str) -> Key:
    """``F[.C][OPTS][,F[.C][OPTS]]`` (``ValueError`` when malformed)."""
    m = re.fullmatch(r"(\d+)(?:\.(\d+))?([a-zA-Z]*)(?:,(\d+)(?:\.(\d+))?([a-zA-Z]*))?", text)
    if m is None:
        raise ValueError(text)
    start_field = int(m.group(1))
    start_char = int(m.group(2)) if m.group(2) else 1
    if start_field < 1 or start_char < 1:
        raise ValueError(text)
    flags1, flags2 = m.group(3), m.group(6) or ""
    for flag in flags1 + flags2:
        if flag not in _ORDER_FLAGS:
            raise ValueError(text)
    end_field = int(m.group(4)) if m.group(4) else None
    if end_field is not None and end_field < 1:
        raise ValueError(text)
    return Key(
        start_field, start_char, end_field, int(m.group(5)) if m.group(5) else 0,
        "".join(sorted(set(flags1 + flags2) - {"b"})) + ("b" if "b" in flags1 + flags2 else ""),
        "b" in flags1, "b" in flags2,
    )


def _field_bounds(line: bytes, sep: bytes | None) -> list[tuple[int, int]]:
    """(start, end) of each field: split on ``sep``, or blank-to-nonblank transitions (blanks lead)."""
    if sep is not None:
        bounds = []
        pos = 0
        while True:
            idx = line.find(sep, pos)
            if idx < 0:
                bounds.append((pos, len(line)))
                return bounds
            bounds.append((pos, idx))
            pos = idx + 1
    bounds = []
    pos, n = 0, len(line)
    while pos < n or not bounds:
        start = pos
        while pos < n and line[pos] in b" \t":
            pos += 1
        while pos < n and line[pos] not in b" \t":
            pos += 1
        bounds.append((start, pos))
        if pos >= n:
            break
    return bounds


def _skip_blanks(line: bytes, pos: int, end: int) -> int:
    while pos < end and line[pos] in b" \t":
        pos += 1
    return pos


def extract(line: bytes, key: Key, sep: bytes | None) -> bytes:
    """The part of ``line`` that ``key`` selects."""
    bounds = _field_bounds(line, sep)
    if key.start_field > len(bounds):
        return b""
    fstart, fend = bounds[key.start_field - 1]
    if key.start_blanks:
        fstart = _skip_blanks(line, fstart, fend)
    start = min(fstart + key.start_char - 1, fend if key.end_field is None else len(line))
    if key.end_field is None or key.end_field > len(bounds):
        end = len(line)
    else:
        estart, eend = bounds[key.end_field - 1]
        if key.end_char == 0:
            end = eend
        else:
            if key.end_blanks:
                estart = _skip_blanks(line, estart, eend)
            end = min(estart + key.end_char, eend)
    return line[start:end] if end > start else b""


def _strtod(text: bytes) -> float | None:
    m = _NUMBER.match(text)
    return float(m.group(1)) if m else None


def _version_key(text: bytes) -> tuple:
    parts = re.findall(rb"\d+|\D+", text)
    return tuple((0, int(p), b"") if p[:1].isdigit() else (1, 0, p) for p in parts)


def transform(value: bytes, flags: str):
    """The comparable form of a key according to its ordering flags."""
    if "b" in flags:
        value = value.lstrip(b" \t")
    if "d" in flags:
        value = value.translate(None, _NOT_DICT)
    if "i" in flags:
        value = value.translate(None, _NOT_PRINTABLE)
    if "f" in flags:
        value = value.upper()
    if "n" in flags:
        number = _strtod(value)
        return number if number is not None else 0.0
    if "g" in flags:
        number = _strtod(value)
        return (0, 0.0) if number is None else (1, number)
    if "h" in flags:
        m = _HUMAN.match(value)
        if m is None:
            return (0, 0.0)
        return (" KMGTPEZY".index(m.group(2).upper().decode() or " "), float(m.group(1)))
    if "M" in flags:
        return _MONTHS.get(value.lstrip(b" \t")[:3].upper(), 0)
    if "V" in flags:
        return _version_key(value)
    return value


def _sort_keys(keys: list[Key], global_flags: str, sep: bytes | None, stable: bool):
    """A function from a line to its tuple of comparable key parts."""

    def key_of(line: bytes) -> tuple:
        parts = []
        for key in keys:
            value = transform(extract(line, key, sep), key.flags)
            parts.append(_Reversed(value) if "r" in key.flags else value)
        if not keys:
            value = transform(line, global_flags)
            parts.append(_Reversed(value) if "r" in global_flags else value)
        if not stable and (keys or global_flags.strip("r")):
            parts.append(_Reversed(line) if "r" in global_flags else line)
        return tuple(parts)

    return key_of


@utility("sort", usage=_USAGE)
def sort(u: Util, argv: list[str]) -> int:
    """sort [-bcdfghiMnrsuVz] [-k KEY]... [-t CHAR] [-o FILE] [FILE]..."""
    opts, files = u.getopt(argv[1:], "nrugMcszbdfiohmVk:t:o:TS:", {  # -m: busybox sorts merged input like any other

        "numeric-sort": "n", "reverse": "r", "unique": "u", "general-numeric-sort": "g", "month-sort": "M",
        "check": "c", "stable": "s", "zero-terminated": "z", "ignore-leading-blanks": "b", "dictionary-order": "d",
        "ignore-case": "f", "ignore-nonprinting": "i", "human-numeric-sort": "h", "version-sort": "V",
        "key=": "k", "field-separator=": "t", "output=": "o", "merge": "m",
    })
    global_flags = "".join(f for f in _ORDER_FLAGS if f in opts)
    sep = None
    if "t" in opts:
        text = (opts.get("t") or "").encode("utf-8", "surrogateescape")
        if len(text) != 1:
            u.fail("bad -t parameter", 2)
        sep = text
    keys = []
    for spec in opts.all("k"):
        try:
            key = parse_key(spec)
        except ValueError:
            u.fail("bad field specification", 2)
        own = key.flags.replace("b", "") or key.start_blanks or key.end_blanks
        if not own:  # a key with no ordering options of its own inherits the global ones
            key = replace(key, flags=global_flags, start_blanks="b" in global_flags, end_blanks="b" in global_flags)
        keys.append(key)
    record_sep = b"\0" if "z" in opts else b"\n"
    lines: list[bytes] = []

    def each(name: str, file: OpenFile) -> None:
        lines.extend(read_records(file, record_sep))

    for path in files or ["-"]:
        try:
            file = u.proc.stdin if path == "-" else u.open(path)
        except OSError as exc:
            u.fail(f"{path}: {strerror(exc)}", 2)
        try:
            each(path, file)
        except OSError as exc:
            u.fail(f"read error: {strerror(exc)}", 2)
        finally:
            if path != "-":
                file.release()
    stable = "s" in opts
    unique = "u" in opts
    full_key = _sort_keys(keys, global_flags, sep, stable)
    key_only = _sort_keys(keys, global_flags, sep, True) if unique else full_key
    if "c" in opts:
        previous = None
        for index, line in enumerate(lines):
            current = key_only(line) if unique else full_key(line)
            if previous is not None and (current < previous or (unique and not previous < current)):
                _plain(u, f"Check line {index}")
                return 1
            previous = current
        return 0
    if not keys and not global_flags.strip("r"):  # whole lines, byte order: no keys to build
        lines.sort(reverse="r" in global_flags)
        if unique:
            lines = [line for i, line in enumerate(lines) if not i or line != lines[i - 1]]
        return _write_sorted(u, opts, b"".join(line + record_sep for line in lines))
    decorated = [(full_key(line), line) for line in lines]
    decorated.sort(key=lambda item: item[0])
    if unique:
        # busybox sorts completely, then keeps the first of each run of equal keys
        kept: list[tuple[tuple, bytes]] = []
        last = None
        for item in decorated:
            key = key_only(item[1])
            if last is None or last < key or key < last:
                kept.append(item)
                last = key
        decorated = kept
    return _write_sorted(u, opts, b"".join(line + record_sep for _, line in decorated))


def _write_sorted(u: Util, opts, output: bytes) -> int:
    """Write the result to ``-o FILE`` (opened only now: it may be an input) or stdout."""
    if "o" in opts:
        path = opts.get("o") or ""
        try:
            file = u.create(path)
        except OSError as exc:
            u.fail(f"can't open '{path}': {strerror(exc)}", 2)
        try:
            file.write(output)
        finally:
            file.release()
        return 0
    u.out.write(output)
    return 0


def _plain(u: Util, message: str) -> None:
    """A message without the ``sort:`` prefix (busybox's ``-c`` report)."""
    try:
        u.proc.stderr.write(message.encode() + b"\n")
    except OSError:
        pass
