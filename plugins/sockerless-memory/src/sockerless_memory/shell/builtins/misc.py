"""Other builtins: ``command type hash getopts alias unalias umask ulimit shopt builtin``."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..parser import RESERVED
from ..quote import single_quote
from . import SPECIAL, builtin, is_builtin, leading_options

if TYPE_CHECKING:
    from ..shell import Shell

KEYWORDS = RESERVED | {"[[", "]]"}


def describe(sh: Shell, name: str, verbose: bool) -> tuple[str | None, int]:
    """What ``name`` is (``command -v``/``-V``, ``type``); None when not found."""
    if name in sh.aliases:
        text = sh.aliases[name]
        return (f"{name} is an alias for {text}" if verbose else f"alias {name}={single_quote(text)}"), 0
    if name in KEYWORDS:
        return (f"{name} is a shell keyword" if verbose else name), 0
    if name in sh.functions:
        return (f"{name} is a function" if verbose else name), 0
    if name in SPECIAL:
        return (f"{name} is a special shell builtin" if verbose else name), 0
    if is_builtin(name, sh.bash):
        return (f"{name} is a shell builtin" if verbose else name), 0
    path = sh.find_command(name)
    if path is not None and sh.fs.exists(path, sh.proc.cwd):
        return (f"{name} is {path}" if verbose else path), 0
    return None, 127


@builtin("command")
def command(sh: Shell, argv: list[str]) -> int:
    """``command [-p] [-v|-V] name [args]``: run without function lookup, or describe."""
    args = argv[1:]
    mode = ""
    for opt in leading_options(args):
        for letter in opt[1:]:
            if letter in "vV":
                mode = letter
            elif letter != "p":
                sh.errmsg(f"illegal option -{letter}", "command")
                return 2
    if not args:
        return 0
    if mode:
        status = 0
        for name in args:
            text, code = describe(sh, name, mode == "V")
            if text is None:
                if mode == "V":
                    sh.write(f"{name}: not found\n")
                status = code
            else:
                sh.write(text + "\n")
        return status
    return sh.invoke(args, functions=False)


def _kind(sh: Shell, name: str) -> str | None:
    """bash's ``type -t`` word for ``name``."""
    if name in sh.aliases:
        return "alias"
    if name in KEYWORDS:
        return "keyword"
    if name in sh.functions:
        return "function"
    if name in SPECIAL or is_builtin(name, sh.bash):
        return "builtin"
    return "file" if sh.find_command(name) is not None else None


def _bash_type(sh: Shell, letters: str, names: list[str]) -> int:
    """bash's ``type -t|-p|-P|-a``."""
    status = 0
    for name in names:
        kind = _kind(sh, name)
        if "P" in letters or ("p" in letters and kind == "file"):
            path = sh.find_command(name)
            if path is not None:
                sh.write(path + "\n")
            elif "P" in letters:
                status = 1
            continue
        if "p" in letters:
            status = status if kind is not None else 1
            continue
        if kind is None:
            if "t" not in letters:
                sh.errmsg(f"{name}: not found", "type")
            status = 1
        elif "t" in letters:
            sh.write(kind + "\n")
        else:
            text, _ = describe(sh, name, True)
            sh.write(f"{text}\n")
    return status


@builtin("type")
def type_(sh: Shell, argv: list[str]) -> int:
    """``type name ...`` (bash also ``-t``, ``-p``, ``-P``)."""
    status = 0
    if sh.bash and len(argv) > 1 and argv[1].startswith("-") and len(argv[1]) > 1:
        letters = argv[1][1:]
        if not set(letters) <= set("tpP"):
            sh.errmsg(f"{argv[1]}: invalid option", "type")
            return 2
        return _bash_type(sh, letters, argv[2:])
    for name in argv[1:]:
        text, code = describe(sh, name, True)
        if text is None:
            sh.write(f"{name}: not found\n")
            status = code
        else:
            sh.write(text + "\n")
    return status


@builtin("builtin", bash_only=True)
def builtin_(sh: Shell, argv: list[str]) -> int:
    """``builtin name [args]``: run a builtin, bypassing functions."""
    if len(argv) < 2:
        return 0
    if not is_builtin(argv[1], sh.bash):
        sh.errmsg(f"{argv[1]}: not a shell builtin", "builtin")
        return 1
    return sh.invoke(argv[1:], functions=False)


@builtin("hash")
def hash_(sh: Shell, argv: list[str]) -> int:
    """``hash [-r] [name ...]``: the remembered locations of commands."""
    args = argv[1:]
    if args and args[0] == "-r":
        sh.cmd_hash.clear()
        args = args[1:]
    if not args:
        if len(argv) == 1:
            sh.write("".join(f"{path}\n" for path in sh.cmd_hash.values()))
        return 0
    status = 0
    for name in args:
        sh.cmd_hash.pop(name, None)
        if is_builtin(name, sh.bash) or name in sh.functions:
            continue
        if sh.find_command(name) is None:
            sh.errmsg(f"{name}: not found", "hash")
            status = 1
    return status


@builtin("getopts")
def getopts(sh: Shell, argv: list[str]) -> int:
    """``getopts optstring name [args]``."""
    if len(argv) < 3:
        sh.errmsg("usage: getopts optstring var [arg]", "getopts")
        return 2
    optstring, name = argv[1], argv[2]
    args = argv[3:] if len(argv) > 3 else sh.params
    silent = optstring.startswith(":")
    if silent:
        optstring = optstring[1:]
    try:
        optind = int(sh.get_var("OPTIND") or "1")
    except ValueError:
        optind = 1
    state = sh.getopts_state
    pos = state[1] if state is not None and state[0] == optind else 1
    sh.vars.pop("OPTARG", None)
    if optind < 1 or optind > len(args) or not args[optind - 1].startswith("-") or args[optind - 1] == "-":
        return _getopts_end(sh, name)
    arg = args[optind - 1]
    if arg == "--":
        sh.set_var("OPTIND", str(optind + 1))
        return _getopts_end(sh, name)
    letter = arg[pos]
    pos += 1
    at_end = pos >= len(arg)
    index = optstring.find(letter) if letter != ":" else -1
    if index < 0:
        if silent:
            sh.set_var("OPTARG", letter)
        else:
            _stderr(sh, f"Illegal option -{letter}\n")
        result = "?"
    elif index + 1 < len(optstring) and optstring[index + 1] == ":":
        if not at_end:
            sh.set_var("OPTARG", arg[pos:])
            at_end = True
        elif optind < len(args):
            sh.set_var("OPTARG", args[optind])
            optind += 1
        else:
            if silent:
                sh.set_var("OPTARG", letter)
                result = ":"
            else:
                _stderr(sh, f"No arg for -{letter} option\n")
                result = "?"
            _advance(sh, optind, pos, True)
            sh.set_var(name, result)
            return 0
        result = letter
    else:
        result = letter
    _advance(sh, optind, pos, at_end)
    sh.set_var(name, result)
    return 0


def _advance(sh: Shell, optind: int, pos: int, at_end: bool) -> None:
    if at_end:
        optind += 1
        pos = 1
    sh.set_var("OPTIND", str(optind))
    sh.getopts_state = (optind, pos)


def _getopts_end(sh: Shell, name: str) -> int:
    sh.set_var(name, "?")
    sh.getopts_state = None
    return 1


def _stderr(sh: Shell, text: str) -> None:
    try:
        sh.proc.stderr.write(text.encode())
    except OSError:
        pass


@builtin("alias")
def alias(sh: Shell, argv: list[str]) -> int:
    """``alias [name[=value] ...]``."""
    if len(argv) == 1:
        sh.write("".join(f"{n}={single_quote(v)}\n" for n, v in sorted(sh.aliases.items())))
        return 0
    status = 0
    for arg in argv[1:]:
        name, eq, value = arg.partition("=")
        if eq:
            sh.aliases[name] = value
        elif name in sh.aliases:
            sh.write(f"{name}={single_quote(sh.aliases[name])}\n")
        else:
            _stderr(sh, f"alias: {name} not found\n")
            status = 1
    return status


@builtin("unalias")
def unalias(sh: Shell, argv: list[str]) -> int:
    """``unalias [-a] name ...``."""
    status = 0
    for name in argv[1:]:
        if name == "-a":
            sh.aliases.clear()
        elif sh.aliases.pop(name, None) is None:
            _stderr(sh, f"unalias: {name} not found\n")
            status = 1
    return status


_SYMBOLIC = re.compile(r"([ugoa]*)([-+=])([rwx]*)")


@builtin("umask")
def umask(sh: Shell, argv: list[str]) -> int:
    """``umask [-S] [mode]``."""
    args = argv[1:]
    symbolic = False
    if args and args[0] == "-S":
        symbolic = True
        args = args[1:]
    proc = sh.proc
    if not args:
        if symbolic:
            allowed = ~proc.umask & 0o777
            parts = []
            for who, shift in (("u", 6), ("g", 3), ("o", 0)):
                bits = (allowed >> shift) & 7
                parts.append(who + "=" + "".join(c for c, b in (("r", 4), ("w", 2), ("x", 1)) if bits & b))
            sh.write(",".join(parts) + "\n")
        else:
            sh.write(f"{proc.umask:04o}\n")
        return 0
    mode = args[0]
    if mode.isdigit():
        if not all(c in "01234567" for c in mode) or int(mode, 8) > 0o777:
            sh.errmsg(f"illegal mode: {mode}", "umask")
            return 2
        proc.umask = int(mode, 8)
        return 0
    allowed = ~proc.umask & 0o777
    for clause in mode.split(","):
        m = _SYMBOLIC.fullmatch(clause)
        if m is None:
            sh.errmsg(f"illegal mode: {mode}", "umask")
            return 2
        who = m.group(1) or "a"
        bits = sum(b for c, b in (("r", 4), ("w", 2), ("x", 1)) if c in m.group(3))
        mask = 0
        for c, shift in (("u", 6), ("g", 3), ("o", 0)):
            if c in who or "a" in who:
                mask |= bits << shift
        full = sum(7 << shift for c, shift in (("u", 6), ("g", 3), ("o", 0)) if c in who or "a" in who)
        op = m.group(2)
        if op == "+":
            allowed |= mask
        elif op == "-":
            allowed &= ~mask
        else:
            allowed = (allowed & ~full) | mask
    proc.umask = ~allowed & 0o777
    return 0


_LIMITS = (
    ("c", "core file size (blocks)", "0"),
    ("d", "data seg size (kb)", "unlimited"),
    ("e", "scheduling priority", "0"),
    ("f", "file size (blocks)", "unlimited"),
    ("i", "pending signals", "63372"),
    ("l", "max locked memory (kb)", "8192"),
    ("m", "max memory size (kb)", "unlimited"),
    ("n", "open files", "1048576"),
    ("p", "pipe size (512 bytes)", "8"),
    ("q", "POSIX message queues (bytes)", "819200"),
    ("r", "real-time priority", "0"),
    ("s", "stack size (kb)", "8192"),
    ("t", "cpu time (seconds)", "unlimited"),
    ("u", "max user processes", "unlimited"),
    ("v", "virtual memory (kb)", "unlimited"),
    ("x", "file locks", "unlimited"),
)


@builtin("ulimit")
def ulimit(sh: Shell, argv: list[str]) -> int:
    """``ulimit [-a] [-HS] [-letter]``: reports the limits; the sandbox cannot change them."""
    letters = []
    value = None
    for arg in argv[1:]:
        if arg.startswith("-"):
            letters.extend(c for c in arg[1:] if c not in "HS")
        else:
            value = arg
    if value is not None:
        sh.errmsg("setting resource limits is not supported in the memory sandbox", "ulimit")
        return 1
    table = {letter: (desc, val) for letter, desc, val in _LIMITS}
    if "a" in letters:
        sh.write("".join(f"{desc:<32}(-{letter}) {val}\n" for letter, desc, val in _LIMITS))
        return 0
    if not letters:
        letters = ["f"]
    for letter in letters:
        if letter not in table:
            sh.errmsg(f"illegal option -{letter}", "ulimit")
            return 1
        sh.write(table[letter][1] + "\n")
    return 0


_SHOPT_SUPPORTED = {"nullglob", "dotglob", "expand_aliases", "nocasematch", "failglob"}
_SHOPT_NOOP = {"checkwinsize", "histappend", "cmdhist", "progcomp", "promptvars", "interactive_comments",
               "sourcepath", "extquote", "force_fignore", "hostcomplete", "complete_fullquote", "checkhash",
               "inherit_errexit", "globasciiranges", "login_shell", "huponexit", "lithist", "no_empty_cmd_completion",
               "xpg_echo"}
_SHOPT_REFUSED = {"extglob", "globstar", "lastpipe", "nocaseglob", "autocd", "cdspell", "dirspell", "direxpand",
                  "execfail", "extdebug", "globskipdots", "patsub_replacement", "compat31", "compat32", "compat40",
                  "compat41", "compat42", "compat43", "compat44", "assoc_expand_once", "localvar_inherit",
                  "localvar_unset", "shift_verbose", "varredir_close", "gnu_errfmt", "histreedit", "histverify",
                  "mailwarn", "noexpand_translation", "restricted_shell", "nocasematch_off", "cdable_vars",
                  "checkjobs", "extquote_off"}
_SHOPT_DEFAULT_ON = {"checkwinsize", "cmdhist", "progcomp", "promptvars", "interactive_comments", "sourcepath",
                     "extquote", "force_fignore", "hostcomplete", "complete_fullquote", "globasciiranges"}


@builtin("shopt", bash_only=True)
def shopt(sh: Shell, argv: list[str]) -> int:
    """``shopt [-s|-u|-q|-p] [name ...]``; options this shell cannot honour are refused."""
    mode = None
    quiet = False
    names: list[str] = []
    for arg in argv[1:]:
        if arg in ("-s", "-u"):
            mode = arg[1]
        elif arg == "-q":
            quiet = True
        elif arg in ("-p", "-o"):
            if arg == "-o":
                sh.errmsg("-o: set -o options are not supported by shopt here; use set -o", "shopt")
                return 2
        elif arg.startswith("-"):
            sh.errmsg(f"{arg}: invalid option", "shopt")
            return 2
        else:
            names.append(arg)
    known = _SHOPT_SUPPORTED | _SHOPT_NOOP | _SHOPT_REFUSED
    for name in names:
        if name not in known:
            sh.errmsg(f"{name}: invalid shell option name", "shopt")
            return 1
    if mode is None:
        status = 0
        for name in names or sorted(known):
            on = name in sh.shopts or (name in _SHOPT_DEFAULT_ON and f"no:{name}" not in sh.shopts)
            if not on:
                status = 1
            if not quiet:
                sh.write(f"{name:<24}{'on' if on else 'off'}\n")
        return status
    for name in names:
        if name in _SHOPT_REFUSED and mode == "s":
            sh.errmsg(f"{name}: not supported by this shell", "shopt")
            return 1
        if mode == "s":
            sh.shopts.add(name)
            sh.shopts.discard(f"no:{name}")
        else:
            sh.shopts.discard(name)
            sh.shopts.add(f"no:{name}")
    return 0


@builtin("help", bash_only=True)
def help_(sh: Shell, argv: list[str]) -> int:
    """``help``: the list of builtins."""
    from . import regular

    names = sorted(set(SPECIAL) | set(regular(sh.bash)))
    sh.write("Built-in commands:\n" + " ".join(names) + "\n")
    return 0
