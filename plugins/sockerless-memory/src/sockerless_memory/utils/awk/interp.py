"""The AWK runtime: records and fields, input and output streams, builtins, the main loop."""

from __future__ import annotations

import math
import random
import re
import time
from collections.abc import Callable

from ...sandbox.exec import ExecError
from ...sandbox.files import OpenFile, make_pipe
from ...sandbox.process import Process
from ..common import Util, strerror
from ..regex import Regex, RegexError
from ..spawn import exec_reason, run_child, start_child
from ..timefmt import strftime as format_time
from ..timefmt import zone
from .parser import (
    AwkRuntimeError,
    ExitProgram,
    Function,
    LValue,
    Next,
    NextFile,
    Parser,
    Program,
    Return,
    _RegexLiteral,
)
from .values import UNINIT, StrNum, awk_regex, number_to_str, to_num, truth

_BLANKS = re.compile(r"[ \t\n]+")
_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_FORMAT = re.compile(r"%([-+ #0]*)(\*|\d+)?(?:\.(\*|\d*))?([hlLqjzt]*)([a-zA-Z%])")


def decode(data: bytes) -> str:
    """Bytes as AWK text (one character per byte)."""
    return data.decode("latin-1")


def encode(text: str) -> bytes:
    """AWK text back to bytes."""
    return text.encode("latin-1", "replace")


class InputError(Exception):
    """A main input file that cannot be opened: fatal, reported without a line number."""


class Record:
    """``$0`` and its fields, split lazily with the FS in force when the record was read."""

    def __init__(self, interp: Interp) -> None:
        self.interp = interp
        self.text: str = ""
        self.fields: list[str] | None = []
        self.fs = " "

    def set_text(self, text: str) -> None:
        self.text = StrNum(text)
        self.fields = None
        self.fs = self.interp.str_value(self.interp.variables.get("FS", " "))

    def split(self) -> list[str]:
        if self.fields is None:
            self.fields = self.interp.split_fields(self.text, self.fs, paragraph=self.interp.paragraph_mode())
        return self.fields

    def get(self, index: int):
        if index == 0:
            return self.text
        if index < 0:
            raise AwkRuntimeError(f"Access to negative field {index}")
        fields = self.split()
        if index <= len(fields):
            return StrNum(fields[index - 1])
        return UNINIT

    def set(self, index: int, value) -> None:
        if index == 0:
            self.set_text(self.interp.str_value(value))
            return
        if index < 0:
            raise AwkRuntimeError(f"Access to negative field {index}")
        fields = self.split()
        while len(fields) < index:
            fields.append("")
        fields[index - 1] = self.interp.str_value(value)
        self.rebuild()

    @property
    def nf(self) -> int:
        return len(self.split())

    def set_nf(self, count: int) -> None:
        if count < 0:
            raise AwkRuntimeError("NF set to negative value")
        fields = self.split()
        if count < len(fields):
            del fields[count:]
        else:
            fields.extend([""] * (count - len(fields)))
        self.rebuild()

    def rebuild(self) -> None:
        ofs = self.interp.str_value(self.interp.variables.get("OFS", " "))
        self.text = StrNum(ofs.join(self.fields or []))


class RecordReader:
    """Records of one input according to RS (a character, a regex, or "" for paragraphs)."""

    def __init__(self, interp: Interp, file: OpenFile) -> None:
        self.interp = interp
        self.file = file
        self.buffer = ""
        self.eof = False

    def _fill(self) -> bool:
        if self.eof:
            return False
        chunk = self.file.read1(1 << 16)
        if not chunk:
            self.eof = True
            return False
        self.buffer += decode(chunk)
        return True

    def next(self) -> str | None:
        rs = self.interp.str_value(self.interp.variables.get("RS", "\n"))
        if rs == "":
            return self._paragraph()
        if len(rs) == 1:
            while True:
                idx = self.buffer.find(rs)
                if idx >= 0:
                    record, self.buffer = self.buffer[:idx], self.buffer[idx + 1:]
                    return record
                if not self._fill():
                    break
        else:
            regex = self.interp.regex_of(rs)
            while True:
                m = regex.search(self.buffer)
                # a match reaching the end of the buffer might grow with more data
                if m is not None and (m.end() < len(self.buffer) or self.eof):
                    record, self.buffer = self.buffer[:m.start()], self.buffer[m.end():]
                    return record
                if not self._fill():
                    m = regex.search(self.buffer)
                    if m is not None:
                        record, self.buffer = self.buffer[:m.start()], self.buffer[m.end():]
                        return record
                    break
        if self.buffer:
            record, self.buffer = self.buffer, ""
            return record
        return None

    def _paragraph(self) -> str | None:
        while True:
            stripped = self.buffer.lstrip("\n")
            m = re.search(r"\n\n+", stripped)
            if m is not None and (m.end() < len(stripped) or self.eof):
                self.buffer = stripped[m.end():]
                return stripped[:m.start()]
            if not self._fill():
                self.buffer = ""
                text = stripped.rstrip("\n")
                return text if text else None


class _Stream:
    """A stream of ``print``/``getline``, perhaps a pipe to or from a ``sh -c COMMAND`` child."""

    interp: Interp
    child: Process | None = None

    def _start(self, command: str, fd: int, end: OpenFile) -> None:
        """Run ``command`` with ``end`` (of a pipe) as its descriptor ``fd``."""
        self.child = start_child(self.interp.u, ["sh", "-c", command], self.interp.report_exec, fds={fd: end})

    def _wait(self) -> int:
        """The exit status of the stream's command once it has ended (0 without one)."""
        if self.child is None:
            return 0
        status = self.interp.u.proc.wait_child(self.child)
        self.child = None
        return status.shell_status


class Output(_Stream):
    """An output stream opened by ``print > FILE``, ``>> FILE`` or ``| COMMAND``."""

    def __init__(self, interp: Interp, name: str, mode: str) -> None:
        self.interp = interp
        self.name = name
        self.mode = mode
        self.file: OpenFile | None = None
        u = interp.u
        if name in ("/dev/stdout", "-") and mode != "|":
            self.write = lambda text: u.out.write(encode(text))  # type: ignore[method-assign]
            return
        if name == "/dev/stderr" and mode != "|":
            self.write = lambda text: u.proc.stderr.write(encode(text))  # type: ignore[method-assign]
            return
        if mode == "|":
            reader, writer = make_pipe()
            self._start(name, 0, reader)
            self.file = writer
        else:
            self.file = u.create(name, append=mode == ">>")

    def write(self, text: str) -> None:
        assert self.file is not None
        self.file.write(encode(text))

    def flush(self) -> None:
        if self.file is None:
            self.interp.u.out.flush()

    def close(self) -> int:
        if self.file is not None:
            self.file.release()
            self.file = None
        return self._wait()


class Input(_Stream):
    """An input stream for ``getline < FILE`` or ``COMMAND | getline``."""

    def __init__(self, interp: Interp, name: str, command: bool) -> None:
        u = interp.u
        self.interp = interp
        if command:
            reader, writer = make_pipe()
            self._start(name, 1, writer)
            self.file = reader
        else:
            self.file = u.proc.stdin.acquire() if name in ("-", "/dev/stdin") else u.open(name)
        self.reader = RecordReader(interp, self.file)

    def close(self) -> int:
        self.file.release()
        return self._wait()


class MainInput:
    """The main input: the files of ARGV in turn (assignments applied when reached), or stdin."""

    def __init__(self, interp: Interp) -> None:
        self.interp = interp
        self.index = 1
        self.reader: RecordReader | None = None
        self.file: OpenFile | None = None
        self.used_file = False
        self.done = False

    def _open_next(self) -> bool:
        interp = self.interp
        variables = interp.variables
        while True:
            argc = int(to_num(variables.get("ARGC", 0.0)))
            if self.index >= argc:
                if self.used_file:
                    return False
                self.used_file = True
                self.file = interp.u.proc.stdin.acquire()
                variables["FILENAME"] = "-"  # busybox names standard input so
                self.reader = RecordReader(interp, self.file)
                return True
            argv = variables.get("ARGV")
            arg = interp.str_value(argv.get(str(self.index), UNINIT)) if isinstance(argv, dict) else ""
            self.index += 1
            if not arg:
                continue
            m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)", arg, re.S)
            if m:
                interp.assign_command_line(m.group(1), m.group(2))
                continue
            self.used_file = True
            try:
                self.file = interp.u.proc.stdin.acquire() if arg == "-" else interp.u.open(arg)
            except OSError as exc:
                raise InputError(f"{arg}: {strerror(exc)}") from None  # busybox stops here
            variables["FILENAME"] = StrNum(arg)
            variables["FNR"] = 0.0
            self.reader = RecordReader(interp, self.file)
            return True

    def next(self) -> str | None:
        while not self.done:
            if self.reader is None and not self._open_next():
                self.done = True
                return None
            assert self.reader is not None
            try:
                record = self.reader.next()
            except OSError as exc:
                self.interp.u.warn(f"read error: {strerror(exc)}")
                record = None
            if record is not None:
                return record
            self.skip_file()
        return None

    def skip_file(self) -> None:
        if self.file is not None:
            self.file.release()
        self.file = None
        self.reader = None


class Interp:
    """One run of an AWK program."""

    def __init__(self, u: Util) -> None:
        self.u = u
        self.variables: dict[str, object] = {
            "FS": " ", "OFS": " ", "ORS": "\n", "RS": "\n", "NR": 0.0, "NF": 0.0, "FNR": 0.0, "SUBSEP": "\x1c",
            "CONVFMT": "%.6g", "OFMT": "%.6g", "RSTART": 0.0, "RLENGTH": -1.0, "FILENAME": "",
            "ENVIRON": {decode(k.encode("utf-8", "surrogateescape")): StrNum(decode(v.encode("utf-8", "surrogateescape"))) for k, v in u.env.items()},
        }
        self.frames: list[list] = []
        self.record = Record(self)
        self.outputs: dict[str, Output] = {}
        self.inputs: dict[str, Input] = {}
        self.main = MainInput(self)
        self.program: Program | None = None
        self.status = 0
        self.line = 1
        self.random = random.Random(0)
        self.seed = 0.0
        self._ticks = 0
        self.range_active: dict[int, bool] = {}

    # -- helpers the compiled code uses ------------------------------------------
    def check(self) -> None:
        self._ticks += 1
        if self._ticks & 0x3FF == 0:
            self.u.check()

    def str_value(self, value) -> str:
        if isinstance(value, float):
            return number_to_str(value, self.variables.get("CONVFMT", "%.6g"))  # type: ignore[arg-type]
        if isinstance(value, dict):
            raise AwkRuntimeError("Can't use array in scalar context")
        return value

    def out_value(self, value) -> str:
        if isinstance(value, float):
            return number_to_str(value, self.variables.get("OFMT", "%.6g"))  # type: ignore[arg-type]
        return self.str_value(value)

    def key(self, value) -> str:
        return self.str_value(value)

    def regex_of(self, source: str) -> Regex:
        try:
            return awk_regex(source)
        except RegexError as exc:
            raise AwkRuntimeError(f"bad regex '{source}': {exc}") from None

    def regex(self, expr) -> Regex:
        """The regex an operand denotes: a literal as written, anything else by its string value."""
        if isinstance(expr, _RegexLiteral):
            return self.regex_of(expr.source)
        return self.regex_of(self.str_value(expr()))

    def paragraph_mode(self) -> bool:
        return self.str_value(self.variables.get("RS", "\n")) == ""

    def split_fields(self, text: str, fs: str, *, paragraph: bool = False) -> list[str]:
        if not text:
            return []
        if fs == " ":
            return _BLANKS.split(text.strip(" \t\n"))
        if paragraph:
            pieces = text.split("\n")
            return [part for piece in pieces for part in self.split_fields(piece, fs)]
        if len(fs) == 1 and fs != "\\":
            return text.split(fs)
        if fs == "":
            return list(text)
        return _split_keep(self.regex_of(fs), text)

    def special_variable(self, name: str) -> tuple[Callable, Callable] | None:
        if name == "NF":
            record = self.record

            def get_nf():
                return float(record.nf)

            def set_nf(value):
                record.set_nf(int(to_num(value)))
                return value

            return get_nf, set_nf
        return None

    def assign_command_line(self, name: str, text: str) -> None:
        from .lexer import unescape

        self.variables[name] = StrNum(unescape(text))

    def report_exec(self, exc: ExecError) -> None:
        self.u.error(f"can't execute: {exec_reason(exc)}")

    # -- output ----------------------------------------------------------------------
    def stream(self, mode: str, target) -> Output:
        name = self.str_value(target())
        stream = self.outputs.get(name)
        if stream is None:
            try:
                stream = Output(self, name, mode)
            except OSError as exc:
                raise AwkRuntimeError(f"can't open '{name}': {strerror(exc)}") from None
            self.outputs[name] = stream
        return stream

    def emit(self, text: str, redirect) -> None:
        if redirect is None:
            self.u.out.write(encode(text))
        else:
            self.stream(redirect[0], redirect[1]).write(text)

    def print_record(self) -> None:
        self.u.out.write(encode(self.record.text + self.str_value(self.variables.get("ORS", "\n"))))

    def make_print(self, args: list, redirect) -> Callable[[], None]:
        variables = self.variables
        record = self.record

        def do_print() -> None:
            if args:
                text = self.str_value(variables.get("OFS", " ")).join(self.out_value(a()) for a in args)
            else:
                text = record.text
            self.emit(text + self.str_value(variables.get("ORS", "\n")), redirect)

        return do_print

    def make_printf(self, args: list, redirect) -> Callable[[], None]:
        def do_printf() -> None:
            values = [a() for a in args]
            self.emit(self.sprintf(self.str_value(values[0]), values[1:]), redirect)

        return do_printf

    def sprintf(self, fmt: str, values: list) -> str:
        out = []
        pos = 0
        position = 0

        def take():
            nonlocal position
            if position < len(values):
                position += 1
                return values[position - 1]
            return UNINIT

        while True:
            idx = fmt.find("%", pos)
            if idx < 0:
                out.append(fmt[pos:])
                break
            out.append(fmt[pos:idx])
            m = _FORMAT.match(fmt, idx)
            if m is None:
                out.append(fmt[idx:])
                break
            pos = m.end()
            flags, width, precision, _length, conv = m.groups()
            if conv == "%":
                out.append("%")
                continue
            if width == "*":
                width = str(int(to_num(take())))
                if width.startswith("-"):
                    flags += "-"
                    width = width[1:]
            if precision == "*":
                precision = str(max(0, int(to_num(take()))))
            spec = "%" + flags + (width or "") + ("." + precision if precision is not None else "")
            value = take()
            if conv == "c":
                if isinstance(value, float):
                    char = chr(int(value) % 256)
                else:
                    char = self.str_value(value)[:1]
                out.append((spec + "s") % char)
            elif conv == "s":
                out.append((spec + "s") % self.str_value(value))
            elif conv in "di":
                out.append((spec + "d") % _c_int(to_num(value)))
            elif conv in "ouxX":
                out.append((spec + ("d" if conv == "u" else conv)) % (_c_int(to_num(value)) & 0xFFFFFFFF))
            elif conv in "eEfFgGaA":
                out.append((spec + (conv if conv not in "aA" else "e")) % to_num(value))
            else:
                out.append(m.group(0))
        return "".join(out)

    # -- getline -------------------------------------------------------------------
    def make_getline(self, kind: str, source, target: LValue | None) -> Callable[[], float]:
        variables = self.variables

        def store(text: str, count_records: bool) -> None:
            if count_records:
                variables["NR"] = to_num(variables.get("NR", 0.0)) + 1
                if kind == "main":
                    variables["FNR"] = to_num(variables.get("FNR", 0.0)) + 1
            if target is None:
                self.record.set_text(text)
            else:
                target.set(StrNum(text))

        def getline() -> float:
            if kind == "main":
                text = self.main.next()
                if text is None:
                    return 0.0
                store(text, True)
                return 1.0
            name = self.str_value(source())
            stream = self.inputs.get(name)
            if stream is None:
                try:
                    stream = Input(self, name, kind == "cmd")
                except OSError:
                    return -1.0
                self.inputs[name] = stream
            try:
                text = stream.reader.next()
            except OSError:
                return -1.0
            if text is None:
                return 0.0
            store(text, kind == "cmd")  # a command's lines count in NR, a file's do not
            return 1.0

        return getline

    # -- functions -----------------------------------------------------------------
    def make_call(self, name: str, args: list, parser: Parser) -> Callable[[], object]:
        program = parser.program

        def call():
            function: Function = program.functions[name]
            if len(args) > len(function.params):
                raise AwkRuntimeError(f"function {name} called with {len(args)} args, accepts only {len(function.params)}")
            frame: list = []
            for index, (expr, lvalue) in enumerate(args):
                if lvalue is not None:
                    raw = self._raw(lvalue)
                    if isinstance(raw, dict):
                        frame.append(raw)
                        continue
                    if raw is UNINIT and index in function.array_params:
                        created: dict = {}
                        self._store_raw(lvalue, created)
                        frame.append(created)
                        continue
                    frame.append(raw)
                    continue
                frame.append(expr())
            frame.extend(UNINIT for _ in range(len(function.params) - len(frame)))
            if len(self.frames) > 1000:
                raise AwkRuntimeError("function call nesting is too deep")
            self.frames.append(frame)
            try:
                assert function.body is not None
                function.body()
            except Return as result:
                return result.value
            finally:
                self.frames.pop()
            return UNINIT

        return call

    def _raw(self, lvalue: LValue):
        if lvalue.local is not None:
            return self.frames[-1][lvalue.local]
        if lvalue.name == "NF":
            return float(self.record.nf)
        return self.variables.get(lvalue.name or "", UNINIT)

    def _store_raw(self, lvalue: LValue, value) -> None:
        if lvalue.local is not None:
            self.frames[-1][lvalue.local] = value
        else:
            self.variables[lvalue.name or ""] = value

    # -- builtins --------------------------------------------------------------------
    def make_builtin(self, name: str, args: list, line: int, parser: Parser) -> Callable[[], object]:
        values = [a[1] for a in args]
        kinds = [a[0] for a in args]
        count = len(args)
        record = self.record
        variables = self.variables

        def arity(low: int, high: int) -> None:
            if not low <= count <= high:
                raise parser.error(f"wrong number of arguments for {name}()")

        def num(i: int) -> float:
            return to_num(values[i]())

        def text(i: int) -> str:
            return self.str_value(values[i]())

        if name == "length":
            arity(0, 1)
            if count == 0:
                return lambda: float(len(record.text))
            if kinds[0] == "raw":
                raw = values[0]
                return lambda: float(len(raw()) if isinstance(raw(), dict) else len(self.str_value(raw())))
            return lambda: float(len(text(0)))
        if name == "substr":
            arity(2, 3)

            def substr():
                s = text(0)
                start = _trunc(num(1))
                length = _trunc(num(2)) if count == 3 else len(s)
                if start < 1:
                    start = 1  # busybox keeps the length when the start is before the string
                if length <= 0:
                    return ""
                return s[start - 1:start - 1 + length]

            return substr
        if name == "index":
            arity(2, 2)
            return lambda: float(text(0).find(text(1)) + 1) if text(1) else 0.0
        if name == "split":
            arity(2, 3)
            array = values[1]

            def split():
                s = text(0)
                target = array()
                target.clear()
                if count == 3:
                    separator = values[2]
                    if isinstance(separator, _RegexLiteral):
                        regex = self.regex_of(separator.source)
                        pieces = regex.re.split(s) if s else []
                    else:
                        pieces = self.split_fields(s, self.str_value(separator()))
                else:
                    pieces = self.split_fields(s, self.str_value(variables.get("FS", " ")))
                for i, piece in enumerate(pieces, 1):
                    target[str(i)] = StrNum(piece)
                return float(len(pieces))

            return split
        if name in ("sub", "gsub"):
            arity(2, 3)
            everything = name == "gsub"
            target = values[2] if count == 3 else LValue(lambda: record.text, lambda v: record.set(0, v) or v)

            def substitute():
                regex = self.regex(values[0])
                replacement = text(1)
                subject = self.str_value(target.get())
                pieces = []
                pos = 0
                done = 0
                for m in regex.finditer(subject):
                    pieces.append(subject[pos:m.start()])
                    pieces.append(_expand_replacement(replacement, m.group(0)))
                    pos = m.end()
                    done += 1
                    if not everything:
                        break
                if done:
                    pieces.append(subject[pos:])
                    target.set("".join(pieces))
                return float(done)

            return substitute
        if name == "match":
            arity(2, 2)

            def match():
                m = self.regex(values[1]).search(text(0))
                if m is None:
                    variables["RSTART"], variables["RLENGTH"] = 0.0, -1.0
                    return 0.0
                variables["RSTART"], variables["RLENGTH"] = float(m.start() + 1), float(m.end() - m.start())
                return float(m.start() + 1)

            return match
        if name == "sprintf":
            if count < 1:
                raise parser.error("wrong number of arguments for sprintf()")
            return lambda: self.sprintf(text(0), [v() for v in values[1:]])
        if name in ("sin", "cos", "exp", "log", "sqrt", "int"):
            arity(1, 1)
            functions = {"sin": math.sin, "cos": math.cos, "exp": _exp, "log": _log, "sqrt": _sqrt, "int": lambda x: float(_trunc(x)) if math.isfinite(x) else x}
            function = functions[name]
            return lambda: function(num(0))
        if name == "atan2":
            arity(2, 2)
            return lambda: math.atan2(num(0), num(1))
        if name == "rand":
            arity(0, 0)
            return lambda: self.random.random()
        if name == "srand":
            arity(0, 1)

            def srand():
                previous = self.seed
                self.seed = num(0) if count else float(int(time.time()))
                self.random.seed(self.seed)
                return previous

            return srand
        if name in ("tolower", "toupper"):
            arity(1, 1)
            table = _LOWER if name == "tolower" else _UPPER
            return lambda: text(0).translate(table)
        if name == "system":
            arity(1, 1)

            def system():
                self.flush_all()
                status = run_child(self.u, ["sh", "-c", encode(text(0)).decode("utf-8", "surrogateescape")], self.report_exec)
                return float(status.code if status.signal is None else 256 + status.signal)

            return system
        if name == "close":
            arity(1, 2)
            return lambda: float(self.close(text(0)))
        if name == "fflush":
            arity(0, 1)

            def fflush():
                self.flush_all()
                return 0.0

            return fflush
        if name in ("and", "or", "xor"):
            if count < 2:
                raise parser.error(f"wrong number of arguments for {name}()")
            operations = {"and": lambda a, b: a & b, "or": lambda a, b: a | b, "xor": lambda a, b: a ^ b}
            operation = operations[name]

            def bitwise():
                result = int(num(0))
                for i in range(1, count):
                    result = operation(result, int(num(i)))
                return float(result)

            return bitwise
        if name in ("lshift", "rshift"):
            arity(2, 2)
            if name == "lshift":
                return lambda: float((int(num(0)) << int(num(1))) & ((1 << 64) - 1))
            return lambda: float(int(num(0)) >> int(num(1)))
        if name == "compl":
            arity(1, 1)
            return lambda: float(~int(num(0)) & ((1 << 53) - 1))
        if name == "systime":
            arity(0, 0)
            return lambda: float(int(time.time()))
        if name == "strftime":
            arity(0, 3)

            def strftime():
                fmt = text(0) if count > 0 else "%a %b %e %H:%M:%S %Z %Y"
                stamp = num(1) if count > 1 else time.time()
                utc = count > 2 and truth(values[2]())
                return decode(format_time(stamp, fmt, zone(self.u.env, utc=utc)).encode("utf-8", "surrogateescape"))

            return strftime
        if name == "mktime":
            arity(1, 1)

            def mktime():
                parts = text(0).split()
                try:
                    year, month, day, hour, minute, second = (int(p) for p in parts[:6])
                    import datetime as dt

                    moment = dt.datetime(year, month, day, hour, minute, second, tzinfo=zone(self.u.env))
                    return float(int(moment.timestamp()))
                except (ValueError, OverflowError):
                    return -1.0

            return mktime
        raise parser.error(f"unknown function {name}")

    def close(self, name: str) -> int:
        status = -1
        output = self.outputs.pop(name, None)
        if output is not None:
            status = output.close()
        stream = self.inputs.pop(name, None)
        if stream is not None:
            status = stream.close()
        return status

    def flush_all(self) -> None:
        self.u.out.flush()
        for output in self.outputs.values():
            output.flush()

    def close_all(self) -> None:
        self.u.out.flush()
        for name in list(self.outputs):
            self.outputs.pop(name).close()
        for name in list(self.inputs):
            self.inputs.pop(name).close()
        self.main.skip_file()

    # -- main loop -----------------------------------------------------------------
    def run(self, program: Program) -> int:
        """BEGIN, the records, END; returns the exit status."""
        self.program = program
        exit_status: int | None = None
        exiting = False
        try:
            for action in program.begin:
                action()
        except ExitProgram as stop:
            exit_status, exiting = stop.status, True
        except (Next, NextFile):
            raise AwkRuntimeError("next used in BEGIN or END") from None
        if not exiting and (program.items or program.end):
            try:
                self.main_loop(program)
            except ExitProgram as stop:
                exit_status = stop.status
        try:
            for action in program.end:
                action()
        except ExitProgram as stop:
            if stop.status is not None:
                exit_status = stop.status
        except (Next, NextFile):
            raise AwkRuntimeError("next used in BEGIN or END") from None
        return self.status if exit_status is None else exit_status

    def main_loop(self, program: Program) -> None:
        variables = self.variables
        items = program.items
        check = self.u.check
        while True:
            text = self.main.next()
            if text is None:
                return
            variables["NR"] = to_num(variables.get("NR", 0.0)) + 1
            variables["FNR"] = to_num(variables.get("FNR", 0.0)) + 1
            self.record.set_text(text)
            check()
            try:
                for index, (pattern, action) in enumerate(items):
                    if self.matches(index, pattern):
                        action()
            except Next:
                continue
            except NextFile:
                self.main.skip_file()

    def matches(self, index: int, pattern) -> bool:
        if pattern is None:
            return True
        if isinstance(pattern, tuple):
            start, stop = pattern
            if not self.range_active.get(index):
                if not truth(start()):
                    return False
                self.range_active[index] = not truth(stop())
                return True
            if truth(stop()):
                self.range_active[index] = False
            return True
        return truth(pattern())


def _split_keep(regex: Regex, text: str) -> list[str]:
    """``re.split`` without the captured groups Python would insert."""
    pieces = []
    pos = 0
    for m in regex.re.finditer(text):
        if m.end() == m.start():
            continue
        pieces.append(text[pos:m.start()])
        pos = m.end()
    pieces.append(text[pos:])
    return pieces


def _expand_replacement(replacement: str, matched: str) -> str:
    out = []
    i = 0
    while i < len(replacement):
        c = replacement[i]
        if c == "\\" and i + 1 < len(replacement) and replacement[i + 1] in "&\\":
            out.append(replacement[i + 1])
            i += 2
            continue
        out.append(matched if c == "&" else c)
        i += 1
    return "".join(out)


def _trunc(value: float) -> int:
    if not math.isfinite(value):
        return 0 if math.isnan(value) else (1 << 62) * (1 if value > 0 else -1)
    return int(value)


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _log(x: float) -> float:
    if x < 0:
        return math.nan
    if x == 0:
        return -math.inf
    return math.log(x)


def _sqrt(x: float) -> float:
    return math.sqrt(x) if x >= 0 else math.nan


def _c_int(number: float) -> int:
    """busybox converts printf's integer arguments to a C ``int``: truncated, and an out-of-range
    (or infinite, or NaN) value becomes INT_MIN, as the x86 conversion gives."""
    if not math.isfinite(number):
        return -(1 << 31)
    value = int(number)
    return value if -(1 << 31) <= value < (1 << 31) else -(1 << 31)
