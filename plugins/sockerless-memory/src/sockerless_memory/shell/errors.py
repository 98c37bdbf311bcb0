"""Exceptions that steer the shell: errors, and the non-local exits of loops and functions."""

from __future__ import annotations


class ShellError(Exception):
    """An error the shell reports as ``sh: message``.

    A non-interactive shell exits with ``status`` when the error is *fatal* (syntax
    errors, expansion errors, errors of special builtins); otherwise only the command
    fails with it.
    """

    def __init__(self, message: str, status: int = 2, *, fatal: bool = True, builtin: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.fatal = fatal
        self.builtin = builtin
        self.reported = False  # already printed (inside the command's redirections)


class ShellSyntaxError(ShellError):
    """A syntax error: ``sh: syntax error: ...``; ``line`` is where it was found."""

    def __init__(self, message: str, line: int = 0, *, eof: bool = False) -> None:
        super().__init__(f"syntax error: {message}", 2)
        self.line = line
        self.eof = eof  # the input ended inside a construct (interactive shells read more)


class ArithError(ShellError):
    """An arithmetic syntax or evaluation error."""


class ControlFlow(BaseException):
    """Base of break/continue/return: unwinds past ``except Exception`` blocks."""


class BreakLoop(ControlFlow):
    """``break n``."""

    def __init__(self, count: int) -> None:
        super().__init__(count)
        self.count = count


class ContinueLoop(ControlFlow):
    """``continue n``."""

    def __init__(self, count: int) -> None:
        super().__init__(count)
        self.count = count


class ReturnFromFunction(ControlFlow):
    """``return n`` (also ends a sourced file)."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status
