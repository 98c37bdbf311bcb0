"""top: the container's processes, refreshed (``-b`` batch mode for scripts and ``docker exec``)."""

from __future__ import annotations

import os
import time

from ..sandbox.process import Process
from .basic import parse_duration
from .common import Util, user_label, utility

_USAGE = """top [-b] [-n COUNT] [-d SECONDS]

Show a view of process activity in real time.
Read the status of all processes from /proc each SECONDS
and show a screenful of them.

\t-b\tBatch mode
\t-n N\tExit after N iterations
\t-d SEC\tDelay between updates"""

_HEADER = "  PID  PPID USER     STAT   VSZ %VSZ CPU %CPU COMMAND"


def _memory_line() -> str:
    """The machine's memory, as busybox's first line shows it (a container sees the host's)."""
    fields: dict[str, int] = {}
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                name, _, rest = line.partition(":")
                fields[name] = int(rest.split()[0])
    except (OSError, ValueError, IndexError):
        pass
    total, free = fields.get("MemTotal", 0), fields.get("MemFree", 0)
    return (f"Mem: {total - free}K used, {free}K free, {fields.get('Shmem', 0)}K shrd, "
            f"{fields.get('Buffers', 0)}K buff, {fields.get('Cached', 0)}K cached")


def _load_line(processes: list[Process]) -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        one = five = fifteen = 0.0
    running = sum(1 for p in processes if p.state.value == "R")
    last = max((p.pid for p in processes), default=0)
    return f"Load average: {one:.2f} {five:.2f} {fifteen:.2f} {running}/{len(processes)} {last}"


def _screen(u: Util, previous: dict[int, float], elapsed: float) -> str:
    """One refresh: summary lines and a row per live process of the container."""
    processes = [p for p in u.proc.kernel.processes() if not p.exited()]
    busy = {p.pid: p.cpu_seconds() for p in processes}
    total = sum(max(busy[p.pid] - previous.get(p.pid, busy[p.pid]), 0.0) for p in processes)
    usage = min(100, round(total * 100 / elapsed)) if elapsed > 0 else 0
    lines = [
        _memory_line(),
        f"CPU: {usage:3d}% usr   0% sys   0% nic {100 - usage:3d}% idle   0% io   0% irq   0% sirq",
        _load_line(processes),
        _HEADER,
    ]
    for p in processes:
        share = round(max(busy[p.pid] - previous.get(p.pid, busy[p.pid]), 0.0) * 100 / elapsed) if elapsed > 0 else 0
        user = p.creds.user or user_label(u.proc, p.creds.uid)
        command = " ".join(p.argv)
        lines.append(f"{p.pid:5d} {p.ppid:5d} {user:<8.8} {p.state.value:<4.4} {0:5d} {0:3d}% {0:3d} {share:3d}% {command}")
    previous.clear()
    previous.update(busy)
    return "\n".join(lines) + "\n"


@utility("top", usage=_USAGE)
def top(u: Util, argv: list[str]) -> int:
    """top [-b] [-n COUNT] [-d SECONDS]: without ``-n`` it refreshes until it is signalled."""
    opts, args = u.getopt(argv[1:], "bn:d:")
    if args:
        u.usage_error()
    try:
        count = int(opts.get("n") or "0") if "n" in opts else None
        delay = parse_duration(opts.get("d") or "5") if "d" in opts else 5.0
    except ValueError:
        u.fail(f"invalid number '{opts.get('n') if 'n' in opts else opts.get('d')}'")
    batch = "b" in opts
    previous: dict[int, float] = {}
    started = time.monotonic()
    shown = 0
    while count is None or shown < max(count, 1):
        now = time.monotonic()
        screen = _screen(u, previous, now - started)
        started = now
        u.out.write((screen if batch else "\033[H\033[J" + screen).encode("utf-8", "surrogateescape"))
        u.out.flush()
        shown += 1
        if count is not None and shown >= count:
            break
        u.proc.sleep(max(delay, 0.05))
    return 0
