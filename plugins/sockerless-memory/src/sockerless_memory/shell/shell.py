"""The shell's state and its top-level read-parse-execute loop."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from ..sandbox.process import Process
from ..sandbox.signals import Interrupted, ProcessExit
from . import builtins as builtin_table
from .ast import ListNode, Lit, Node, Simple
from .command import CommandMixin
from .errors import BreakLoop, ContinueLoop, ReturnFromFunction, ShellError, ShellSyntaxError
from .expand import ExpandMixin
from .interp import ExecMixin
from .jobs import JobTable
from .lexer import Lexer
from .options import Options
from .parser import EMPTY, Parser
from .procsub import OpenSubstitution
from .prompt import PromptMixin
from .redirect import RedirMixin
from .traps import TrapMixin
from .variables import Array, Assoc, VarsMixin

if TYPE_CHECKING:
    from .ast import FuncDef

BASH_VERSION = "5.2.15(1)-release"
BUSYBOX_PATH = "/sbin:/usr/sbin:/bin:/usr/bin"


class Shell(VarsMixin, ExpandMixin, ExecMixin, CommandMixin, RedirMixin, TrapMixin, PromptMixin):
    """One shell process: variables, functions, options, traps, jobs, and the interpreter."""

    def __init__(self, proc: Process, *, bash: bool = False, arg0: str = "sh") -> None:
        self.proc = proc
        self.kernel = proc.kernel
        self.fs = proc.kernel.fs
        self.bash = bash
        self.arg0 = arg0
        self.errname = arg0
        self.named_source = False
        self.line_offset = 0
        self.params: list[str] = []
        self.status = 0
        self.opts = Options()
        self.opts.hashall = True
        self.functions: dict[str, FuncDef] = {}
        self.aliases: dict[str, str] = {}
        self.traps: dict[int | str, str] = {}
        self.jobs = JobTable()
        self.procsubs: list[OpenSubstitution] = []  # <(...) and >(...) of the running command
        self.procsub_children: list[Process] = []  # every process substitution not yet waited for
        self.root_pid = proc.pid
        self.last_bg: int | None = None
        self.tested = 0
        self.func_depth = 0
        self.func_names: list[str] = []
        self.loop_depth = 0
        self.source_depth = 0
        self.in_subshell = False
        self.background = False
        self.tail = False
        self.in_trap = False
        self.cmd_hash: dict[str, str] = {}
        self.lineno = 0
        self.cmdsub_status = 0
        self.write_failed = False  # a builtin's output could not be written
        self.arith_depth = 0
        self.getopts_state: tuple[int, int] | None = None
        self.random = random.Random()
        self.dir_stack: list[str] = []
        self.shopts: set[str] = set()
        self.special = builtin_table.SPECIAL
        self.builtins = builtin_table.regular(bash)
        self._init_vars(proc.env)
        self._init_defaults()

    def _init_defaults(self) -> None:
        proc = self.proc
        if "PATH" not in self.vars:
            self.export("PATH", BUSYBOX_PATH)
        self.vars["IFS"] = " \t\n"
        self.vars.setdefault("OPTIND", "1")
        self.vars["PPID"] = str(proc.ppid)
        self.vars.setdefault("PS1", "\\w \\$ ")
        self.vars.setdefault("PS2", "> ")
        self.vars.setdefault("PS4", "+ ")
        if "HOSTNAME" not in self.vars:
            self.vars["HOSTNAME"] = self.kernel.hostname
        pwd = self.vars.get("PWD")
        if not isinstance(pwd, str) or not self._same_dir(pwd, proc.cwd):
            pwd = self.vars["PWD"] = proc.cwd
        self.curdir = pwd  # the logical working directory (cd, pwd); $PWD reports it
        self.export("PWD")
        try:
            level = int(self.get_var("SHLVL") or "0") + 1
        except ValueError:
            level = 1
        self.export("SHLVL", str(level))
        if self.bash:
            self.vars["BASH_VERSION"] = BASH_VERSION
            self.vars["BASH_VERSINFO"] = Array(enumerate(["5", "2", "15", "1", "release", "x86_64-pc-linux-gnu"]))
            self.vars["BASH"] = "/bin/bash"
            self.vars["UID"] = str(proc.creds.uid)
            self.vars["EUID"] = str(proc.creds.uid)
            self.vars["OPTERR"] = "1"
            self.vars["HOSTTYPE"] = "x86_64"
            self.vars["OSTYPE"] = "linux-gnu"
            self.vars["MACHTYPE"] = "x86_64-pc-linux-gnu"
            self.readonly.update({"BASH_VERSINFO", "UID", "EUID", "PPID"})

    def _same_dir(self, a: str, b: str) -> bool:
        if not a.startswith("/"):
            return False
        try:
            sa, sb = self.fs.stat(a), self.fs.stat(b)
        except OSError:
            return False
        return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)

    # -- subshells -------------------------------------------------------------------------
    def subshell(self, proc: Process, node: object = None) -> Shell:
        """A copy of this shell for a forked child process (``( )``, ``$( )``, pipeline stages, ``&``).

        The child forgets the parent's jobs, except when ``node`` is a ``jobs`` command: as
        ash's "job hack", ``jobs | cat`` and ``$(jobs)`` list the parent's jobs.
        """
        new = Shell.__new__(Shell)
        new.__dict__.update(self.__dict__)
        new.proc = proc
        new.vars = {k: (v if type(v) is str else type(v)(v)) for k, v in self.vars.items()}  # arrays keep their class
        new.exported = set(self.exported)
        new.readonly = set(self.readonly)
        new.integer = set(self.integer)
        new.frames = [dict(f) for f in self.frames]
        new.func_names = list(self.func_names)
        new.functions = dict(self.functions)
        new.aliases = dict(self.aliases)
        new.params = list(self.params)
        new.opts = self.opts.copy()
        new.opts.interactive = False
        new.jobs = self.jobs.copy() if _is_jobs_command(node) else JobTable()
        new.procsubs = []
        new.procsub_children = []
        new.cmd_hash = dict(self.cmd_hash)
        new.dir_stack = list(self.dir_stack)
        new.shopts = set(self.shopts)
        new.random = random.Random()
        new.in_subshell = True
        new.tail = False
        new.in_trap = False
        new.reset_traps_for_subshell()
        return new

    # -- messages ------------------------------------------------------------------------
    def errmsg(self, message: str, builtin: str | None = None, *, line: int | None = None,
               proc: Process | None = None, numbered: bool = True) -> None:
        """Write an error the way busybox does: ``sh: [builtin: ][line N: ]message``."""
        prefix = f"{self.errname}: "
        if builtin:
            prefix += f"{builtin}: "
        if numbered and (builtin or self.named_source):
            number = (self.lineno if line is None else line) + self.line_offset
            prefix += f"line {number}: "
        target = (proc or self.proc).fds.get(2)
        if target is None:
            return
        try:
            target.write(f"{prefix}{message}\n".encode("utf-8", "surrogateescape"))
        except OSError:
            pass

    def report(self, exc: ShellError, proc: Process | None = None) -> None:
        """Print a :class:`ShellError` (once)."""
        if exc.reported:
            return
        line = exc.line if isinstance(exc, ShellSyntaxError) else None
        self.errmsg(exc.message, exc.builtin, line=line, proc=proc)

    def read_file(self, path: str) -> bytes:
        """The contents of a container path (devices and ``/dev/fd/N`` included)."""
        file = self.proc.open(path)
        try:
            return file.read()
        finally:
            file.release()

    def write(self, text: str) -> None:
        """Write to the shell's standard output (builtins); if that fails, the builtin's
        status becomes 1 (as in ash, without a message)."""
        try:
            self.proc.stdout.write(text.encode("utf-8", "surrogateescape"))
        except OSError:
            self.write_failed = True

    # -- running text ------------------------------------------------------------------
    def run_text(self, text: str, *, builtin: str | None = None, line: int | None = None) -> int:
        """Parse and run ``text`` command by command (``eval``, ``.``); syntax errors are fatal."""
        lexer = Lexer(text, bash=self.bash, line=self.lineno if line is None else line)
        parser = Parser(lexer)
        if self.aliases:
            parser.aliases = self.alias_lookup
        status = 0
        while True:
            try:
                node = parser.parse_command()
            except ShellSyntaxError as exc:
                if builtin and not exc.builtin:
                    exc.builtin = builtin
                raise
            if node is None:
                return status
            if node is EMPTY:
                continue
            status = self.run(node)

    def alias_lookup(self, name: str) -> str | None:
        """The text of an alias (for the parser); bash expands them only when interactive or asked to."""
        if self.bash and not self.opts.interactive and "expand_aliases" not in self.shopts:
            return None
        return self.aliases.get(name)

    def main_loop(self, lexer: Lexer, *, interactive: bool = False) -> int:
        """Run a whole input (script, ``-c`` string, stdin or terminal); returns the exit status."""
        parser = Parser(lexer)
        parser.aliases = self.alias_lookup
        try:
            while True:
                self.prompt_next = True
                start = lexer.pos
                try:
                    node = parser.parse_command()
                except ShellSyntaxError as exc:
                    self.report(exc)
                    self.status = 2
                    if not interactive:
                        return self.finish(2)
                    lexer.discard_line()
                    parser.tok = None
                    continue
                except Interrupted:
                    self._interrupt(lexer, parser)
                    continue
                if node is None:
                    break
                if self.opts.verbose and not self.opts.cmdstr:  # busybox echoes input read from files
                    self._echo_input(lexer.text[start:lexer.pos])
                if node is EMPTY or self.opts.noexec:
                    continue
                last = (self.opts.cmdstr and not interactive and not lexer.pending
                        and not lexer.text[lexer.pos:].strip())
                try:
                    if last:
                        self._run_last(node)
                    else:
                        self.run(node)
                except ShellError as exc:
                    self.report(exc)
                    self.status = exc.status
                    if not interactive:
                        return self.finish(exc.status)
                except (BreakLoop, ContinueLoop):
                    pass
                except ReturnFromFunction as ret:
                    self.status = ret.status
                    if not interactive:
                        break
                except Interrupted:
                    self._interrupt(lexer, parser)
                if self.proc.caught:
                    try:
                        self.run_pending_traps()
                    except Interrupted:
                        self._interrupt(lexer, parser)
                lexer.compact()
        except ProcessExit as exc:
            return self.finish(exc.status)
        return self.finish(self.status)

    def _run_last(self, node: Node) -> None:
        """The final command of ``sh -c``: like busybox, its program replaces the shell (no fork)."""
        if type(node) is ListNode and not node.background[-1] and type(node.items[-1]) is Simple:
            self.run(ListNode(node.items[:-1], node.background[:-1]))
            if self.proc.caught:
                self.run_pending_traps()
            if self.opts.noexec:
                return
            node = node.items[-1]
        if type(node) is Simple and not self.traps:
            self.tail = True
        self.run(node)

    def _interrupt(self, lexer: Lexer, parser: Parser) -> None:
        """^C at an interactive prompt or during a command: forget the line, run an INT trap."""
        if self.proc.caught:
            try:
                self.run_pending_traps()
            except Interrupted:
                pass
        lexer.text = ""
        lexer.pos = 0
        lexer.pending.clear()
        parser.tok = None
        if self.status < 128:
            self.status = 130
        try:
            self.proc.stderr.write(b"\n")
        except OSError:
            pass

    def _echo_input(self, text: str) -> None:
        try:
            self.proc.stderr.write(text.encode("utf-8", "surrogateescape"))
        except OSError:
            pass


__all__ = ["Array", "Assoc", "Shell"]


def _is_jobs_command(node: object) -> bool:
    """True for a simple command whose first word is literally ``jobs``."""
    if type(node) is not Simple or not node.words:
        return False
    word = node.words[0]
    if type(word) is str:
        return word == "jobs"
    parts = getattr(word, "parts", None)
    return bool(parts) and len(parts) == 1 and type(parts[0]) is Lit and parts[0].text == "jobs"
