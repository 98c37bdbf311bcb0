"""bash's process substitution: ``<(list)`` and ``>(list)`` as ``/dev/fd/N`` paths.

The list runs in a forked child shell connected to a pipe; the shell keeps the other
end open as descriptor N (from 63 down, as bash numbers them) until the command that
named it has finished.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from ..sandbox.files import make_pipe
from .ast import ProcSub
from .errors import ShellError
from .parser import as_list, parse

if TYPE_CHECKING:
    from ..sandbox.files import OpenFile
    from ..sandbox.process import Process
    from .shell import Shell


@dataclass(slots=True)
class OpenSubstitution:
    """A running substitution: the shell's descriptor and the child feeding or draining it."""

    fd: int
    child: Process


def _free_fd(sh: Shell) -> int:
    fds = sh.proc.fds
    for fd in range(63, 9, -1):
        if fd not in fds:
            return fd
    raise ShellError("process substitution: no free file descriptor", 1)


def start(sh: Shell, part: ProcSub) -> tuple[OpenFile, Process]:
    """Start ``part``'s list in a child; returns the shell's end of the pipe and the child."""
    node = as_list(parse(part.text[2:-1], bash=True))  # the text keeps its "<(" and ")"
    reader, writer = make_pipe()
    child = sh.proc.fork()
    if part.direction == "<":
        child.fds.install(writer, 1)
        mine = reader
    else:
        child.fds.install(reader, 0)
        mine = writer
    sub = sh.subshell(child)
    sub.background = True
    sh.kernel.start_thread(child, partial(sub.run_child, node, None))
    for done in [c for c in sh.procsub_children if c.exited()]:  # collect the finished ones
        sh.procsub_children.remove(done)
        sh.kernel.reap(done)
    sh.procsub_children.append(child)
    return mine, child


def substitute(sh: Shell, part: ProcSub) -> str:
    """Start ``part``'s list and return the path the command reads or writes it through."""
    mine, child = start(sh, part)
    fd = _free_fd(sh)
    sh.proc.fds.install(mine, fd)
    sh.procsubs.append(OpenSubstitution(fd, child))
    return f"/dev/fd/{fd}"


def close_from(sh: Shell, mark: int) -> None:
    """Close the substitutions opened since ``mark`` (their command has finished)."""
    while len(sh.procsubs) > mark:
        opened = sh.procsubs.pop()
        sh.proc.fds.close(opened.fd)
