"""Traps: signal handlers written in shell, the EXIT trap and bash's ERR trap."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..sandbox.process import Disposition
from ..sandbox.signals import SIGINT, Interrupted, ProcessExit
from .ast import Node
from .errors import ShellError
from .lexer import Lexer
from .parser import Parser

if TYPE_CHECKING:
    from .shell import Shell

EXIT = 0
_parsed: dict[tuple[str, bool], list[Node]] = {}


def parse_cached(text: str, bash: bool) -> list[Node]:
    """Parse trap text once (syntax trees are never modified after parsing)."""
    key = (text, bash)
    nodes = _parsed.get(key)
    if nodes is None:
        nodes = Parser(Lexer(text, bash=bash)).parse_all()
        if len(_parsed) > 512:
            _parsed.clear()
        _parsed[key] = nodes
    return nodes


class TrapMixin:
    """Trap state and execution for :class:`~.shell.Shell`."""

    def set_trap(self: Shell, key: int | str, action: str | None) -> None:
        """Install (``action`` text, ``''`` to ignore) or reset (``None``) a trap."""
        if action is None:
            self.traps.pop(key, None)
        else:
            self.traps[key] = action
        if isinstance(key, int) and key > 0:
            disp = self.proc.dispositions
            if action is None:
                if key == SIGINT and self.opts.interactive:
                    disp[key] = Disposition.CATCH  # the interactive shell keeps handling ^C itself
                else:
                    disp.pop(key, None)
            elif action == "":
                disp[key] = Disposition.IGNORE
            else:
                disp[key] = Disposition.CATCH

    def reset_traps_for_subshell(self: Shell) -> None:
        """A subshell keeps ignored signals and forgets the other traps (POSIX)."""
        self.traps = {k: v for k, v in self.traps.items() if v == "" and k != EXIT}

    def run_pending_traps(self: Shell) -> None:
        """Run the handlers of caught signals (between commands)."""
        if self.in_trap:
            return
        interrupted = False
        for signum in self.proc.take_caught():
            action = self.traps.get(signum)
            if action is None:
                if signum == SIGINT and self.opts.interactive:
                    interrupted = True
                continue
            if action:
                self.run_trap_action(action, signum)
        if interrupted:
            raise Interrupted(SIGINT)  # ^C abandons the rest of the interactive command line

    def run_trap_action(self: Shell, action: str, key: int | str) -> None:
        """Run trap text; ``$?`` is preserved unless the trap exits."""
        saved_status = self.status
        saved_in_trap = self.in_trap
        self.in_trap = True
        try:
            for node in parse_cached(action, self.bash):
                self.run(node)
        except ShellError as exc:
            self.report(exc)
        finally:
            self.in_trap = saved_in_trap
        self.status = saved_status

    def finish(self: Shell, status: int) -> int:
        """The end of a shell (or subshell): run the EXIT trap once, return the final status."""
        action = self.traps.pop(EXIT, None)
        if action:
            self.status = status
            self.in_trap = True
            try:
                for node in parse_cached(action, self.bash):
                    self.run(node)
            except ProcessExit as exc:
                return exc.status
            except ShellError as exc:
                self.report(exc)
            finally:
                self.in_trap = False
        return status
