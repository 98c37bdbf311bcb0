"""Variable builtins: ``export readonly unset local declare typeset let``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ArithError, ShellError
from ..quote import single_quote
from ..variables import Array, Assoc, valid_name
from . import builtin, leading_options, special

if TYPE_CHECKING:
    from ..shell import Shell


def _split_assignment(arg: str) -> tuple[str, str | None, bool]:
    """``name=value`` / ``name+=value`` / ``name``."""
    name, eq, value = arg.partition("=")
    append = False
    if eq and name.endswith("+"):
        name = name[:-1]
        append = True
    return name, (value if eq else None), append


def _assign_arg(sh: Shell, arg: str, builtin_name: str) -> str | None:
    """Assign ``name=value`` from a builtin operand; returns the name (None if invalid)."""
    name, value, append = _split_assignment(arg)
    if not valid_name(name):
        raise ShellError(f"{name}: bad variable name", 2, builtin=builtin_name)
    if value is not None:
        if name in sh.readonly:
            raise ShellError(f"{name}: is read only", 2, builtin=builtin_name)
        if append:
            value = (sh.get_var(name) or "") + value
        sh.set_var(name, value)
    return name


@special("export")
def export(sh: Shell, argv: list[str]) -> int:
    """``export [-p] [-n] name[=value] ...``."""
    args = argv[1:]
    unexport = False
    for opt in leading_options(args):
        if opt == "-n":
            unexport = True
        elif opt != "-p":
            raise ShellError(f"illegal option {opt}", 2, builtin="export")
    if not args:
        _print_attr(sh, sh.exported, "export")
        return 0
    status = 0
    for arg in args:
        if unexport:
            sh.exported.discard(arg.partition("=")[0])
            sh._env_cache = None
            continue
        name = _assign_arg(sh, arg, "export")
        if name is None:
            status = 1
            continue
        sh.export(name)
    return status


@special("readonly")
def readonly(sh: Shell, argv: list[str]) -> int:
    """``readonly [-p] name[=value] ...``."""
    args = [a for a in argv[1:] if a not in ("-p", "--")]
    if not args:
        _print_attr(sh, sh.readonly, "readonly")
        return 0
    status = 0
    for arg in args:
        name = _assign_arg(sh, arg, "readonly")
        if name is None:
            status = 1
            continue
        sh.readonly.add(name)
    return status


def _print_attr(sh: Shell, names: set[str], word: str) -> None:
    lines = []
    for name in sorted(names):
        value = sh.get_var(name)
        lines.append(f"{word} {name}\n" if value is None else f"{word} {name}={single_quote(value)}\n")
    sh.write("".join(lines))


@special("unset")
def unset(sh: Shell, argv: list[str]) -> int:
    """``unset [-v|-f] name ...``."""
    args = argv[1:]
    mode = "v"
    for opt in leading_options(args):
        if opt in ("-f", "-v"):
            mode = opt[1]
        else:
            raise ShellError(f"illegal option {opt}", 2, builtin="unset")
    for name in args:
        if mode == "f":
            sh.functions.pop(name, None)
            continue
        if not valid_name(name) and not (sh.bash and name.endswith("]") and "[" in name):
            raise ShellError(f"{name}: bad variable name", 2, builtin="unset")
        if sh.bash and name.endswith("]") and "[" in name:
            base, _, sub = name[:-1].partition("[")
            if type(sh.vars.get(base)) is Assoc:
                sh.array_unset(base, sub)
            elif sub in ("@", "*"):
                sh.unset_var(base)
            else:
                sh.array_unset(base, sh.arith_eval(sub))
            continue
        sh.unset_var(name)
    return 0


@builtin("local")
def local(sh: Shell, argv: list[str]) -> int:
    """``local name[=value] ...``: variables restored when the function returns."""
    if not sh.frames:
        raise ShellError("not in a function", 2, builtin="local")
    if sh.bash:
        return declare(sh, argv)
    status = 0
    for arg in argv[1:]:
        if arg.startswith("-"):
            continue
        name, value, _ = _split_assignment(arg)
        if not valid_name(name):
            sh.errmsg(f"{arg}: bad variable name", "local")
            status = 1
            continue
        if name in sh.readonly:
            raise ShellError(f"{name}: is read only", 2, builtin="local")
        sh.make_local(name)
        if value is not None:
            sh.set_var(name, value)
        else:
            sh.vars.pop(name, None)  # busybox: a new local starts unset
    return status


@builtin("declare", "typeset", bash_only=True)
def declare(sh: Shell, argv: list[str]) -> int:
    """``declare [-aAfFgilprux] [name[=value] ...]`` (bash)."""
    flags: set[str] = set()
    unflags: set[str] = set()
    names: list[str] = []
    for arg in argv[1:]:
        if arg[:1] in "-+" and len(arg) > 1 and not names:
            target = flags if arg[0] == "-" else unflags
            for letter in arg[1:]:
                if letter == "n":
                    sh.errmsg("-n: name references are not supported by this shell", argv[0])
                    return 2
                if letter not in "aAfFgilprtux":
                    sh.errmsg(f"{arg}: invalid option", argv[0])
                    return 2
                target.add(letter)
        else:
            names.append(arg)
    if "f" in flags or "F" in flags:
        return _declare_functions(sh, names, "F" in flags)
    if not names:
        _declare_print(sh, None, flags)
        return 0
    if "p" in flags:
        return _declare_print(sh, names, flags)
    local_scope = bool(sh.frames) and "g" not in flags
    status = 0
    for arg in names:
        name, value, append = _split_assignment(arg)
        if not valid_name(name):
            sh.errmsg(f"`{arg}': not a valid identifier", argv[0])
            status = 1
            continue
        if local_scope:
            sh.make_local(name)
        if "a" in flags and type(sh.vars.get(name)) is not Array:
            current = sh.get_var(name)
            sh.vars[name] = Array({0: current} if current is not None else {})
        if "A" in flags and type(sh.vars.get(name)) is not Assoc:
            sh.vars[name] = Assoc()
        if "i" in flags:
            sh.integer.add(name)
        if "i" in unflags:
            sh.integer.discard(name)
        if value is not None:
            if value.startswith("(") and value.endswith(")"):
                _compound_assign(sh, name, value[1:-1], "A" in flags)
            else:
                if append:
                    value = (sh.get_var(name) or "") + value
                if "l" in flags:
                    value = value.lower()
                if "u" in flags:
                    value = value.upper()
                sh.set_var(name, value)
        elif name not in sh.vars and not flags & {"a", "A"} and local_scope:
            sh.vars.pop(name, None)
        if "x" in flags:
            sh.export(name)
        if "x" in unflags:
            sh.exported.discard(name)
            sh._env_cache = None
        if "r" in flags:
            sh.readonly.add(name)
    return status


def _compound_assign(sh: Shell, name: str, body: str, assoc: bool) -> None:
    from ..lexer import Lexer
    from ..parser import Parser

    words = Parser(Lexer(body, bash=True)).parse_all()
    values: list[str] = []
    for node in words:
        values.extend(sh.expand_words(getattr(node, "words", [])))
    if not assoc:
        sh.array_assign(name, values)
        return
    arr = Assoc()
    for item in values:
        if item.startswith("[") and "]=" in item:
            key, _, val = item[1:].partition("]=")
            arr[key] = val
    sh.vars[name] = arr


def _declare_functions(sh: Shell, names: list[str], names_only: bool) -> int:
    status = 0
    targets = names or sorted(sh.functions)
    for name in targets:
        fn = sh.functions.get(name)
        if fn is None:
            status = 1
            continue
        sh.write(f"declare -f {name}\n" if names_only else fn.text + "\n")
    return status


def _declare_print(sh: Shell, names: list[str] | None, flags: set[str]) -> int:
    status = 0
    for name in names if names is not None else sorted(sh.vars):
        value = sh.vars.get(name)
        if value is None:
            if names is not None:
                sh.errmsg(f"{name}: not found", "declare")
                status = 1
            continue
        attrs = ""
        if type(value) is Array:
            attrs += "a"
        elif type(value) is Assoc:
            attrs += "A"
        if name in sh.integer:
            attrs += "i"
        if name in sh.readonly:
            attrs += "r"
        if name in sh.exported:
            attrs += "x"
        if type(value) is str:
            text = '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$") + '"'
        else:
            items = sorted(value.items(), key=lambda kv: kv[0]) if type(value) is Array else value.items()  # type: ignore[union-attr]
            text = "(" + " ".join(f'[{k}]="{v}"' for k, v in items) + ")"
        sh.write(f"declare -{attrs or '-'} {name}={text}\n")
    return status


@builtin("let")
def let(sh: Shell, argv: list[str]) -> int:
    """``let expr ...``: status 0 when the last value is non-zero."""
    if len(argv) < 2:
        sh.errmsg("expression expected", "let")
        return 2
    value = 0
    for expr in argv[1:]:
        try:
            value = sh.arith_eval(expr)
        except ArithError as exc:  # an error of the builtin, not of the shell's expansion
            sh.errmsg(str(exc), "let")
            return exc.status
    return 0 if value else 1
