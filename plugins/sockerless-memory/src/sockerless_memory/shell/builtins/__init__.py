"""Builtin commands, one module per family; each is ``func(shell, argv) -> status``.

Special builtins (POSIX) are looked up before functions, their assignments persist and
their errors end a non-interactive shell; regular builtins come after functions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..shell import Shell

Builtin = Callable[["Shell", list[str]], int]

SPECIAL: dict[str, Builtin] = {}
REGULAR: dict[str, Builtin] = {}
BASH_ONLY: dict[str, Builtin] = {}
_merged: dict[bool, dict[str, Builtin]] = {}


def special(*names: str) -> Callable[[Builtin], Builtin]:
    """Register a special builtin."""

    def register(func: Builtin) -> Builtin:
        """Record ``func`` under its names."""
        for name in names:
            SPECIAL[name] = func
        return func

    return register


def builtin(*names: str, bash_only: bool = False) -> Callable[[Builtin], Builtin]:
    """Register a regular builtin (``bash_only``: only when the shell runs as ``bash``)."""

    def register(func: Builtin) -> Builtin:
        """Record ``func`` under its names."""
        for name in names:
            (BASH_ONLY if bash_only else REGULAR)[name] = func
        return func

    return register


def regular(bash: bool) -> dict[str, Builtin]:
    """The regular builtins of a shell in ``sh`` or ``bash`` mode."""
    table = _merged.get(bash)
    if table is None:
        table = dict(REGULAR)
        if bash:
            table.update(BASH_ONLY)
        _merged[bash] = table
    return table


def leading_options(args: list[str]) -> Iterator[str]:
    """Take the options off the front of ``args`` one at a time, up to an operand or ``--``
    (dropped); the caller may take an option's argument off ``args`` meanwhile."""
    while args and args[0].startswith("-") and len(args[0]) > 1:
        opt = args.pop(0)
        if opt == "--":
            return
        yield opt


def is_builtin(name: str, bash: bool) -> bool:
    """True when ``name`` is a builtin of the shell."""
    return name in SPECIAL or name in regular(bash)


from . import core, delegated, dirs, jobctl, misc, read, variables  # noqa: E402, F401  (registration)
