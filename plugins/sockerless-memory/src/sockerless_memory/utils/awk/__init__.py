"""awk: a POSIX AWK interpreter (with the common gawk/busybox extensions)."""

from __future__ import annotations

from ..common import Util, strerror, utility
from .interp import InputError, Interp, decode
from .lexer import AwkSyntaxError, unescape
from .parser import AwkRuntimeError, Parser
from .values import StrNum

_USAGE = """awk [OPTIONS] [AWK_PROGRAM] [FILE]...

\t-v VAR=VAL\tSet variable
\t-F SEP\t\tUse SEP as field separator
\t-f FILE\t\tRead program from FILE
\t-e AWK_PROGRAM"""


@utility("awk", usage=_USAGE)
def awk(u: Util, argv: list[str]) -> int:
    """awk [-F SEP] [-v VAR=VAL]... [-f FILE | -e PROGRAM | PROGRAM] [FILE]..."""
    opts, args = u.getopt(argv[1:], "F:v:f:e:W:", {"field-separator=": "F", "assign=": "v", "file=": "f", "source=": "e"})
    sources: list[str] = []
    for key, value in opts.seen:
        if key == "f":
            try:
                with u.input(value or "") as file:
                    sources.append(decode(file.read()))
            except OSError as exc:
                u.fail(f"can't open '{value}': {strerror(exc)}")
        elif key == "e":
            sources.append(decode((value or "").encode("utf-8", "surrogateescape")))
    if not sources:
        if not args:
            u.usage_error()
        sources.append(decode(args.pop(0).encode("utf-8", "surrogateescape")))
    interp = Interp(u)
    for assignment in opts.all("v"):
        name, eq, value = assignment.partition("=")
        if not eq or not name.isidentifier():
            u.fail(f"bad -v argument '{assignment}'")
        interp.variables[name] = StrNum(unescape(decode(value.encode("utf-8", "surrogateescape"))))
    if "F" in opts:
        separator = unescape(decode((opts.get("F") or "").encode("utf-8", "surrogateescape")))
        interp.variables["FS"] = "\t" if separator == "t" else separator
    operands = [decode(a.encode("utf-8", "surrogateescape")) for a in args]
    interp.variables["ARGV"] = {str(i): StrNum(a) for i, a in enumerate(["awk", *operands])}
    interp.variables["ARGC"] = float(len(operands) + 1)
    try:
        program = Parser("\n".join(sources), interp).parse()
    except AwkSyntaxError as exc:
        u.fail(f"cmd. line:{exc.line}: {exc}")
    try:
        status = interp.run(program)
    except InputError as exc:
        interp.close_all()
        u.fail(str(exc))
    except AwkRuntimeError as exc:
        interp.close_all()
        u.fail(f"cmd. line:{interp.line}: {exc}")
    except RecursionError:
        interp.close_all()
        u.fail(f"cmd. line:{interp.line}: function call nesting is too deep")
    interp.close_all()
    return status
