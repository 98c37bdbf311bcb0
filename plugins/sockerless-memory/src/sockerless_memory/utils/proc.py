"""Processes: env, kill, killall, pidof, ps, top, timeout, nice, nohup, time."""

from __future__ import annotations

import os
import re
import time as time_mod

from ..sandbox.exec import ExecError
from ..sandbox.process import Disposition, Process
from ..sandbox.signals import SIGHUP, SIGKILL, SIGTERM, SignalTermination, parse_signal, signal_name
from .basic import parse_duration
from .common import Util, strerror, user_label, utility
from .spawn import exec_in_place, exec_reason, run_child, start_child, wait_until


@utility("env", usage="env [-i] [-u NAME]... [-] [NAME=VALUE]... [PROG ARGS]\n\nPrint current environment or run PROG after setting up environment\n\n\t-, -i\tStart with empty environment\n\t-u\tRemove variable from the environment\n\t-0\tNUL terminated output")
def env(u: Util, argv: list[str]) -> int:
    """env [-i] [-u NAME]... [-0] [NAME=VALUE]... [PROG ARGS]."""
    opts, args = u.getopt(argv[1:], "+iu:0", {"ignore-environment": "i", "unset=": "u", "null": "0"})
    environment = {} if "i" in opts else dict(u.env)
    if args and args[0] == "-":
        environment = {}
        args = args[1:]
    for name in opts.all("u"):
        environment.pop(name, None)
    while args and "=" in args[0] and not args[0].startswith("="):
        name, _, value = args.pop(0).partition("=")
        environment[name] = value
    if not args:
        end = b"\0" if "0" in opts else b"\n"
        for name, value in environment.items():
            u.out.write(f"{name}={value}".encode("utf-8", "surrogateescape") + end)
        return 0
    u.proc.env = environment
    return exec_in_place(u, args)


def _signal_arg(u: Util, text: str) -> int:
    try:
        return 0 if text == "0" else parse_signal(text)
    except ValueError:
        u.fail(f"bad signal name '{text}'")


def _list_signals(u: Util, names: list[str]) -> int:
    if not names:
        for num in range(1, 32):
            label = "POLL" if num == 29 else signal_name(num)  # busybox lists SIGIO by its other name
            u.out.write(f"{num:2d}) {label}\n".encode())
        return 0
    for name in names:
        if name.isdigit():
            num = int(name)
            if num > 128:
                num &= 127  # an exit status 128+n names signal n (busybox keeps the low 7 bits)
            label = signal_name(num) if num in range(1, 65) else None
            u.out.write(f"{label if label else num}\n".encode())
        else:
            try:
                u.out.write(f"{parse_signal(name)}\n".encode())
            except ValueError:
                u.warn(f"unknown signal '{name}'")
    return u.status


def send_signal(u: Util, target: int, signum: int) -> None:
    """``kill(2)`` in the container: a pid, ``-PGID``, 0 (own group) or -1 (everything else)."""
    kernel = u.proc.kernel
    if target > 0:
        kernel.kill(target, signum, inside=True)
        return
    if target == -1:
        victims = [p for p in kernel.processes() if p.pid not in (1, u.proc.pid) and not p.exited()]
        if not victims:
            raise ProcessLookupError
        for victim in victims:
            if signum:
                victim.deliver(signum, inside=True)
        return
    group = u.proc.pgid if target == 0 else -target
    if signum == 0:
        if not any(p.pgid == group and not p.exited() for p in kernel.processes()):
            raise ProcessLookupError
        return
    if kernel.kill_group(group, signum, inside=True) == 0:
        raise ProcessLookupError


@utility("kill", usage="kill [-l] [-SIG] PID...\n\nSend a signal (default: TERM) to given PIDs\n\n\t-l\tList all signal names and numbers")
def kill(u: Util, argv: list[str]) -> int:
    """kill [-s SIG | -SIG | -n NUM] PID... | -l [SIG]..."""
    args = argv[1:]
    signum = SIGTERM
    if args and args[0] == "-l":
        return _list_signals(u, args[1:])
    if args and args[0] in ("-s", "-n"):
        if len(args) < 2:
            u.usage_error()
        signum = _signal_arg(u, args[1])
        args = args[2:]
    elif args and args[0].startswith("-") and len(args[0]) > 1 and args[0] != "--":
        signum = _signal_arg(u, args[0][1:])
        args = args[1:]
    if args and args[0] == "--":
        args = args[1:]
    if not args:
        u.fail("you need to specify whom to kill")
    errors = 0  # busybox exits with their count
    for arg in args:
        pids, junk = _kill_operand(arg)
        for pid in pids:
            try:
                send_signal(u, pid, signum)
            except ProcessLookupError:
                u.error(f"can't kill pid {pid}: No such process")
                errors += 1
        if junk is not None:
            u.error(f"invalid number '{junk}'")
            errors += 1
    return errors


_PID = re.compile(r"-?[0-9]+")
_INT = range(-(1 << 31), 1 << 31)


def _kill_operand(arg: str) -> tuple[list[int], str | None]:
    """The pids of a kill operand, and the rest of it from where it is not a number (or None).

    busybox's shells hand a job to its kill as ``" PID1 PID2"`` (one space before each pid),
    or as ``""`` once the job has ended, so both forms are read.
    """
    pids: list[int] = []
    rest = arg
    while rest:
        if rest[0] == " ":
            rest = rest[1:]
        m = _PID.match(rest)
        if m is None or rest[m.end():m.end() + 1] not in ("", " ") or int(m.group()) not in _INT:
            return pids, rest
        pids.append(int(m.group()))
        rest = rest[m.end():]
    return pids, None


def _command_name(proc: Process) -> str:
    return os.path.basename(proc.argv[0]) if proc.argv else ""


@utility("killall", usage="killall [-l] [-q] [-SIG] PROCESS_NAME...\n\nSend a signal (default: TERM) to given processes\n\n\t-l\tList all signal names and numbers\n\t-q\tDon't complain if no processes were killed")
def killall(u: Util, argv: list[str]) -> int:
    """killall [-q] [-SIG] NAME..."""
    args = argv[1:]
    signum = SIGTERM
    quiet = False
    while args and args[0].startswith("-") and len(args[0]) > 1:
        flag = args.pop(0)
        if flag == "-l":
            return _list_signals(u, [])
        if flag == "-q":
            quiet = True
        elif flag == "-s" and args:
            signum = _signal_arg(u, args.pop(0))
        else:
            signum = _signal_arg(u, flag[1:])
    if not args:
        u.usage_error()
    for name in args:
        victims = [p for p in u.proc.kernel.processes() if _command_name(p) == name and p.pid != u.proc.pid and not p.exited()]
        if not victims:
            if not quiet:
                u.warn(f"{name}: no process killed")
            else:
                u.status = 1
        for victim in victims:
            victim.deliver(signum, inside=True)
    return u.status


@utility("pidof", usage="pidof [-s] [-o PID] [NAME]...\n\nList PIDs of all processes with names that match NAMEs\n\n\t-s\tShow only one PID\n\t-o PID\tOmit given pid\n\t\tUse %PPID to omit pid of pidof's parent")
def pidof(u: Util, argv: list[str]) -> int:
    """pidof [-s] [-o PID] NAME..."""
    opts, names = u.getopt(argv[1:], "so:")
    omit = {int(p) if p.isdigit() else u.proc.ppid for p in opts.all("o") if p.isdigit() or p == "%PPID"}
    found: list[int] = []
    for name in names:
        for proc in reversed(u.proc.kernel.processes()):
            if proc.exited() or proc.pid in omit or proc.pid in found:
                continue
            if _command_name(proc) == name:
                found.append(proc.pid)
                if "s" in opts:
                    break
    if found:
        u.out.write((" ".join(str(p) for p in found) + "\n").encode())
    return 0 if found else 1


def _cpu_time(proc: Process) -> str:
    seconds = int(proc.cpu_seconds())
    return f"{seconds // 60}:{seconds % 60:02d}"


_PS_COLUMNS = {
    # name: (header, width, right-aligned)
    "pid": ("PID", 5, True), "ppid": ("PPID", 5, True), "pgid": ("PGID", 5, True), "sid": ("SID", 5, True),
    "user": ("USER", 8, False), "ruser": ("RUSER", 8, False), "group": ("GROUP", 8, False), "rgroup": ("RGROUP", 8, False),
    "comm": ("COMMAND", 16, False), "args": ("COMMAND", 0, False), "stat": ("STAT", 4, False),
    "time": ("TIME", 5, True), "etime": ("ELAPSED", 7, True), "nice": ("NI", 3, True), "vsz": ("VSZ", 5, True),
    "rss": ("RSS", 5, True), "tty": ("TT", 6, False),
}


def _ps_value(u: Util, proc: Process, column: str) -> str:
    if column in ("pid", "ppid", "pgid"):
        return str({"pid": proc.pid, "ppid": proc.ppid, "pgid": proc.pgid}[column])
    if column == "sid":
        return "1"
    if column in ("user", "ruser"):
        return proc.creds.user or user_label(u.proc, proc.creds.uid)
    if column in ("group", "rgroup"):
        return u.proc.kernel.group_name(proc.creds.gid) or str(proc.creds.gid)
    if column == "comm":
        return _command_name(proc)
    if column == "args":
        return " ".join(proc.argv)
    if column == "stat":
        return proc.state.value
    if column == "time":
        return _cpu_time(proc)
    if column == "etime":
        elapsed = int(time_mod.time() - proc.start_time)
        return f"{elapsed // 60}:{elapsed % 60:02d}"
    if column == "nice":
        return str(getattr(proc, "nice", 0))
    if column == "tty":
        return "?"
    return "0"


@utility("ps", usage="ps [-o COL1,COL2=HEADER] [-T]\n\nShow list of processes\n\n\t-o COL1,COL2=HEADER\tSelect columns for display\n\t-T\t\t\tShow threads")
def ps(u: Util, argv: list[str]) -> int:
    """ps [-o COLUMNS]... (also accepts ``-ef``, ``aux`` and friends, which change nothing)."""
    opts, _ = u.getopt(argv[1:], "o:eAfalwTxZ")
    processes = [p for p in u.proc.kernel.processes() if p.status is None or not p.exited()]
    if "o" not in opts:
        u.out.write(b"PID   USER     TIME  COMMAND\n")
        for proc in processes:
            user = proc.creds.user or user_label(u.proc, proc.creds.uid)
            line = f"{proc.pid:5d} {user:<8.8} {_cpu_time(proc):>5} {' '.join(proc.argv)}"
            u.out.write(line.encode("utf-8", "surrogateescape") + b"\n")
        return 0
    columns: list[tuple[str, str]] = []
    for spec in opts.all("o"):
        for item in spec.split(","):
            name, eq, header = item.partition("=")
            if name not in _PS_COLUMNS:
                u.fail(f"bad -o argument '{name}', supported arguments: {','.join(_PS_COLUMNS)}")
            columns.append((name, header if eq else _PS_COLUMNS[name][0]))
    rows = [[_ps_value(u, proc, name) for name, _ in columns] for proc in processes]

    def render(cells: list[str], heading: bool = False) -> str:
        parts = []
        for i, ((name, header), cell) in enumerate(zip(columns, cells, strict=True)):
            _, width, right = _PS_COLUMNS[name]
            width = max(width, len(header))
            last = i == len(columns) - 1
            if right and not heading:  # busybox left-aligns every heading
                parts.append(cell.rjust(width))
            else:
                parts.append(cell if last else cell[:width].ljust(width))
        return " ".join(parts).rstrip()

    if any(header for _, header in columns):
        u.out.write(render([header for _, header in columns], heading=True).encode() + b"\n")
    for cells in rows:
        u.out.write(render(cells).encode("utf-8", "surrogateescape") + b"\n")
    return 0


@utility("timeout", usage="timeout [-s SIG] [-k KILL_SECS] SECS PROG ARGS\n\nRun PROG. Send SIG to it if it is not gone in SECS seconds.\nDefault SIG: TERM.If it still exists in KILL_SECS seconds, send KILL.")
def timeout(u: Util, argv: list[str]) -> int:
    """timeout [-s SIG] [-k KILL_SECS] SECS PROG ARGS.

    Busybox's timeout becomes PROG (it execs it and a forked watcher sends the signal),
    so it ends as PROG ends: killed by SIG when the time ran out (``$?`` 128+SIG, not
    GNU's 124).
    """
    opts, args = u.getopt(argv[1:], "+s:k:", {"signal=": "s", "kill-after=": "k"})
    signum = _signal_arg(u, opts.get("s", "TERM") or "TERM")
    if len(args) < 2:
        u.usage_error()
    seconds_text = args.pop(0)
    try:
        seconds = parse_duration(seconds_text or "")
        kill_after = parse_duration(opts.get("k") or "0") if "k" in opts else None
    except ValueError:
        u.fail(f"invalid number '{seconds_text}'")

    def report(exc: ExecError) -> None:
        u.error(f"can't execute '{args[0]}': {exec_reason(exc)}")

    child = start_child(u, args, report)
    if seconds > 0 and not wait_until(u, child, seconds):
        child.deliver(signum)
        if kill_after is not None and not wait_until(u, child, kill_after):
            child.deliver(SIGKILL)
    status = u.proc.wait_child(child)
    if status.signal is not None:
        raise SignalTermination(status.signal)
    return status.code


@utility("nice", usage="nice [-n ADJUST] [PROG ARGS]\n\nChange scheduling priority, run PROG\n\n\t-n ADJUST\tAdjust priority by ADJUST")
def nice(u: Util, argv: list[str]) -> int:
    """nice [-n ADJUST] [PROG ARGS]: the sandbox records the niceness; threads are not reprioritised."""
    args = argv[1:]
    if args and args[0].startswith("-") and args[0][1:].lstrip("-").isdigit():
        args = ["-n", args[0][1:], *args[1:]]
    opts, args = u.getopt(args, "+n:", {"adjustment=": "n"})
    current = getattr(u.proc, "nice", 0)
    if not args:
        u.out.write(f"{current}\n".encode())
        return 0
    try:
        adjust = int(opts.get("n", "10") or "10")
    except ValueError:
        u.fail(f"invalid number '{opts.get('n')}'")
    u.proc.nice = max(-20, min(19, current + adjust))  # type: ignore[attr-defined]
    return exec_in_place(u, args)


@utility("nohup", usage="nohup PROG ARGS\n\nRun PROG immune to hangups, with output to a non-tty")
def nohup(u: Util, argv: list[str]) -> int:
    """nohup PROG ARGS: ignore SIGHUP; a terminal stdout goes to nohup.out."""
    _, args = u.getopt(argv[1:], "+")
    if not args:
        u.usage_error()
    u.proc.dispositions[SIGHUP] = Disposition.IGNORE
    out = u.proc.fds.get(1)
    if out is not None and out.isatty():
        try:
            file = u.create("nohup.out", append=True, mode=0o600)
        except OSError:
            home = u.env.get("HOME", "/")
            try:
                file = u.create(home.rstrip("/") + "/nohup.out", append=True, mode=0o600)
            except OSError as exc:
                u.fail(f"can't open 'nohup.out': {strerror(exc)}", 127)
        u.proc.fds.install(file, 1)
        u.error("appending output to nohup.out")
    err = u.proc.fds.get(2)
    if err is not None and err.isatty():
        u.proc.fds.dup2(1, 2)
    return exec_in_place(u, args)


@utility("time", usage="time [-vpa] [-o FILE] PROG ARGS\n\nRun PROG, display resource usage when it exits\n\n\t-v\tVerbose\n\t-p\tPOSIX output format\n\t-f FMT\tCustom format\n\t-o FILE\tWrite result to FILE\n\t-a\tAppend (else overwrite)")
def time_(u: Util, argv: list[str]) -> int:
    """time [-vp] [-o FILE] PROG ARGS: real, user and system time on stderr."""
    opts, args = u.getopt(argv[1:], "+vpao:f:")
    if not args:
        u.usage_error()

    def report(exc: ExecError) -> None:
        u.error(f"can't execute '{args[0]}': {exec_reason(exc)}")

    start = time_mod.monotonic()
    cpu_start = time_mod.thread_time()
    status = run_child(u, args, report)
    real = time_mod.monotonic() - start
    user = time_mod.thread_time() - cpu_start
    if "p" in opts:
        text = f"real {real:.2f}\nuser {user:.2f}\nsys 0.00\n"
    elif "v" in opts:
        text = (
            f'\tCommand being timed: "{" ".join(args)}"\n\tUser time (seconds): {user:.2f}\n'
            f"\tSystem time (seconds): 0.00\n\tElapsed (wall clock) time (h:mm:ss or m:ss): "
            f"{int(real // 60)}:{real % 60:05.2f}\n\tExit status: {status.code}\n"
        )
    else:
        text = f"real\t{int(real // 60)}m {real % 60:.2f}s\nuser\t{int(user // 60)}m {user % 60:.2f}s\nsys\t0m 0.00s\n"
    if status.signal is not None:
        text = f"Command terminated by signal {status.signal}\n" + text
    elif status.code:
        text = f"Command exited with non-zero status {status.code}\n" + text
    if "o" in opts:
        try:
            file = u.create(opts.get("o") or "", append="a" in opts)
            file.write(text.encode())
            file.release()
        except OSError as exc:
            u.error(f"can't open '{opts.get('o')}': {strerror(exc)}")
    else:
        u.proc.stderr.write(text.encode())
    return status.shell_status
