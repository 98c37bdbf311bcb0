"""Control builtins: ``: eval exec exit return break continue shift set . source times``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...sandbox.signals import ProcessExit
from ..command import run_exec
from ..errors import BreakLoop, ContinueLoop, ReturnFromFunction, ShellError
from ..options import LETTERS
from ..quote import single_quote
from . import builtin, special

if TYPE_CHECKING:
    from ..shell import Shell


def number(arg: str, builtin: str) -> int:
    """A non-negative decimal operand, or busybox's fatal ``Illegal number``."""
    if not arg.isdigit() or not arg.isascii():
        raise ShellError(f"Illegal number: {arg}", 2, builtin=builtin)
    return int(arg)


@special(":")
def colon(sh: Shell, argv: list[str]) -> int:
    """``:``: do nothing, successfully."""
    return 0


@special("eval")
def eval_(sh: Shell, argv: list[str]) -> int:
    """``eval args``: run the arguments as shell text."""
    text = " ".join(argv[1:])
    if not text.strip():
        return 0
    return sh.run_text(text, builtin="eval")


@special("exec")
def exec_(sh: Shell, argv: list[str]) -> int:
    """``exec [cmd args]``: with a command, replace the shell; without, keep the redirections."""
    args = argv[1:]
    if args and args[0] == "--":
        args = args[1:]
    if not args:
        return 0
    return run_exec(sh, args)


exec_.keeps_redirections = True  # type: ignore[attr-defined]


@special("exit")
def exit_(sh: Shell, argv: list[str]) -> int:
    """``exit [n]``."""
    status = sh.status if len(argv) < 2 else number(argv[1], "exit")
    raise ProcessExit(status & 0xFF)


@special("return")
def return_(sh: Shell, argv: list[str]) -> int:
    """``return [n]``: leave a function or a sourced file."""
    status = sh.status if len(argv) < 2 else _signed(argv[1], "return")
    raise ReturnFromFunction(status & 0xFF)


def _signed(arg: str, builtin: str) -> int:
    text = arg[1:] if arg.startswith("-") else arg
    value = number(text, builtin)
    return -value if arg.startswith("-") else value


@special("break", "continue")
def break_(sh: Shell, argv: list[str]) -> int:
    """``break [n]`` / ``continue [n]``."""
    name = argv[0]
    count = 1
    if len(argv) > 1:
        count = number(argv[1], name)
        if count < 1:
            raise ShellError(f"Illegal number: {argv[1]}", 2, builtin=name)
    if sh.loop_depth == 0:
        return 0
    count = min(count, sh.loop_depth)
    raise BreakLoop(count) if name == "break" else ContinueLoop(count)


@special("shift")
def shift(sh: Shell, argv: list[str]) -> int:
    """``shift [n]``."""
    n = number(argv[1], "shift") if len(argv) > 1 else 1
    if n > len(sh.params):
        return 1
    sh.params = sh.params[n:]
    return 0


@special("set")
def set_(sh: Shell, argv: list[str]) -> int:
    """``set``: list variables, change options, set the positional parameters."""
    args = argv[1:]
    if not args:
        _list_variables(sh)
        return 0
    i = 0
    status = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            sh.params = args[i + 1:]
            return status
        if arg in ("-", "+"):
            if arg == "-":
                sh.opts.xtrace = sh.opts.verbose = False
            i += 1
            if i < len(args):
                sh.params = args[i:]
            return status
        if arg[0] not in "-+" or len(arg) < 2:
            sh.params = args[i:]
            return status
        on = arg[0] == "-"
        if arg[1:] == "o":
            i += 1
            if i >= len(args):
                sh.write(sh.opts.listing(reusable=not on))
                return status
            name = args[i]
            if not _set_long(sh, name, on):
                sh.errmsg(f"illegal option {arg} {name}", "set")
                status = 1
            i += 1
            continue
        for letter in arg[1:]:
            if letter == "o":
                i += 1
                if i >= len(args):
                    sh.write(sh.opts.listing(reusable=not on))
                    return status
                if not _set_long(sh, args[i], on):
                    sh.errmsg(f"illegal option {arg[0]}o {args[i]}", "set")
                    status = 1
                continue
            if letter not in LETTERS:
                if sh.bash and letter in _BASH_LETTERS:
                    _bash_letter(sh, letter, on)
                    continue
                raise ShellError(f"illegal option {arg[0]}{letter}", 2, builtin="set")
            sh.opts.set_letter(letter, on)
        i += 1
    return status


# bash's extra flags: -B brace expansion, -H history (no history here), -T traps in functions,
# -P physical cd, -k/-t obsolete; all but -B and -P change nothing in this shell
_BASH_LETTERS = "BHTPkt"


_BASH_LONG = {"braceexpand": "B", "histexpand": "H", "functrace": "T", "physical": "P", "keyword": "k",
              "onecmd": "t", "history": "", "interactive-comments": "", "nolog": "", "posix": "", "privileged": ""}


def _bash_letter(sh: Shell, letter: str, on: bool) -> None:
    flag = {"B": "no:braceexpand", "P": "physical"}.get(letter)
    if flag is None:
        return
    if (letter == "B") != on:
        sh.shopts.add(flag)
    else:
        sh.shopts.discard(flag)


def _set_long(sh: Shell, name: str, on: bool) -> bool:
    if sh.opts.set_long(name, on):
        return True
    if sh.bash and name in _BASH_LONG:
        _bash_letter(sh, _BASH_LONG[name], on)
        return True
    return False


def _list_variables(sh: Shell) -> None:
    lines = []
    for name in sorted(sh.vars):
        value = sh.vars[name]
        if type(value) is str:
            lines.append(f"{name}={single_quote(value)}\n")
        else:
            items = " ".join(f"[{k}]={single_quote(v)}" for k, v in sorted(value.items(), key=lambda kv: str(kv[0])))  # type: ignore[union-attr]
            lines.append(f"{name}=({items})\n")
    sh.write("".join(lines))


@special(".")
def dot(sh: Shell, argv: list[str]) -> int:
    """``. file [args]``: run a file in the current shell (searched in ``PATH``)."""
    return _source(sh, argv, ".")


def _source(sh: Shell, argv: list[str], name: str) -> int:
    if len(argv) < 2:
        if sh.bash:
            sh.errmsg("filename argument required", name)
        return 2
    path = argv[1]
    found = path if "/" in path else _search_path(sh, path)
    if found is None and sh.bash:
        found = path  # bash falls back to the working directory
    if found is None:
        raise ShellError(f"{path}: not found", 2, builtin=name)
    try:
        data = sh.read_file(found)
    except OSError as exc:
        if sh.bash:
            raise ShellError(f"{path}: {exc.strerror}", 1, builtin=name) from None
        raise ShellError(f"can't open '{path}': {exc.strerror}", 2, builtin=name) from None
    text = data.decode("utf-8", "surrogateescape")
    saved_params = sh.params
    if len(argv) > 2:
        sh.params = argv[2:]
    sh.source_depth += 1
    saved_line = sh.lineno
    try:
        return sh.run_text(text, line=1)
    except ReturnFromFunction as ret:
        return ret.status
    finally:
        sh.source_depth -= 1
        sh.lineno = saved_line
        if len(argv) > 2:
            sh.params = saved_params


def _search_path(sh: Shell, name: str) -> str | None:
    for directory in (sh.get_var("PATH") or "").split(":"):
        candidate = f"{directory or '.'}/{name}"
        try:
            if not sh.fs.is_dir(candidate, sh.proc.cwd) and sh.fs.exists(candidate, sh.proc.cwd):
                return candidate
        except OSError:
            continue
    return None


@builtin("source")
def source(sh: Shell, argv: list[str]) -> int:
    """``source file [args]`` (same as ``.``)."""
    return _source(sh, argv, "source")


@special("times")
def times(sh: Shell, argv: list[str]) -> int:
    """``times``: CPU time of the shell and its children."""
    user = sh.proc.cpu_seconds()
    sh.write(f"{_minutes(user)} {_minutes(0.0)}\n{_minutes(0.0)} {_minutes(0.0)}\n")
    return 0


def _minutes(seconds: float) -> str:
    return f"{int(seconds // 60)}m{seconds % 60:.3f}s"
