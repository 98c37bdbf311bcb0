"""Builtins that run the sandbox's utility applets in the shell's own process.

``echo printf test [ true false kill`` are utilities too; as builtins they run on the
shell's process (with its current descriptors, after redirections) instead of a forked
child, which is what makes them cheap. Their messages then carry the shell's name, as
busybox's do in ash (see :class:`~sockerless_memory.utils.common.Util`).
"""

from __future__ import annotations

import operator
import re
from typing import TYPE_CHECKING

from ...sandbox import applets
from ...sandbox.files import CaptureOutput
from ...sandbox.signals import ProcessExit
from ..jobs import JobSpecError
from ..variables import valid_name
from . import builtin
from .jobctl import job_of

if TYPE_CHECKING:
    from ..shell import Shell

_cache: dict[str, applets.Applet] = {}


def run_applet(sh: Shell, argv: list[str], name: str | None = None) -> int:
    """Call the applet ``name`` (default ``argv[0]``) with the shell's process."""
    name = name or argv[0]
    func = _cache.get(name)
    if func is None:
        func = applets.get(name)
        if func is None:
            sh.errmsg(f"{name}: not found")
            return 127
        _cache[name] = func
    proc = sh.proc
    saved_env = proc.env
    proc.env = sh.env()
    try:
        # proc.argv stays the shell's: like busybox builtins, errors read "sh: ..."
        return func(proc, argv) or 0
    except ProcessExit as exc:
        return exc.status
    finally:
        proc.env = saved_env
        proc.check()  # e.g. "kill $$": act on the signal now, as a real process would


_PLAIN_INT = re.compile(r"-?[0-9]{1,18}\Z")
_INT_TESTS = {"-eq": operator.eq, "-ne": operator.ne, "-lt": operator.lt, "-le": operator.le,
              "-gt": operator.gt, "-ge": operator.ge}


def _quick_test(argv: list[str]) -> int | None:
    """``[ N -op M ]`` and ``[ S = T ]`` on plain operands, decided without the utility (loops run
    them thousands of times); ``None`` for everything else, which goes to ``test`` itself."""
    if argv[0] == "[":
        if len(argv) != 5 or argv[4] != "]":
            return None
    elif len(argv) != 4:
        return None
    left, op, right = argv[1], argv[2], argv[3]
    compare = _INT_TESTS.get(op)
    if compare is not None:
        if _PLAIN_INT.match(left) and _PLAIN_INT.match(right):
            return 0 if compare(int(left), int(right)) else 1
        return None
    if (op == "=" or op == "!=") and left not in ("!", "(") and right != ")":
        return 0 if (left == right) == (op == "=") else 1
    return None


@builtin("echo", "test", "[", "true", "false")
def delegated(sh: Shell, argv: list[str]) -> int:
    """Run the utility of the same name in-process."""
    if argv[0] in ("[", "test"):
        status = _quick_test(argv)
        if status is not None:
            sh.proc.check()
            return status
    return run_applet(sh, argv)


@builtin("printf")
def printf(sh: Shell, argv: list[str]) -> int:
    """``printf``; bash's ``printf -v name`` assigns the output instead of printing it."""
    if not (sh.bash and len(argv) > 2 and argv[1] == "-v"):
        return run_applet(sh, argv)
    name = argv[2]
    if not valid_name(name.partition("[")[0]):
        sh.errmsg(f"`{name}': not a valid identifier", "printf")
        return 2
    capture = CaptureOutput()
    fds = sh.proc.fds
    saved = fds.get(1)
    if saved is not None:
        saved.acquire()
    fds.install(capture.acquire(), 1)
    try:
        status = run_applet(sh, ["printf", *argv[3:]])
    finally:
        if saved is None:
            fds.close(1)
        else:
            fds.install(saved, 1)
    value = capture.getvalue().decode("utf-8", "surrogateescape")
    capture.release()
    base, _, sub = name.partition("[")
    if sub:
        sh.array_set(base, sh.arith_eval(sub.rstrip("]")), value)
    else:
        sh.set_var(name, value)
    return status


@builtin("kill")
def kill(sh: Shell, argv: list[str]) -> int:
    """``kill``: job specifications (``%1``) become process ids, then the utility runs.

    As in ash: not after ``-l``; a job whose process has ended becomes an empty operand
    (which the utility passes over); a specification that names no job is an error
    (status 2) and nothing is signalled.
    """
    args = argv[1:]
    if args and args[0] != "-l":
        try:
            args = [_job_operand(sh, arg) if arg.startswith("%") else arg for arg in args]
        except JobSpecError as exc:
            sh.errmsg(str(exc), "kill")
            return 1 if sh.bash else 2
    status = run_applet(sh, [argv[0], *args])
    if sh.proc.caught:
        sh.run_pending_traps()
    return status


def _job_operand(sh: Shell, spec: str) -> str:
    job = job_of(sh, spec)
    if job.done():
        if sh.bash:
            raise JobSpecError(f"{spec}: no such job")
        return ""
    return str(job.pid)
