"""``docker top`` for sandbox processes: the ``ps`` listings dockerd produces with the host's ps.

Supported ``ps_args``: none, ``-ef``/``-e``/``-f`` (the full listing), ``aux``, and ``-o``
column lists (``-o pid,user``, ``-eo pid,args``, ``-eopid,user``). Memory columns (``%MEM``,
``VSZ``, ``RSS``) show ``-``: sandbox processes are threads of the daemon and have no memory
of their own to measure.
"""

from __future__ import annotations

import time

from sockerless.api.errors import InvalidParameter

from .sandbox.kernel import Kernel
from .sandbox.process import Process

FULL = ["uid", "pid", "ppid", "c", "stime", "tty", "time", "cmd"]
BSD = ["user", "pid", "pcpu", "pmem", "vsz", "rss", "tty", "stat", "start", "bsdtime", "command"]
HEADERS = {
    "pid": "PID", "ppid": "PPID", "pgid": "PGID", "uid": "UID", "user": "USER", "gid": "GID", "group": "GROUP",
    "comm": "COMMAND", "args": "COMMAND", "cmd": "CMD", "command": "COMMAND", "time": "TIME", "bsdtime": "TIME",
    "etime": "ELAPSED", "tty": "TTY", "stat": "STAT", "c": "C", "stime": "STIME", "start": "START",
    "pcpu": "%CPU", "%cpu": "%CPU", "pmem": "%MEM", "%mem": "%MEM", "vsz": "VSZ", "rss": "RSS",
}


def columns_for(ps_args: str) -> list[tuple[str, str]]:
    """``(column, header)`` pairs for the ps arguments dockerd would pass to ps."""
    args = ps_args.split()
    if not args or all(a.lstrip("-") in ("e", "f", "ef", "fe", "A") for a in args):
        return [(c, HEADERS[c]) for c in FULL]
    if args in (["aux"], ["-aux"], ["axu"]):
        return [(c, HEADERS[c]) for c in BSD]
    wanted: list[str] = []
    pending_o = False
    for arg in args:
        if pending_o:
            wanted.extend(arg.split(","))
            pending_o = False
            continue
        flags = arg.lstrip("-")
        if "o" in flags:
            before, _, after = flags.partition("o")
            if set(before) - set("ef"):
                break
            if after:
                wanted.extend(after.split(","))
            else:
                pending_o = True
            continue
        if set(flags) - set("ef"):
            break
    else:
        if wanted:
            result = []
            for item in wanted:
                name, eq, header = item.partition("=")
                if name.lower() not in HEADERS:
                    raise InvalidParameter(f"ps_args {ps_args!r}: unknown column {name!r} (the memory backend supports "
                                           f"{', '.join(sorted(HEADERS))})")
                result.append((name.lower(), header if eq else HEADERS[name.lower()]))
            if not any(c == "pid" for c, _ in result):
                raise InvalidParameter("Couldn't find PID field in ps output")
            return result
    raise InvalidParameter(f"ps_args {ps_args!r}: the memory backend supports -ef, aux and -o column lists")


def _clock(seconds: float, *, bsd: bool = False) -> str:
    whole = int(seconds)
    if bsd:
        return f"{whole // 60}:{whole % 60:02d}"
    return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def value(kernel: Kernel, proc: Process, column: str) -> str:
    """One cell of the listing."""
    uid, gid = proc.creds.uid, proc.creds.gid
    tty = "pts/0" if any(proc.fds.get(fd) is not None and proc.fds.get(fd).isatty() for fd in (0, 1, 2)) else "?"
    cpu = proc.cpu_seconds()
    age = max(time.time() - proc.start_time, 1e-6)
    cells = {
        "pid": str(proc.pid), "ppid": str(proc.ppid), "pgid": str(proc.pgid), "uid": kernel.user_name(uid) or str(uid),
        "user": kernel.user_name(uid) or str(uid), "gid": str(gid), "group": kernel.group_name(gid) or str(gid),
        "comm": proc.argv[0].rsplit("/", 1)[-1] if proc.argv else "", "args": " ".join(proc.argv),
        "cmd": " ".join(proc.argv), "command": " ".join(proc.argv), "time": _clock(cpu), "bsdtime": _clock(cpu, bsd=True),
        "etime": _clock(age, bsd=True), "tty": tty, "stat": proc.state.value, "c": str(min(99, int(100 * cpu / age))),
        "stime": time.strftime("%H:%M", time.localtime(proc.start_time)),
        "start": time.strftime("%H:%M", time.localtime(proc.start_time)),
        "pcpu": f"{100 * cpu / age:.1f}", "%cpu": f"{100 * cpu / age:.1f}",
        "pmem": "-", "%mem": "-", "vsz": "-", "rss": "-",
    }
    return cells[column]


def top(kernel: Kernel | None, ps_args: str) -> tuple[list[str], list[list[str]]]:
    """Titles and rows for ``docker top``."""
    columns = columns_for(ps_args)
    rows = []
    for proc in kernel.processes() if kernel else []:
        if not proc.exited():
            rows.append([value(kernel, proc, c) for c, _ in columns])
    return [h for _, h in columns], rows
