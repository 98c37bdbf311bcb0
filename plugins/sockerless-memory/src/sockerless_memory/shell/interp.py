"""Execution of the syntax tree: lists, pipelines, compound commands, subshells.

Simple commands live in :mod:`.command`. Every ``exec_*`` method returns the exit status
and leaves it in ``self.status`` (``$?``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, Any

from ..sandbox.files import CaptureOutput, NullFile, make_pipe
from ..sandbox.process import Disposition
from ..sandbox.signals import SIGINT, SIGQUIT, ProcessExit
from . import pattern as pat
from .ast import (
    AndOr,
    ArithCmd,
    Case,
    CmdSub,
    CondCmd,
    For,
    ForArith,
    FuncDef,
    Group,
    If,
    ListNode,
    Loop,
    Node,
    Pipeline,
    Redir,
    Simple,
    Subshell,
)
from .cond import CondError
from .cond import evaluate as eval_cond
from .errors import BreakLoop, ContinueLoop, ControlFlow, ShellError
from .variables import Array

if TYPE_CHECKING:
    from ..sandbox.process import Process
    from .shell import Shell


class ExecMixin:
    """Tree-walking execution for :class:`~.shell.Shell`."""

    def run(self: Shell, node: Node) -> int:
        """Execute a node."""
        return _DISPATCH[type(node)](self, node)

    def run_tested(self: Shell, node: Node) -> int:
        """Execute a node whose status is tested (a condition, a non-final ``&&``/``||`` operand):
        ``set -e`` and the ERR trap ignore its failures."""
        self.tested += 1
        try:
            return _DISPATCH[type(node)](self, node)
        finally:
            self.tested -= 1

    def check_failure(self: Shell, status: int) -> None:
        """``set -e`` and the ERR trap, for a command that failed outside a tested context."""
        if status and not self.tested:
            if "ERR" in self.traps and (not self.func_depth or self.opts.errtrace):  # not inside functions
                self.run_trap_action(self.traps["ERR"], "ERR")
            if self.opts.errexit:
                raise ProcessExit(status)

    # -- lists ---------------------------------------------------------------------------
    def exec_list(self: Shell, node: ListNode) -> int:
        """A sequence of commands (``;``, ``&``, newlines)."""
        status = self.status
        proc = self.proc
        for item, background in zip(node.items, node.background, strict=True):
            if background:
                status = self.run_background(item)
            else:
                status = _DISPATCH[type(item)](self, item)
            if proc.caught:
                self.run_pending_traps()
            if self.opts.noexec:
                break
        return status

    def exec_andor(self: Shell, node: AndOr) -> int:
        """``a && b || c``: all but the last are tested (``set -e`` ignores them)."""
        status = self.run_tested(node.first)
        rest = node.rest
        last = len(rest) - 1
        for i, (op, item) in enumerate(rest):
            if (status == 0) != (op == "&&"):
                continue
            status = self.run(item) if i == last else self.run_tested(item)
        return status

    # -- pipelines -----------------------------------------------------------------------
    def exec_pipeline(self: Shell, node: Pipeline) -> int:
        """``[!] a | b | c``: every stage in a child process; ``$?`` from the last (or ``pipefail``)."""
        cmds = node.cmds
        if len(cmds) == 1:
            status = self.run_tested(cmds[0])
        else:
            statuses = self._run_stages(cmds)
            status = statuses[-1]
            if self.bash:
                self.vars["PIPESTATUS"] = Array(enumerate(str(s) for s in statuses))
            if self.opts.pipefail:
                status = next((s for s in reversed(statuses) if s), 0)
        if node.negate:
            status = 0 if status else 1
            self.status = status
            return status
        self.status = status
        self.check_failure(status)
        return status

    def _run_stages(self: Shell, cmds: list[Node]) -> list[int]:
        proc = self.proc
        children: list[Process] = []
        previous = None
        last = len(cmds) - 1
        final = 0
        for i, cmd in enumerate(cmds):
            child = proc.fork()
            if previous is not None:
                child.fds.install(previous, 0)
                previous = None
            if i < last:
                reader, writer = make_pipe()
                child.fds.install(writer, 1)
                previous = reader
            sub = self.subshell(child, cmd)
            target = partial(sub.run_child, cmd, None)
            if i < last:
                self.kernel.start_thread(child, target)
                children.append(child)
            else:
                final = child.run(target).shell_status
                self.kernel.reap(child)
        statuses = [proc.wait_child(c).shell_status for c in children]
        statuses.append(final)
        return statuses

    # -- subshells -------------------------------------------------------------------------
    def run_child(self: Shell, node: Node | None, redirs: list[Redir] | None) -> int:
        """The program of a forked child shell: run ``node``, then the EXIT trap."""
        try:
            if redirs:
                try:
                    self.redirect(redirs, None)
                except ShellError as exc:
                    self.report(exc)
                    return 1
            if node is None:
                status = 0
            else:
                # a lone simple command runs its program in this very process (no extra fork)
                self.tail = type(node) is Simple
                status = self.run(node)
        except ProcessExit as exc:
            status = exc.status
        except ShellError as exc:
            self.report(exc)
            status = exc.status
        except ControlFlow:
            status = self.status
        return self.finish(status)

    def exec_subshell(self: Shell, node: Subshell) -> int:
        """``( list )`` in a forked child."""
        child = self.proc.fork()
        sub = self.subshell(child)
        status = child.run(partial(sub.run_child, node.body, node.redirs)).shell_status
        self.kernel.reap(child)
        self.status = status
        if self.proc.caught:
            self.run_pending_traps()
        self.check_failure(status)
        return status

    def command_subst(self: Shell, part: CmdSub) -> str:
        """Run ``$(...)`` and return its output without trailing newlines."""
        body = part.body
        if self.bash and type(body) is Simple and not body.words and not body.assigns and len(body.redirs) == 1 \
                and body.redirs[0].op == "<" and body.redirs[0].fd in (None, 0):
            return self._read_subst(body.redirs[0])
        child = self.proc.fork()
        capture = CaptureOutput()
        child.fds.install(capture.acquire(), 1)
        sub = self.subshell(child, part.body)
        sub.opts.errexit = False  # as in busybox and bash, $(...) does not inherit set -e
        status = child.run(partial(sub.run_child, part.body, None)).shell_status
        self.kernel.reap(child)
        self.cmdsub_status = status
        data = capture.getvalue()
        capture.release()
        text = data.decode("utf-8", "surrogateescape")
        return text.rstrip("\n")

    def _read_subst(self: Shell, redir: Redir) -> str:
        """bash's ``$(< file)``: the file's contents, without running a command."""
        path = self.expand_str(redir.target)  # type: ignore[arg-type]
        try:
            data = self.read_file(path)
        except OSError as exc:
            self.errmsg(f"{path}: {exc.strerror}")
            self.cmdsub_status = 1
            return ""
        self.cmdsub_status = 0
        return data.decode("utf-8", "surrogateescape").rstrip("\n")

    def run_background(self: Shell, node: Node) -> int:
        """``node &``: a child shell on its own thread."""
        child = self.proc.fork()
        if not self.opts.interactive:
            # without job control, background jobs ignore SIGINT/SIGQUIT and read /dev/null
            child.dispositions[SIGINT] = Disposition.IGNORE
            child.dispositions[SIGQUIT] = Disposition.IGNORE
            child.fds.install(NullFile(), 0)
        sub = self.subshell(child)
        sub.background = True
        self.kernel.start_thread(child, partial(sub.run_child, node, None))
        self.jobs.add(child, _describe(node))
        self.last_bg = child.pid
        self.status = 0
        return 0

    # -- compound commands ---------------------------------------------------------------
    def with_redirs(self: Shell, redirs: list[Redir], body: Callable[[], int]) -> int:
        """Run ``body`` with redirections applied to the shell, then undo them."""
        saved: list = []
        try:
            self.redirect(redirs, saved)
        except ShellError as exc:
            self.restore(saved)
            self.report(exc)
            self.status = 1
            return 1
        try:
            return body()
        finally:
            self.restore(saved)

    def exec_group(self: Shell, node: Group) -> int:
        """``{ list; }``."""
        return self.run(node.body)

    def exec_if(self: Shell, node: If) -> int:
        """``if``/``elif``/``else``."""
        for cond, body in node.branches:
            if self.run_tested(cond) == 0:
                return self.run(body)
        if node.orelse is not None:
            return self.run(node.orelse)
        self.status = 0
        return 0

    def _loop(self: Shell, passes: Iterator[None], body: Node) -> int:
        """Run a loop: ``body`` once for each item of ``passes``, which prepares each pass
        (tests the condition, sets the variable) and ends the loop when it is exhausted.

        ``break`` and ``continue`` end a pass with status 0 (``break`` the loop too); with
        a count above 1 they go on to the enclosing loop.
        """
        status = 0
        self.loop_depth += 1
        try:
            for _ in passes:
                try:
                    status = self.run(body)
                except (BreakLoop, ContinueLoop) as exc:
                    if exc.count > 1:
                        exc.count -= 1
                        raise
                    status = 0
                    if type(exc) is BreakLoop:
                        break
        finally:
            self.loop_depth -= 1
        self.status = status
        return status

    def exec_loop(self: Shell, node: Loop) -> int:
        """``while``/``until``."""

        def passes() -> Iterator[None]:
            while (self.run_tested(node.cond) == 0) != node.until:
                yield

        return self._loop(passes(), node.body)

    def exec_for(self: Shell, node: For) -> int:
        """``for name in words``."""
        items = list(self.params) if node.words is None else self.expand_words(node.words)

        def passes() -> Iterator[None]:
            for item in items:
                self.set_var(node.var, item)
                yield

        return self._loop(passes(), node.body)

    def exec_for_arith(self: Shell, node: ForArith) -> int:
        """``for ((init; cond; step))`` (bash)."""
        init, cond, step = (self.expand_str(w).strip() for w in (node.init, node.cond, node.step))
        if init:
            self.arith_eval(init)

        def passes() -> Iterator[None]:
            while not cond or self.arith_eval(cond):
                yield
                if step:  # after the body, unless it ran break
                    self.arith_eval(step)

        return self._loop(passes(), node.body)

    def exec_case(self: Shell, node: Case) -> int:
        """``case word in pattern) ... esac``."""
        word = self.expand_str(node.word)
        items = node.items
        status = 0
        i = 0
        n = len(items)
        while i < n:
            item = items[i]
            if self._case_match(item.patterns, word):
                status = self.run(item.body) if item.body is not None else 0
                while item.fallthrough and i + 1 < n:
                    i += 1
                    item = items[i]
                    status = self.run(item.body) if item.body is not None else 0
                if not item.test_next:
                    break
            i += 1
        self.status = status
        return status

    def _case_match(self: Shell, patterns: list, word: str) -> bool:
        for p in patterns:
            if type(p) is str:
                if p == word:
                    return True
            elif pat.match(self.expand_pattern(p), word):
                return True
        return False

    def exec_funcdef(self: Shell, node: FuncDef) -> int:
        """Define a function."""
        self.functions[node.name] = node
        self.status = 0
        return 0

    def exec_cond(self: Shell, node: CondCmd) -> int:
        """``[[ expression ]]``."""
        self.lineno = node.line
        try:
            status = 0 if eval_cond(self, node.expr, self.opts.xtrace) else 1
        except CondError as exc:
            self.errmsg(str(exc))
            status = 2
        self.status = status
        self.check_failure(status)
        return status

    def exec_arith(self: Shell, node: ArithCmd) -> int:
        """``(( expression ))`` (bash): status 0 when non-zero."""
        self.lineno = node.line
        text = self.expand_str(node.expr)
        if self.opts.xtrace:
            self.trace(["((", text, "))"], raw=True)
        status = 0 if self.arith_eval(text) else 1
        self.status = status
        self.check_failure(status)
        return status


def _describe(node: Node) -> str:
    """A short text for ``jobs``."""
    if isinstance(node, Simple):
        return " ".join(w if type(w) is str else w.raw for w in node.words)  # type: ignore[union-attr]
    return type(node).__name__.lower()


def _redirected(execute: Callable[[Shell, Any], int]) -> Callable[[Shell, Any], int]:
    """A compound command's executor that first applies the command's own redirections
    (``while ...; done <file``), undone when it ends."""

    def exec_redirected(self: Shell, node: Any) -> int:
        if node.redirs:
            return self.with_redirs(node.redirs, lambda: execute(self, node))
        return execute(self, node)

    return exec_redirected


_DISPATCH: dict[type, Callable[..., int]] = {
    ListNode: ExecMixin.exec_list,
    AndOr: ExecMixin.exec_andor,
    Pipeline: ExecMixin.exec_pipeline,
    Subshell: ExecMixin.exec_subshell,
    Group: _redirected(ExecMixin.exec_group),
    If: _redirected(ExecMixin.exec_if),
    Loop: _redirected(ExecMixin.exec_loop),
    For: _redirected(ExecMixin.exec_for),
    ForArith: _redirected(ExecMixin.exec_for_arith),
    Case: _redirected(ExecMixin.exec_case),
    FuncDef: ExecMixin.exec_funcdef,
    CondCmd: _redirected(ExecMixin.exec_cond),
    ArithCmd: ExecMixin.exec_arith,
}


def register(cls: type, func: Callable[..., int]) -> None:
    """Add a node type handled by another module (simple commands)."""
    _DISPATCH[cls] = func
