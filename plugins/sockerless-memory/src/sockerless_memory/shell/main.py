"""The ``sh``/``ash``/``bash`` applet: command-line parsing and the choice of input.

``sh -c STRING [name [args]]``, ``sh FILE [args]``, ``sh -s [args]`` or a script on
stdin; an interactive session with prompts when stdin is a terminal (or with ``-i``).
"""

from __future__ import annotations

import os
import sys

from ..sandbox.applets import applet
from ..sandbox.process import Disposition, Process
from ..sandbox.signals import SIGINT, SIGQUIT, SIGTERM, Interrupted
from .errors import ReturnFromFunction, ShellError
from .lexer import Lexer
from .options import LETTERS
from .shell import Shell

USAGE = "Usage: sh [-/+OPTIONS] [-/+o OPT]... [-c 'SCRIPT' [ARG0 ARGS] | FILE ARGS | -s ARGS]\n"
_MIN_RECURSION = 6000


class _Args:
    def __init__(self) -> None:
        self.command: str | None = None
        self.read_stdin = False
        self.interactive: bool | None = None
        self.login = False
        self.flags: list[tuple[str, bool]] = []
        self.long: list[tuple[str, bool]] = []
        self.operands: list[str] = []


def _parse_args(argv: list[str], bash: bool) -> _Args | str:
    """Options up to the first operand; returns an error message on bad usage."""
    a = _Args()
    i = 1
    want_command = False
    while i < len(argv):
        arg = argv[i]
        if arg == "--" or arg == "-":
            i += 1
            break
        if bash and arg.startswith("--") and len(arg) > 2:
            if arg in ("--norc", "--noprofile", "--posix", "--noediting", "--login"):
                a.login = a.login or arg == "--login"
                i += 1
                continue
            if arg == "--version":
                return "VERSION"
            return f"{arg}: invalid option"
        if arg[0] not in "-+" or len(arg) < 2:
            break
        on = arg[0] == "-"
        j = 1
        while j < len(arg):
            letter = arg[j]
            if letter == "c" and on:
                want_command = True
            elif letter == "s" and on:
                a.read_stdin = True
            elif letter == "i":
                a.interactive = on
            elif letter == "l" and on:
                a.login = True
            elif letter == "o":
                i += 1
                if i >= len(argv):
                    return "-o: option requires an argument"
                a.long.append((argv[i], on))
            elif letter in LETTERS:
                a.flags.append((letter, on))
            else:
                return f"illegal option {arg[0]}{letter}"
            j += 1
        i += 1
    rest = argv[i:]
    if want_command:
        if not rest:
            return "-c requires an argument"
        a.command = rest[0]
        rest = rest[1:]
    a.operands = rest
    return a


@applet("sh", "ash", "bash")
def sh_main(proc: Process, argv: list[str]) -> int:
    """Entry point of the shell applet."""
    if sys.getrecursionlimit() < _MIN_RECURSION:
        sys.setrecursionlimit(_MIN_RECURSION)  # deep shell function recursion is deep Python recursion
    name = os.path.basename(argv[0]) if argv else "sh"
    bash = name == "bash" or name.startswith("bash")
    parsed = _parse_args(argv, bash)
    if parsed == "VERSION":
        proc.stdout.write(b"GNU bash, version 5.2.15(1)-release (sockerless memory sandbox shell)\n")
        return 0
    if isinstance(parsed, str):
        proc.stderr.write(f"{name}: {parsed}\n".encode())
        proc.stderr.write(USAGE.encode())
        return 2
    a = parsed
    shell = Shell(proc, bash=bash, arg0=name)
    for letter, on in a.flags:
        shell.opts.set_letter(letter, on)
    for long_name, on in a.long:
        if not shell.opts.set_long(long_name, on):
            proc.stderr.write(f"{name}: {'-' if on else '+'}o {long_name}: invalid option\n".encode())
            return 2
    if a.login or (argv and argv[0].startswith("-")):
        _source_profiles(shell)
    if a.command is not None:
        shell.opts.cmdstr = True
        if a.operands:
            shell.arg0 = shell.errname = a.operands[0]
            shell.named_source = True
            shell.params = a.operands[1:]
        shell.line_offset = 0 if bash else -1  # busybox counts -c lines from 0
        return shell.main_loop(Lexer(a.command, bash=bash))
    if a.operands and not a.read_stdin:
        return _run_file(shell, a.operands[0], a.operands[1:])
    shell.params = a.operands
    shell.opts.stdin = True
    stdin = proc.fds.get(0)
    interactive = a.interactive if a.interactive is not None else bool(stdin is not None and stdin.isatty())
    if interactive:
        return _interactive(shell)
    return shell.main_loop(Lexer("", _stdin_reader(proc), bash=bash))


def _source_profiles(shell: Shell) -> None:
    """A login shell runs ``/etc/profile`` and ``~/.profile`` first (errors are reported, not fatal)."""
    home = shell.get_var("HOME") or "/"
    for path in ("/etc/profile", home.rstrip("/") + "/.profile"):
        _source_quietly(shell, path)


def _source_quietly(shell: Shell, path: str) -> None:
    try:
        data = shell.read_file(path)
    except OSError:
        return
    try:
        shell.run_text(data.decode("utf-8", "surrogateescape"), line=1)
    except ShellError as exc:
        shell.report(exc)
    except ReturnFromFunction:
        pass


def _run_file(shell: Shell, path: str, args: list[str]) -> int:
    proc = shell.proc
    shell.arg0 = shell.errname = path
    shell.params = args
    try:
        data = shell.read_file(path)
    except OSError as exc:
        name = os.path.basename(proc.argv[0]) if proc.argv else "sh"
        proc.stderr.write(f"{name}: can't open '{path}': {exc.strerror}\n".encode())
        return 2
    shell.named_source = True
    text = data.decode("utf-8", "surrogateescape")
    return shell.main_loop(Lexer(text, bash=shell.bash))


def _stdin_reader(proc: Process):
    """Read the script from stdin one line at a time, leaving the rest to the commands."""

    def read() -> str:
        """The next line of input."""
        stdin = proc.fds.get(0)
        if stdin is None:
            return ""
        try:
            return stdin.readline().decode("utf-8", "surrogateescape")
        except OSError:
            return ""

    return read


def _interactive(shell: Shell) -> int:
    proc = shell.proc
    shell.opts.interactive = True
    env_file = shell.get_var("ENV")
    if env_file:  # POSIX: an interactive shell runs the file named by $ENV
        _source_quietly(shell, shell.expand_prompt_text(env_file))
    disp = proc.dispositions
    disp[SIGINT] = Disposition.CATCH
    disp.setdefault(SIGQUIT, Disposition.IGNORE)
    disp.setdefault(SIGTERM, Disposition.IGNORE)
    shell.prompt_next = True

    def read() -> str:
        """The next line of input."""
        prompt = shell.prompt("PS1" if shell.prompt_next else "PS2")
        shell.prompt_next = False
        err = proc.fds.get(2)
        if err is not None:
            try:
                err.write(prompt.encode("utf-8", "surrogateescape"))
                err.flush()
            except OSError:
                pass
        stdin = proc.fds.get(0)
        if stdin is None:
            return ""
        proc.interruptible = True
        try:
            data = stdin.readline()
        except Interrupted:
            raise
        except OSError:
            return ""
        finally:
            proc.interruptible = False
        return data.decode("utf-8", "surrogateescape")

    lexer = Lexer("", read, bash=shell.bash)
    return shell.main_loop(lexer, interactive=True)
