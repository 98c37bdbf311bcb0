"""sed: the stream editor (POSIX commands plus the GNU ones busybox scripts use).

A script is parsed into a flat list of commands; ``{`` jumps past its block when its
address does not select the line, and branches are resolved to indices. Each command
keeps its own range state. The pattern space is bytes without its newline; whether the
last input line had one is remembered, so output ends as the input did.
"""

from __future__ import annotations

import os
import stat as stat_mod
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..sandbox.files import OpenFile
from .common import CHUNK, Exit, Util, iter_lines, strerror, utility
from .regex import Regex, RegexError, compile_regex

_USAGE = """sed [-i[SFX]] [-nrEs] [-f FILE]... [-e CMD]... [FILE]...
or: sed [-i[SFX]] [-nrEs] CMD [FILE]...

\t-e CMD\tAdd CMD to sed commands to be executed
\t-f FILE\tAdd FILE contents to sed commands to be executed
\t-i[SFX]\tEdit files in-place (otherwise write to stdout)
\t\tOptionally back files up, appending SFX
\t-n\tSuppress automatic printing of pattern space
\t-r,-E\tUse extended regex syntax
\t-s\tTreat files separately

If no -e or -f, the first non-option argument is the sed command string.
Remaining arguments are input files (stdin if none)."""


class SedError(Exception):
    """A script error; the message follows ``sed: ``."""


@dataclass
class Address:
    """One address: a line number, ``$``, a regex (``None`` = the last one used), ``first~step`` or ``+N``."""

    kind: str  # "line", "last", "regex", "step", "relative", "zero"
    number: int = 0
    step: int = 0
    regex: Regex | None = None


@dataclass
class Command:
    """A parsed command with its addresses and arguments."""

    name: str
    addr1: Address | None = None
    addr2: Address | None = None
    negate: bool = False
    text: bytes = b""  # a/i/c text, label, file name
    target: int = -1  # branch target, or the index after a block's end
    regex: Regex | None = None
    empty_regex: bool = False
    replacement: list[bytes | int] = field(default_factory=list)
    global_: bool = False
    occurrence: int = 1
    print_: int = 0
    write: str | None = None
    table: bytes = b""
    number: int | None = None
    active: bool = False
    range_end: int = 0


class _Parser:
    def __init__(self, script: bytes, extended: bool) -> None:
        self.s = script
        self.i = 0
        self.extended = extended
        self.commands: list[Command] = []
        self.blocks: list[int] = []
        self.labels: dict[bytes, int] = {}

    def peek(self) -> bytes:
        return self.s[self.i:self.i + 1]

    def skip_space(self) -> None:
        while self.i < len(self.s) and self.s[self.i] in b" \t":
            self.i += 1

    def number(self) -> int:
        start = self.i
        while self.i < len(self.s) and self.s[self.i:self.i + 1].isdigit():
            self.i += 1
        return int(self.s[start:self.i])

    def delimited(self, delim: int, *, regex: bool) -> bytes:
        """Text up to an unescaped ``delim``; ``\\delim`` becomes the delimiter itself."""
        out = bytearray()
        s = self.s
        while True:
            if self.i >= len(s):
                raise SedError(f"unmatched '{chr(delim)}'")
            c = s[self.i]
            if c == 0x5C and self.i + 1 < len(s):
                nxt = s[self.i + 1]
                if nxt == delim:
                    out.append(delim)
                elif nxt == 0x0A and not regex:
                    out.append(0x0A)
                else:
                    out += s[self.i:self.i + 2]
                self.i += 2
                continue
            if c == delim:
                self.i += 1
                return bytes(out)
            if regex and c == 0x5B:  # a bracket expression may hold the delimiter
                end = self._bracket_end(self.i)
                out += s[self.i:end]
                self.i = end
                continue
            if c == 0x0A and regex:
                raise SedError(f"unmatched '{chr(delim)}'")
            out.append(c)
            self.i += 1

    def _bracket_end(self, i: int) -> int:
        s = self.s
        j = i + 1
        if j < len(s) and s[j] == 0x5E:
            j += 1
        if j < len(s) and s[j] == 0x5D:
            j += 1
        while j < len(s):
            if s[j] == 0x5B and j + 1 < len(s) and s[j + 1] in b":=.":
                close = s.find(bytes([s[j + 1], 0x5D]), j + 2)
                if close < 0:
                    break
                j = close + 2
                continue
            if s[j] == 0x5D:
                return j + 1
            j += 1
        raise SedError(f"unmatched '{chr(s[i - 1]) if i else '/'}'")

    def compile(self, pattern: bytes, icase: bool = False) -> Regex | None:
        if not pattern:
            return None
        try:
            return compile_regex(pattern, extended=self.extended, icase=icase, sed_escapes=True)
        except RegexError as exc:
            raise SedError(f"bad regex '{pattern.decode('utf-8', 'surrogateescape')}': {exc}") from None

    def address(self) -> Address | None:
        c = self.peek()
        if c.isdigit():
            n = self.number()
            if self.peek() == b"~":
                self.i += 1
                step = self.number() if self.peek().isdigit() else 0
                return Address("step", n, step)
            return Address("zero" if n == 0 else "line", n)
        if c == b"$":
            self.i += 1
            return Address("last")
        if c in (b"/", b"\\"):
            if c == b"\\":
                self.i += 1
                if self.i >= len(self.s):
                    raise SedError("unexpected end of script")
            delim = self.s[self.i]
            self.i += 1
            pattern = self.delimited(delim, regex=True)
            icase = False
            while self.peek() in (b"I",):
                icase = True
                self.i += 1
            return Address("regex", regex=self.compile(pattern, icase))
        return None

    def text_argument(self) -> bytes:
        """``a``/``i``/``c`` text: one-liner or backslash-newline continued lines."""
        s = self.s
        self.skip_space()
        if self.s[self.i:self.i + 1] == b"\\":
            self.i += 1
            if self.s[self.i:self.i + 1] == b"\n":
                self.i += 1
        out = bytearray()
        while self.i < len(s):
            c = s[self.i]
            if c == 0x5C and self.i + 1 < len(s):
                out.append(s[self.i + 1])
                self.i += 2
                continue
            if c == 0x5C:
                self.i += 1
                continue
            if c == 0x0A:
                self.i += 1
                break
            out.append(c)
            self.i += 1
        return bytes(out)

    def rest_of_line(self) -> bytes:
        self.skip_space()
        end = self.s.find(b"\n", self.i)
        end = len(self.s) if end < 0 else end
        text = self.s[self.i:end]
        self.i = end
        return text

    def label(self) -> bytes:
        self.skip_space()
        start = self.i
        while self.i < len(self.s) and self.s[self.i] not in b"\n;}":
            self.i += 1
        return self.s[start:self.i].rstrip(b" \t")

    def end_of_command(self) -> None:
        self.skip_space()
        c = self.peek()
        if c in (b"", b"\n", b";"):
            if c:
                self.i += 1
            return
        if c in (b"}", b"#"):
            return
        raise SedError(f"extra characters after command: {c.decode('latin-1')}")

    def parse(self) -> list[Command]:
        s = self.s
        while True:
            while self.i < len(s) and s[self.i] in b" \t\n;":
                self.i += 1
            if self.i >= len(s):
                break
            if s[self.i] == 0x23:  # comment
                end = s.find(b"\n", self.i)
                self.i = len(s) if end < 0 else end
                continue
            cmd = Command("")
            cmd.addr1 = self.address()
            if cmd.addr1 is not None:
                self.skip_space()
                if self.peek() == b",":
                    self.i += 1
                    self.skip_space()
                    if self.peek() == b"+":
                        self.i += 1
                        cmd.addr2 = Address("relative", self.number())
                    elif self.peek() == b"~":
                        self.i += 1
                        cmd.addr2 = Address("multiple", self.number())
                    else:
                        cmd.addr2 = self.address()
                        if cmd.addr2 is None:
                            raise SedError("unexpected ','")
                        if cmd.addr2.kind in ("zero", "step"):
                            raise SedError("invalid usage of line address 0")
                if cmd.addr1.kind == "zero" and (cmd.addr2 is None or cmd.addr2.kind != "regex"):
                    raise SedError("invalid usage of line address 0")
            self.skip_space()
            while self.peek() == b"!":
                cmd.negate = True
                self.i += 1
                self.skip_space()
            if self.i >= len(s):
                raise SedError("missing command")
            name = chr(s[self.i])
            self.i += 1
            cmd.name = name
            self.command(cmd)
        if self.blocks:
            raise SedError("unmatched '{'")
        for cmd in self.commands:
            if cmd.name in "btT":
                if cmd.text:
                    if cmd.text not in self.labels:
                        raise SedError(f"can't find label for jump to '{cmd.text.decode('latin-1')}'")
                    cmd.target = self.labels[cmd.text]
                else:
                    cmd.target = len(self.commands)
        return self.commands

    def command(self, cmd: Command) -> None:
        name = cmd.name
        if name == "{":
            self.blocks.append(len(self.commands))
            self.commands.append(cmd)
            return
        if name == "}":
            if cmd.addr1 is not None:
                raise SedError("} doesn't want any addresses")
            if not self.blocks:
                raise SedError("unexpected '}'")
            self.commands[self.blocks.pop()].target = len(self.commands) + 1
            self.commands.append(cmd)
            self.end_of_command()
            return
        if name == ":":
            if cmd.addr1 is not None:
                raise SedError(": doesn't want any addresses")
            label = self.label()
            if not label:
                raise SedError("\":\" lacks a label")
            self.labels[label] = len(self.commands)
            if self.peek() == b";":
                self.i += 1
            return
        if name in "aic":
            cmd.text = self.text_argument()
        elif name in "btT":
            cmd.text = self.label()
            if self.peek() == b";":
                self.i += 1
        elif name in "rRwW":
            cmd.text = self.rest_of_line()
            if name in "wW":
                cmd.write = cmd.text.decode("utf-8", "surrogateescape")
        elif name in "qQlL":
            self.skip_space()
            if self.peek().isdigit():
                cmd.number = self.number()
            self.end_of_command()
        elif name == "s":
            self.substitute(cmd)
        elif name == "y":
            self.transliterate(cmd)
        elif name in "=dDgGhHnNpPxz":
            self.end_of_command()
        else:
            raise SedError(f"unsupported command {name}")
        self.commands.append(cmd)

    def substitute(self, cmd: Command) -> None:
        if self.i >= len(self.s):
            raise SedError("unmatched 's'")
        delim = self.s[self.i]
        self.i += 1
        pattern = self.delimited(delim, regex=True)
        replacement = self.delimited(delim, regex=False)
        icase = False
        while self.i < len(self.s):
            c = chr(self.s[self.i])
            if c == "g":
                cmd.global_ = True
            elif c == "p":
                cmd.print_ += 1
            elif c in "iI":
                icase = True
            elif c.isdigit():
                cmd.occurrence = self.number()
                if cmd.occurrence == 0:
                    raise SedError("number option to `s' command may not be zero")
                continue
            elif c == "w":
                self.i += 1
                cmd.write = self.rest_of_line().decode("utf-8", "surrogateescape")
                break
            elif c in "mMe":
                pass
            else:
                break
            self.i += 1
        self.end_of_command()
        cmd.regex = self.compile(pattern, icase)
        cmd.empty_regex = not pattern
        cmd.replacement = _parse_replacement(replacement)

    def transliterate(self, cmd: Command) -> None:
        delim = self.s[self.i]
        self.i += 1
        src = _unescape_y(self.delimited(delim, regex=False))
        dst = _unescape_y(self.delimited(delim, regex=False))
        table = bytearray(range(256))
        for a, b in zip(src, dst, strict=False):  # busybox pairs up what both strings have
            table[a] = b
        cmd.table = bytes(table)
        self.end_of_command()


def _unescape_y(text: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(text):
        if text[i] == 0x5C and i + 1 < len(text):
            nxt = text[i + 1]
            out.append({ord("n"): 10, ord("t"): 9, ord("\\"): 0x5C}.get(nxt, nxt))
            i += 2
            continue
        out.append(text[i])
        i += 1
    return bytes(out)


def _parse_replacement(text: bytes) -> list[bytes | int]:
    """Literal pieces and group numbers (0 for ``&``)."""
    parts: list[bytes | int] = []
    buf = bytearray()
    i = 0
    while i < len(text):
        c = text[i]
        if c == 0x26:  # &
            parts.append(bytes(buf))
            buf.clear()
            parts.append(0)
            i += 1
            continue
        if c == 0x5C and i + 1 < len(text):
            nxt = text[i + 1]
            i += 2
            if 0x30 <= nxt <= 0x39:
                parts.append(bytes(buf))
                buf.clear()
                parts.append(nxt - 0x30)
            elif nxt == ord("n"):
                buf.append(0x0A)
            elif nxt == ord("t"):
                buf.append(0x09)
            else:
                buf.append(nxt)
            continue
        buf.append(c)
        i += 1
    parts.append(bytes(buf))
    return [p for p in parts if p != b""]


class _Input:
    """The input lines with one line of look-ahead (to know the last line)."""

    def __init__(self, u: Util, paths: list[str]) -> None:
        self.u = u
        self.paths = list(paths)
        self.current: Iterator[bytes] | None = None
        self.file: OpenFile | None = None
        self.pending: bytes | None = None
        self.line_number = 0
        self.name = ""

    def _next_raw(self) -> bytes | None:
        while True:
            if self.current is not None:
                line = next(self.current, None)
                if line is not None:
                    return line
                self._close()
            if self._next_raw_file() is None:
                return None

    def blocks(self) -> Iterator[tuple[list[bytes], bool]]:
        """The remaining input as lists of lines (without newlines), each with whether its last line had one."""
        while True:
            if self.current is None and self._next_raw_file() is None:
                return
            file = self.file
            assert file is not None
            pending = b""
            while chunk := file.read1(CHUNK):
                lines = (pending + chunk).split(b"\n") if pending else chunk.split(b"\n")
                pending = lines.pop()
                if lines:
                    yield lines, True
            if pending:
                yield [pending], False
            self._close()

    def _next_raw_file(self) -> OpenFile | None:
        """Open the next input file (``current`` is then its line iterator)."""
        while self.paths:
            path = self.paths.pop(0)
            try:
                self.file = self.u.proc.stdin if path == "-" else self.u.open(path)
                if path != "-" and self.u.is_dir(path):
                    raise OSError(21, "Is a directory")
            except OSError as exc:
                self.u.warn(f"{path}: {strerror(exc)}")
                self.file = None
                continue
            self.name = path
            self.current = iter_lines(self.file)
            return self.file
        return None

    def _close(self) -> None:
        if self.file is not None and self.name != "-":
            self.file.release()
        self.file = None
        self.current = None

    def next(self) -> tuple[bytes, bool] | None:
        """The next line (without newline) and whether it had one."""
        raw = self.pending if self.pending is not None else self._next_raw()
        self.pending = None
        if raw is None:
            return None
        self.line_number += 1
        if raw.endswith(b"\n"):
            return raw[:-1], True
        return raw, False

    def is_last(self) -> bool:
        if self.pending is None:
            self.pending = self._next_raw()
        return self.pending is None


class _Writer:
    """An output with GNU sed's rule: a missing final newline is supplied if more output follows."""

    def __init__(self, write) -> None:
        self._write = write
        self.missing_newline = False

    def write(self, data: bytes, newline: bool = True) -> None:
        if self.missing_newline:
            self._write(b"\n")
            self.missing_newline = False
        self._write(data + (b"\n" if newline else b""))
        if not newline:
            self.missing_newline = True


class _Quit(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


class Sed:
    """One run of a script over an input stream."""

    def __init__(self, u: Util, commands: list[Command], quiet: bool) -> None:
        self.u = u
        self.commands = commands
        self.quiet = quiet
        self.hold = b""
        self.last_regex: Regex | None = None
        self.files: dict[str, OpenFile] = {}
        self.read_files: dict[str, Iterator[bytes]] = {}
        self.status = 0
        self.stdout = _Writer(u.out.write)

    def open_outputs(self) -> None:
        for cmd in self.commands:
            if cmd.write is not None and cmd.write not in self.files and cmd.write not in ("/dev/stdout", "/dev/stderr"):
                try:
                    self.files[cmd.write] = self.u.create(cmd.write)
                except OSError as exc:
                    raise SedError(f"can't open '{cmd.write}': {strerror(exc)}") from None

    def close(self) -> None:
        for file in self.files.values():
            file.release()

    def write_file(self, name: str, data: bytes) -> None:
        if name == "/dev/stdout":  # the real stdout, even while -i writes the file
            self.stdout.write(data)
            return
        if name == "/dev/stderr":
            self.u.proc.stderr.write(data + b"\n")
            return
        self.files[name].write(data + b"\n")

    # -- addresses -----------------------------------------------------------------
    def _match(self, addr: Address, ps: bytes, inp: _Input) -> bool:
        if addr.kind == "line":
            return inp.line_number == addr.number
        if addr.kind == "last":
            return inp.is_last()
        if addr.kind == "step":
            if addr.step <= 0:
                return inp.line_number == addr.number
            return inp.line_number >= addr.number and (inp.line_number - addr.number) % addr.step == 0
        if addr.kind == "zero":
            return False
        return self.regex_for(addr.regex).re.search(ps) is not None

    def regex_for(self, regex: Regex | None) -> Regex:
        if regex is None:
            if self.last_regex is None:
                raise SedError("no previous regexp")
            return self.last_regex
        self.last_regex = regex
        return regex

    def selected(self, cmd: Command, ps: bytes, inp: _Input) -> bool:
        if cmd.addr1 is None:
            return not cmd.negate
        if cmd.addr2 is None:
            return self._match(cmd.addr1, ps, inp) != cmd.negate
        line = inp.line_number
        if cmd.active:
            end = cmd.addr2
            if end.kind in ("line", "relative"):
                limit = cmd.range_end
                if line >= limit:
                    cmd.active = False
                result = line <= limit
            elif end.kind == "multiple":
                if end.number <= 0 or line % end.number == 0:
                    cmd.active = False
                result = True
            else:
                if self._match(end, ps, inp):
                    cmd.active = False
                result = True
            return result != cmd.negate
        if cmd.addr1.kind == "zero" and line == 1 and not cmd.range_end:
            cmd.range_end = -1
            cmd.active = True
            if self._match(cmd.addr2, ps, inp):
                cmd.active = False
            return not cmd.negate
        if not self._match(cmd.addr1, ps, inp):
            return cmd.negate
        end = cmd.addr2
        cmd.active = True
        if end.kind == "line":
            cmd.range_end = end.number
            if end.number <= line:
                cmd.active = False
        elif end.kind == "relative":
            cmd.range_end = line + end.number
            if end.number == 0:
                cmd.active = False
        elif end.kind == "multiple":
            if end.number <= 0 or line % end.number == 0:
                cmd.active = False
        elif end.kind == "last" and inp.is_last():
            cmd.active = False
        return not cmd.negate

    # -- the cycle -----------------------------------------------------------------
    def run(self, inp: _Input, out: _Writer) -> int:
        """Process the whole input; returns the exit status requested by ``q``/``Q`` (or 0)."""
        self.out = out
        if not self.quiet and all(
            c.name == "s" and c.addr1 is None and not c.negate and c.write is None and not c.print_
            and not c.empty_regex for c in self.commands
        ):
            return self._run_substitutions(inp, out)
        append: list[tuple[str, bytes]] = []
        first = inp.next()
        if first is None:
            return 0
        ps, newline = first
        restart = False
        try:
            while True:
                substituted = False
                pc = 0
                deleted = False
                while pc < len(self.commands):
                    self.u.check()
                    cmd = self.commands[pc]
                    pc += 1
                    name = cmd.name
                    if name == "}":
                        continue
                    if not self.selected(cmd, ps, inp):
                        if name == "{":
                            pc = cmd.target
                        continue
                    if name == "{":
                        continue
                    if name == "p":
                        out.write(ps)
                    elif name == "d":
                        deleted = True
                        break
                    elif name == "D":
                        idx = ps.find(b"\n")
                        if idx < 0:
                            deleted = True
                            break
                        ps = ps[idx + 1:]
                        self._flush_append(append, out)
                        restart = True
                        break
                    elif name == "s":
                        ps, done = self.substitute(cmd, ps)
                        if done:
                            substituted = True
                            for _ in range(cmd.print_):
                                out.write(ps)
                            if cmd.write is not None:
                                self.write_file(cmd.write, ps)
                    elif name in "btT":
                        if name == "b" or (name == "t" and substituted) or (name == "T" and not substituted):
                            pc = cmd.target
                        if name in "tT":
                            substituted = False
                    elif name == "h":
                        self.hold = ps
                    elif name == "H":
                        self.hold += b"\n" + ps
                    elif name == "g":
                        ps = self.hold
                    elif name == "G":
                        ps += b"\n" + self.hold
                    elif name == "x":
                        ps, self.hold = self.hold, ps
                    elif name == "z":
                        ps = b""
                    elif name == "=":
                        out.write(b"%d" % inp.line_number)
                    elif name == "a":
                        append.append(("text", cmd.text))
                    elif name == "i":
                        out.write(cmd.text)
                    elif name == "c":
                        if cmd.addr2 is None or cmd.negate or not cmd.active:
                            out.write(cmd.text)
                        deleted = True
                        break
                    elif name in "rR":
                        append.append((name, cmd.text))
                    elif name == "w":
                        self.write_file(cmd.write or "", ps)
                    elif name == "W":
                        self.write_file(cmd.write or "", ps.split(b"\n", 1)[0])
                    elif name == "P":
                        out.write(ps.split(b"\n", 1)[0])
                    elif name == "l":
                        out.write(_escape_l(ps, 70 if cmd.number is None else cmd.number))
                    elif name == "y":
                        ps = ps.translate(cmd.table)
                    elif name == "n":
                        if inp.is_last():  # no next line: end the cycle (auto-printing) and quit
                            break
                        if not self.quiet:
                            out.write(ps, newline)
                        self._flush_append(append, out)
                        ps, newline = inp.next()  # type: ignore[misc]
                    elif name == "N":
                        if inp.is_last():
                            break
                        self._flush_append(append, out)
                        line, newline = inp.next()  # type: ignore[misc]
                        ps += b"\n" + line
                    elif name == "q":
                        if not self.quiet:
                            out.write(ps, newline)
                        self._flush_append(append, out)
                        raise _Quit(cmd.number or 0)
                    elif name == "Q":
                        raise _Quit(cmd.number or 0)
                if not deleted and not restart and not self.quiet:
                    out.write(ps, newline)
                if not restart:
                    self._flush_append(append, out)
                if restart:
                    restart = False
                    continue
                nxt = inp.next()
                if nxt is None:
                    return 0
                ps, newline = nxt
        except _Quit as stop:
            return stop.status

    def _run_substitutions(self, inp: _Input, out: _Writer) -> int:
        """The cycle of a script of unaddressed ``s`` commands (``sed s/a/b/g``), a block of lines at a time."""
        steps = [(cmd, cmd.regex.re.search) for cmd in self.commands if cmd.regex is not None]
        substitute = self.substitute
        write = out.write
        for lines, last_newline in inp.blocks():
            for cmd, search in steps:
                self.last_regex = cmd.regex
                for i, ps in enumerate(lines):
                    if search(ps) is not None:
                        lines[i] = substitute(cmd, ps)[0]
            if last_newline:
                write(b"\n".join(lines))
            else:
                if len(lines) > 1:
                    write(b"\n".join(lines[:-1]))
                write(lines[-1], False)
            self.u.check()
        return 0

    def _flush_append(self, append: list[tuple[str, bytes]], out: _Writer) -> None:
        for kind, text in append:
            if kind == "text":
                out.write(text)
            elif kind == "r":
                try:
                    data = self.u.fs.read_bytes(text.decode("utf-8", "surrogateescape"), self.u.cwd)
                except OSError:
                    continue
                if data:
                    out.write(data[:-1] if data.endswith(b"\n") else data, data.endswith(b"\n"))
            else:
                name = text.decode("utf-8", "surrogateescape")
                reader = self.read_files.get(name)
                if reader is None:
                    try:
                        reader = iter(self.u.fs.read_bytes(name, self.u.cwd).splitlines())
                    except OSError:
                        reader = iter(())
                    self.read_files[name] = reader
                line = next(reader, None)
                if line is not None:
                    out.write(line)
        append.clear()

    def substitute(self, cmd: Command, ps: bytes) -> tuple[bytes, bool]:
        regex = self.regex_for(cmd.regex)
        if regex.re.search(ps) is None:  # most lines: nothing to replace
            return ps, False
        pieces: list[bytes] = []
        pos = 0
        count = 0
        done = False
        for m in regex.finditer(ps):
            count += 1
            # busybox: with g every match from the first is replaced, whatever N says
            if count < cmd.occurrence and not cmd.global_:
                continue
            pieces.append(ps[pos:m.start()])
            for part in cmd.replacement:
                if isinstance(part, int):
                    if part > regex.groups:
                        raise SedError(f"invalid reference \\{part} on s command's RHS")
                    pieces.append(m.group(part) or b"")
                else:
                    pieces.append(part)
            pos = m.end()
            done = True
            if not cmd.global_:
                break
        if not done:
            return ps, False
        pieces.append(ps[pos:])
        return b"".join(pieces), True


def _escape_l(data: bytes, width: int) -> bytes:
    """``l``: unambiguous form, long lines broken with ``\\``, ``$`` at the end."""
    names = {7: b"\\a", 8: b"\\b", 9: b"\\t", 10: b"\\n", 11: b"\\v", 12: b"\\f", 13: b"\\r", 0x5C: b"\\\\"}
    pieces = [names.get(c) or (bytes([c]) if 0x20 <= c < 0x7F else b"\\%03o" % c) for c in data]
    if width <= 1:
        return b"".join(pieces) + b"$"
    lines, current = [], b""
    for piece in pieces:
        if len(current) + len(piece) > width - 1:
            lines.append(current + b"\\")
            current = b""
        current += piece
    lines.append(current + b"$")
    return b"\n".join(lines)


def parse_script(script: bytes, extended: bool) -> list[Command]:
    """Parse a whole script; raises :class:`SedError`."""
    return _Parser(script, extended).parse()


@utility("sed", usage=_USAGE)
def sed(u: Util, argv: list[str]) -> int:
    """sed [-i[SFX]] [-nrEs] [-e CMD]... [-f FILE]... [CMD] [FILE]..."""
    opts, args = u.getopt(argv[1:], "e:f:i::nrEsu", {
        "expression=": "e", "file=": "f", "in-place=?": "i", "quiet": "n", "silent": "n",
        "regexp-extended": "r", "separate": "s", "unbuffered": "u",
    })
    pieces: list[bytes] = []
    for key, value in opts.seen:
        if key == "e":
            pieces.append((value or "").encode("utf-8", "surrogateescape"))
        elif key == "f":
            try:
                with u.input(value or "") as file:
                    data = file.read()
            except OSError as exc:
                u.fail(f"can't open '{value}': {strerror(exc)}")
            pieces.append(data[:-1] if data.endswith(b"\n") else data)
    if not pieces:
        if not args:
            u.usage_error()
        pieces.append(args.pop(0).encode("utf-8", "surrogateescape"))
    script = b"\n".join(pieces)
    quiet = "n" in opts or script.startswith(b"#n\n") or script == b"#n"
    try:
        commands = parse_script(script, "r" in opts or "E" in opts)
    except SedError as exc:
        u.fail(str(exc))
    in_place = "i" in opts
    u.out.line_buffered = "u" in opts
    editor = Sed(u, commands, quiet)
    try:
        editor.open_outputs()
        if in_place:
            if not args:
                u.fail("no input files")
            for path in args:
                _edit_in_place(u, editor, commands, path, opts.get("i") or "")
            return u.status
        out = editor.stdout
        if "s" in opts and len(args) > 1:
            for path in args:
                _reset(commands)
                status = editor.run(_Input(u, [path]), out)
                if status:
                    return status
            return u.status
        status = editor.run(_Input(u, args or ["-"]), out)
        return status or u.status
    except SedError as exc:
        u.fail(str(exc))
    finally:
        editor.close()


def _reset(commands: list[Command]) -> None:
    for cmd in commands:
        cmd.active = False
        cmd.range_end = 0


def _edit_in_place(u: Util, editor: Sed, commands: list[Command], path: str, suffix: str) -> None:
    """Run the script over ``path`` and replace it (through the jail) with the result."""
    try:
        st = u.stat(path)
        data_in = u.open(path)
    except OSError as exc:
        u.warn(f"can't open '{path}': {strerror(exc)}")
        return
    data_in.release()
    if not stat_mod.S_ISREG(st.st_mode):
        u.warn(f"couldn't edit {path}: not a regular file")
        return
    chunks: list[bytes] = []
    _reset(commands)
    status = editor.run(_Input(u, [path]), _Writer(chunks.append))
    directory, _, base = path.rpartition("/")
    temp = (directory + "/" if directory else "") + f".sed{os.getpid()}{id(chunks) & 0xFFFF}.{base}"
    try:
        u.fs.write_bytes(temp, b"".join(chunks), st.st_mode & 0o7777, u.cwd)
        if suffix:
            backup = suffix.replace("*", base) if "*" in suffix else path + suffix
            _copy_bytes(u, path, backup, st.st_mode)
        u.fs.rename(temp, path, u.cwd)
    except OSError as exc:
        u.warn(f"can't write '{path}': {strerror(exc)}")
        try:
            u.fs.unlink(temp, u.cwd)
        except OSError:
            pass
    if status:
        raise Exit(status)


def _copy_bytes(u: Util, src: str, dst: str, mode: int) -> None:
    u.fs.write_bytes(dst, u.fs.read_bytes(src, u.cwd), mode & 0o7777, u.cwd)
