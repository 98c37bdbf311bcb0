"""Jobs and signals: ``wait jobs trap fg bg``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...sandbox.signals import SIGNAL_NAMES, Interrupted, parse_signal, signal_name
from ..errors import ShellError
from ..jobs import Job, JobSpecError
from ..quote import single_quote
from ..traps import EXIT
from . import builtin, special

if TYPE_CHECKING:
    from ..shell import Shell


class _WaitInterrupted(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def job_of(sh: Shell, spec: str) -> Job:
    """The job a ``%`` specification names (raises :class:`JobSpecError`); commands are known
    to bash, and to ash only under job control."""
    return sh.jobs.find(spec, bash=sh.bash, commands=sh.bash or sh.opts.interactive)


def _wait_job(sh: Shell, job: Job, *, report: bool = True) -> int:
    """Wait for ``job``; ``report``: say what killed it (ash does for a job named to ``wait``)."""
    try:
        status = sh.proc.wait_child(job.proc, interruptible=True)
    except Interrupted as exc:
        sh.run_pending_traps()
        raise _WaitInterrupted(128 + exc.signum) from None
    sh.jobs.remove(job)
    if report and status.signal is not None:
        sh.report_signal(status.signal)
    return status.shell_status


def _wait_any(sh: Shell) -> int:
    """``wait -n`` (bash): the status of the next job to finish."""
    if not sh.jobs.jobs:
        return 127
    proc = sh.proc
    previous = proc.interruptible
    proc.interruptible = True
    try:
        while True:
            for job in sh.jobs.jobs:
                if job.done():
                    proc.interruptible = previous
                    return _wait_job(sh, job)
            proc.sleep(0.01)
    except Interrupted as exc:
        sh.run_pending_traps()
        raise _WaitInterrupted(128 + exc.signum) from None
    finally:
        proc.interruptible = previous


@builtin("wait")
def wait(sh: Shell, argv: list[str]) -> int:
    """``wait [pid|%job ...]``: interrupted by trapped signals (status 128+n)."""
    args = [a for a in argv[1:] if a != "--"]
    try:
        if args and args[0] == "-n" and sh.bash:
            return _wait_any(sh)
        if not args:
            for job in list(sh.jobs.jobs):
                _wait_job(sh, job, report=False)
            for child in sh.procsub_children:  # bash's wait also waits for process substitutions
                sh.proc.wait_child(child, interruptible=True)
            sh.procsub_children.clear()
            return 0
        status = 0
        for arg in args:
            if arg.startswith("%"):
                try:
                    job = job_of(sh, arg)
                except JobSpecError as exc:
                    sh.errmsg(str(exc), "wait")
                    if not sh.bash:
                        return 2  # an error in ash: the other operands are not waited for
                    status = 127
                    continue
            elif arg.isdigit():
                job = sh.jobs.by_pid(int(arg))
                if job is None:
                    status = 127
                    continue
            else:
                sh.errmsg(f"Illegal number: {arg}", "wait")
                status = 2
                continue
            status = _wait_job(sh, job)
        return status
    except _WaitInterrupted as exc:
        return exc.status


@builtin("jobs")
def jobs(sh: Shell, argv: list[str]) -> int:
    """``jobs [-p]``."""
    pids_only = "-p" in argv[1:]
    listing = list(reversed(sh.jobs.jobs))
    lines = []
    for pos, job in enumerate(listing):
        if pids_only:
            lines.append(f"{job.pid}\n")
            continue
        mark = "+" if pos == 0 else "-" if pos == 1 else " "
        if job.done():
            code = job.proc.status.shell_status if job.proc.status is not None else 0
            state = "Done" if code == 0 else f"Done({code})"
        else:
            state = "Running"
        lines.append(f"[{job.number}]{mark}  {state:<27}{job.command if sh.opts.interactive else ''}\n")
    sh.write("".join(lines))
    if not pids_only:
        for job in listing:
            if job.done():
                sh.jobs.remove(job)
                sh.kernel.reap(job.proc)
    return 0


@builtin("fg", "bg")
def fg(sh: Shell, argv: list[str]) -> int:
    """Job control is not available: the sandbox shell has no controlling terminal groups."""
    spec = argv[1] if len(argv) > 1 else None
    if spec is None and not sh.jobs.jobs:
        sh.errmsg("No current job", argv[0])
        return 2
    if spec is not None:
        try:
            job_of(sh, spec)
        except JobSpecError as exc:
            sh.errmsg(str(exc), argv[0])
            return 2
    sh.errmsg(f"job {spec or '(null)'} not created under job control", argv[0])
    return 2


@special("trap")
def trap(sh: Shell, argv: list[str]) -> int:
    """``trap [action] [signal ...]``."""
    args = argv[1:]
    if args and args[0] == "--":
        args = args[1:]
    if args and args[0] in ("-l", "-p") and sh.bash:
        if args[0] == "-l":
            sh.write("".join(f"{n:2}) SIG{name}\n" for n, name in sorted(SIGNAL_NAMES.items())))
            return 0
        args = args[1:]
        _list_traps(sh, args)
        return 0
    if args and args[0].startswith("-") and args[0] != "-":
        raise ShellError(f"illegal option {args[0]}", 2, builtin="trap")
    if not args:
        _list_traps(sh, [])
        return 0
    action: str | None = args[0]
    conditions = args[1:]
    if not conditions or args[0].isdigit() or action == "-":
        # "trap SIG", "trap 1 2" and "trap - SIG" reset the listed conditions
        conditions = args if (not conditions or args[0].isdigit()) else conditions
        action = None
    status = 0
    for cond in conditions:
        if sh.bash and cond.upper() in ("DEBUG", "RETURN"):
            sh.errmsg(f"{cond}: traps on {cond.upper()} are not supported by this shell", "trap")
            status = 1
            continue
        key = _condition(sh, cond)
        if key is None:
            sh.errmsg(f"{cond}: invalid signal specification", "trap")
            status = 1
            continue
        sh.set_trap(key, action)
    return status


def _condition(sh: Shell, cond: str) -> int | str | None:
    upper = cond.upper()
    if upper in ("EXIT", "0", "SIGEXIT"):
        return EXIT
    if upper == "ERR":  # bash's, and busybox's ash has it too
        return upper
    try:
        return parse_signal(cond)
    except ValueError:
        return None


def _list_traps(sh: Shell, only: list[str]) -> None:
    keys = sorted(sh.traps, key=lambda k: (1, 0, k) if isinstance(k, str) else (0, k, ""))
    wanted = {_condition(sh, c) for c in only} if only else None
    lines = []
    for key in keys:
        if wanted is not None and key not in wanted:
            continue
        name = "EXIT" if key == EXIT else key if isinstance(key, str) else signal_name(key)
        lines.append(f"trap -- {single_quote(sh.traps[key])} {name}\n")
    sh.write("".join(lines))
