"""Simple commands: assignments, command lookup, builtins, functions and programs."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from ..sandbox.exec import DEFAULT_PATH, ExecError, execute_path, find_program
from ..sandbox.signals import ProcessExit
from . import procsub
from .ast import Assign, FuncDef, Simple
from .errors import ReturnFromFunction, ShellError
from .interp import register
from .quote import trace_quote
from .variables import Array, Assoc

if TYPE_CHECKING:
    from ..sandbox.process import Process
    from .builtins import Builtin
    from .shell import Shell

_UNSET = object()
SIGNAL_TEXT = {
    1: "Hangup", 3: "Quit", 4: "Illegal instruction", 5: "Trace/breakpoint trap", 6: "Aborted", 7: "Bus error",
    8: "Floating point exception", 9: "Killed", 10: "User defined signal 1", 11: "Segmentation fault",
    12: "User defined signal 2", 14: "Alarm clock", 15: "Terminated", 16: "Stack fault", 24: "CPU time limit exceeded",
    25: "File size limit exceeded", 26: "Virtual timer expired", 27: "Profiling timer expired", 29: "I/O possible",
    30: "Power failure", 31: "Bad system call",
}
_NO_NODE = Simple([], [], [], 0)

Values = list[tuple[Assign, "str | list[str]"]]


class CommandMixin:
    """Simple-command execution for :class:`~.shell.Shell`."""

    def exec_simple(self: Shell, node: Simple) -> int:
        """Expand, look up and run a simple command."""
        proc = self.proc
        proc.check()
        tail = self.tail
        if tail:
            self.tail = False
        self.lineno = node.line
        self.cmdsub_status = 0
        words = node.words
        mark = len(self.procsubs)
        try:
            status = self._run_simple(node, words, tail)
        finally:
            if len(self.procsubs) > mark:
                procsub.close_from(self, mark)
        self.status = status
        if self.bash:
            self.vars["PIPESTATUS"] = Array({0: str(status)})
        if proc.caught:
            self.run_pending_traps()
        if status and not self.tested:
            self.check_failure(status)
        return status

    def _run_simple(self: Shell, node: Simple, words: list, tail: bool) -> int:
        argv = self.expand_words(words) if words else []
        if not argv:
            return self._assignments_only(node)
        if self.bash:
            self.vars["_"] = argv[-1]  # bash's $_: the last word of the previous command
        name = argv[0]
        func = self.special.get(name)
        if func is not None:
            return self._builtin(func, argv, node, True)
        fn = self.functions.get(name)
        if fn is not None:
            return self._call(fn, argv, node)
        func = self.builtins.get(name)
        if func is not None:
            return self._builtin(func, argv, node, False)
        return self._external(argv, node, tail)

    # -- assignments ---------------------------------------------------------------------
    def _expand_assigns(self: Shell, assigns: list[Assign]) -> Values:
        values: Values = []
        for a in assigns:
            if a.array is not None:
                values.append((a, self.expand_words(a.array)))
            else:
                values.append((a, self.expand_str(a.value)))
        return values

    def assign(self: Shell, a: Assign, value: str | list[str]) -> None:
        """Perform one assignment word."""
        name = a.name
        if type(value) is list:
            self.array_assign(name, value, append=a.append)
            return
        assert isinstance(value, str)
        if a.index is not None:
            index_text = self.expand_str(a.index)
            index: int | str = index_text if type(self.vars.get(name)) is Assoc else self.arith_eval(index_text)
            if a.append:
                value = (self.array_get(name, index) or "") + value
            self.array_set(name, index, value)
            return
        if a.append:
            old = self.get_var(name) or ""
            if name in self.integer:
                value = str(self.arith_eval(old or "0") + self.arith_eval(value or "0"))
            else:
                value = old + value
        self.set_var(name, value)

    def _assignments_only(self: Shell, node: Simple) -> int:
        values: Values = []
        for a in node.assigns:  # left to right: each sees the ones before it (IFS=, x=($y))
            value = self.expand_words(a.array) if a.array is not None else self.expand_str(a.value)
            try:
                self.assign(a, value)
            except ShellError as exc:
                if node.redirs:  # "r=2 2>&1" with r read-only: the message follows the redirection
                    self._report_redirected(exc, node.redirs)
                raise
            values.append((a, value))
        if self.opts.xtrace and values:
            self.trace([], values)
        if node.redirs:
            saved: list = []
            try:
                self.redirect(node.redirs, saved)
            except ShellError as exc:
                self.report(exc)
                return 1
            finally:
                self.restore(saved)
        return self.cmdsub_status

    def _report_redirected(self: Shell, exc: ShellError, redirs: list) -> None:
        """Print ``exc`` with ``redirs`` in effect (if they can be applied), once."""
        saved: list = []
        try:
            self.redirect(redirs, saved)
            self.report(exc)
            exc.reported = True
        except ShellError:
            pass
        finally:
            self.restore(saved)

    def _temp_assign(self: Shell, values: Values) -> list[tuple[str, object, bool]]:
        saved = []
        for a, value in values:
            name = a.name
            saved.append((name, self.vars.get(name, _UNSET), name in self.exported))
            self.assign(a, value)
            self.export(name)
        return saved

    def _restore_temp(self: Shell, saved: list[tuple[str, object, bool]]) -> None:
        for name, old, exported in reversed(saved):
            if old is _UNSET:
                self.vars.pop(name, None)
            else:
                self.vars[name] = old  # type: ignore[assignment]
            if not exported:
                self.exported.discard(name)
            if name in ("PATH", "IFS"):
                self._hook(name, self.get_var(name))
        self._env_cache = None

    # -- builtins and functions --------------------------------------------------------------
    def _builtin(self: Shell, func: Builtin, argv: list[str], node: Simple, special: bool) -> int:
        values = self._expand_assigns(node.assigns) if node.assigns else None
        if self.opts.xtrace:
            self.trace(argv, values)
        saved = None
        redirs = node.redirs
        if redirs:
            if getattr(func, "keeps_redirections", False):
                self.redirect(redirs, None)  # exec: a failure here is fatal
            else:
                saved = []
                try:
                    self.redirect(redirs, saved)
                except ShellError as exc:
                    self.restore(saved)
                    if special:
                        raise  # a special builtin's redirection error ends a non-interactive shell
                    self.report(exc)
                    return 1
        temp = None
        outer_failed, self.write_failed = self.write_failed, False
        try:
            if values:
                if special:
                    for a, value in values:
                        self.assign(a, value)
                else:
                    temp = self._temp_assign(values)
            status = func(self, argv)
            return status | 1 if self.write_failed else status  # as ash: output that could not be written
        except ShellError as exc:
            if saved:  # the builtin's own error goes where its redirections send stderr
                self.report(exc)
                exc.reported = True
            raise
        finally:
            self.write_failed = outer_failed
            if temp is not None:
                self._restore_temp(temp)
            if saved:
                self.restore(saved)

    def _call(self: Shell, fn: FuncDef, argv: list[str], node: Simple) -> int:
        values = self._expand_assigns(node.assigns) if node.assigns else None
        if self.opts.xtrace:
            self.trace(argv, values)
        if node.redirs:
            return self.with_redirs(node.redirs, lambda: self.call_function(fn, argv, values))
        return self.call_function(fn, argv, values)

    def call_function(self: Shell, fn: FuncDef, argv: list[str], values: Values | None = None) -> int:
        """Run a shell function with ``argv[1:]`` as its positional parameters."""
        temp = self._temp_assign(values) if values else None
        saved_params = self.params
        self.params = argv[1:]
        self.push_frame()
        self.func_depth += 1
        self.func_names.append(fn.name)
        try:
            status = self.run(fn.body)
        except ReturnFromFunction as ret:
            status = ret.status
        finally:
            self.func_names.pop()
            self.func_depth -= 1
            self.pop_frame()
            self.params = saved_params
            if temp is not None:
                self._restore_temp(temp)
        return status

    def invoke(self: Shell, argv: list[str], *, functions: bool = True) -> int:
        """Run ``argv`` as a command from a builtin (``command``, ``builtin``...)."""
        name = argv[0]
        func = self.special.get(name)
        if func is not None:
            return self._builtin(func, argv, _NO_NODE, True)
        if functions:
            fn = self.functions.get(name)
            if fn is not None:
                return self.call_function(fn, argv)
        func = self.builtins.get(name)
        if func is not None:
            return self._builtin(func, argv, _NO_NODE, False)
        return self._external(argv, _NO_NODE, False)

    # -- programs ----------------------------------------------------------------------
    def find_command(self: Shell, name: str) -> str | None:
        """The path of a program (``PATH`` search, remembered in the hash table)."""
        if "/" in name:
            return name if self.fs.exists(name, self.proc.cwd) else None
        path = self.cmd_hash.get(name)
        if path is None:
            search = self.get_var("PATH")
            path = find_program(self.proc, name, DEFAULT_PATH if search is None else search)
            if path is not None:
                self.cmd_hash[name] = path
        return path

    def _external(self: Shell, argv: list[str], node: Simple, tail: bool) -> int:
        values = self._expand_assigns(node.assigns) if node.assigns else None
        if self.opts.xtrace:
            self.trace(argv, values)
        path = self.find_command(argv[0])
        env = self.env()
        if values:
            env = dict(env)
            for a, value in values:
                env[a.name] = value if type(value) is str else " ".join(value)  # type: ignore[arg-type]
        if tail:
            self.proc.env = dict(env)
            return self.exec_program(self.proc, path, argv, node.redirs)
        child = self.proc.fork(argv, env)
        result = child.run(partial(self.exec_program, child, path, argv, node.redirs))
        self.kernel.reap(child)
        if result.signal is not None:
            self.report_signal(result.signal)
        return result.shell_status

    def report_signal(self: Shell, signum: int) -> None:
        """What busybox prints when a foreground command is killed by a signal."""
        text = SIGNAL_TEXT.get(signum)
        if text:
            try:
                self.proc.stderr.write(f"{text}\n".encode())
            except OSError:
                pass

    def exec_program(self: Shell, proc: Process, path: str | None, argv: list[str], redirs: list | None) -> int:
        """In ``proc``: apply redirections, then run the program at ``path``."""
        if redirs:
            try:
                self.redirect(redirs, None, proc)
            except ShellError as exc:
                self.report(exc, proc)
                return 1
        name = argv[0]
        if path is None:
            # busybox tries to execute "" itself, which fails with EACCES
            self.errmsg(f"{name}: {'Permission denied' if not name else 'not found'}", proc=proc)
            return 127
        try:
            return execute_path(proc, path, argv)
        except ExecError as exc:
            if exc.status == 127 and "/" not in name and self.cmd_hash.pop(name, None) is not None:
                retry = self.find_command(name)
                if retry is not None and retry != path:
                    return self.exec_program(proc, retry, argv, None)
            reason = "not found" if exc.status == 127 and exc.reason.startswith("No such file") else exc.reason
            self.errmsg(f"{name}: {reason}", proc=proc)
            return exc.status

    # -- tracing ---------------------------------------------------------------------------
    def trace(self: Shell, argv: list[str], values: Values | None = None, *, raw: bool = False) -> None:
        """``set -x``: the expanded command on stderr after ``PS4`` (``raw``: words shown unquoted)."""
        ps4 = self.get_var("PS4")
        prefix = "+ " if ps4 is None else (self.expand_prompt_text(ps4) if "$" in ps4 else ps4)
        items = []
        if values:
            for a, value in values:
                text = value if type(value) is str else "(" + " ".join(value) + ")"  # type: ignore[arg-type]
                items.append(f"{a.name}{'+' if a.append else ''}={trace_quote(text)}")  # type: ignore[arg-type]
        items.extend(argv if raw else (trace_quote(w) for w in argv))
        line = prefix + " ".join(items) + "\n"
        try:
            self.proc.stderr.write(line.encode("utf-8", "surrogateescape"))
        except OSError:
            pass


def run_exec(sh: Shell, argv: list[str]) -> int:
    """``exec cmd args``: the program replaces the shell."""
    path = sh.find_command(argv[0])
    proc = sh.proc
    proc.env = dict(sh.env())
    if path is None:
        sh.errmsg(f"{argv[0]}: not found", "exec")
        raise ProcessExit(127)
    sh.traps.pop(0, None)  # the shell image is gone: no EXIT trap
    status = sh.exec_program(proc, path, argv, None)
    raise ProcessExit(status)


register(Simple, CommandMixin.exec_simple)
