"""The per-container kernel: process table, pid namespace rules, devices, users.

One :class:`Kernel` exists per running container. Its pid 1 is the container's main
process; when pid 1 ends, every other process of the container is killed, as when the
init of a Linux PID namespace exits.
"""

from __future__ import annotations

import errno
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from .files import DEVICES, HostFile, OpenFile
from .fs import FileSystem, normpath
from .process import Credentials, FdTable, Process, ProcessSpec
from .signals import SIGKILL

log = logging.getLogger(__name__)


FREEZE_TIMEOUT = 10.0
"""Seconds ``docker pause`` waits for every process of a container to stop."""


class FreezeTimeout(Exception):
    """A process of the container did not reach a point where it can be frozen."""


@dataclass(frozen=True)
class PasswdEntry:
    """One line of ``/etc/passwd``."""

    name: str
    uid: int
    gid: int
    home: str
    shell: str


class Kernel:
    """The process world of one container."""

    def __init__(
        self,
        fs: FileSystem,
        *,
        hostname: str = "localhost",
        on_init_exit: Callable[[Process], None] | None = None,
        memory_limit: int | None = None,
    ) -> None:
        self.fs = fs
        self.memory_limit = memory_limit
        """Bytes of memory the container may use (``HostConfig.Memory``), None for no limit."""
        self.hostname = hostname
        self.boot_time = time.time()
        self.tty: OpenFile | None = None
        self._on_init_exit = on_init_exit
        self._lock = threading.Lock()
        self._next_pid = 1
        self._processes: dict[int, Process] = {}
        self._threaded: set[int] = set()
        self._cpu_exited = 0.0
        self._exit_callbacks: dict[int, Callable[[Process], None]] = {}
        self._frozen = threading.Event()
        self._freezer = threading.Condition()
        self._parked: set[int] = set()
        """Idents of the threads whose process is stopped in :meth:`wait_thawed`."""

    # -- process table -----------------------------------------------------------------
    def new_process(self, spec: ProcessSpec, fds: FdTable, *, ppid: int = 0) -> Process:
        """Allocate a pid and register a process (its program is not running yet)."""
        with self._lock:
            pid = self._next_pid
            self._next_pid += 1
            proc = Process(self, pid, ppid, spec, fds)
            self._processes[pid] = proc
        return proc

    def spawn(
        self,
        spec: ProcessSpec,
        stdio: tuple[OpenFile, OpenFile, OpenFile],
        target: Callable[[Process], int],
        *,
        on_exit: Callable[[Process], None] | None = None,
    ) -> Process:
        """Start a top-level process (pid 1 first, then ``docker exec`` processes) on a thread.

        ``stdio`` references are taken over by the new process.
        """
        fds = FdTable({0: stdio[0], 1: stdio[1], 2: stdio[2]})
        proc = self.new_process(spec, fds, ppid=0)
        if on_exit is not None:
            self._exit_callbacks[proc.pid] = on_exit
        with self._lock:
            self._threaded.add(proc.pid)
        proc.start(lambda: target(proc))
        return proc

    def start_thread(self, proc: Process, target: Callable[[], int]) -> None:
        """Run an already created child (``fork``) on its own thread: a job or pipeline stage."""
        with self._lock:
            self._threaded.add(proc.pid)
        proc.start(target)

    def cpu_seconds(self) -> float:
        """CPU time used by the container's processes so far (threads that ended included)."""
        with self._lock:
            live = [p for p in self._processes.values() if p.pid in self._threaded and not p.exited()]
            total = self._cpu_exited
        return total + sum(p.cpu_seconds() for p in live)

    def live_count(self) -> int:
        """The number of processes that have not ended."""
        with self._lock:
            return sum(1 for p in self._processes.values() if not p.exited())

    def processes(self) -> list[Process]:
        """A snapshot of the live and zombie processes, by pid."""
        with self._lock:
            return [self._processes[pid] for pid in sorted(self._processes)]

    def get(self, pid: int) -> Process | None:
        """The process with ``pid``, if it exists."""
        return self._processes.get(pid)

    @property
    def init(self) -> Process | None:
        """Pid 1, while it exists."""
        return self._processes.get(1)

    def process_exited(self, proc: Process) -> None:
        """Called by a process when it ends: reaping rules and the death of init."""
        with self._lock:
            threaded = proc.pid in self._threaded
            if threaded and proc.thread_id == threading.get_ident():
                self._cpu_exited += time.thread_time()  # the thread's CPU time, before it is gone
            parent = self._processes.get(proc.ppid)
            if not threaded or parent is None or parent.exited() or proc.ppid == 0:
                self._processes.pop(proc.pid, None)
                self._threaded.discard(proc.pid)
            for other in list(self._processes.values()):  # orphans are reaped by init
                if other.ppid == proc.pid and other.exited():
                    self._processes.pop(other.pid, None)
        self._freezer_changed()
        callback = self._exit_callbacks.pop(proc.pid, None)
        if proc.pid == 1:
            self.signal_all(SIGKILL)
        if callback is not None:
            callback(proc)
        if proc.pid == 1 and self._on_init_exit is not None:
            self._on_init_exit(proc)

    def reap(self, proc: Process) -> None:
        """Remove a finished child from the table (its parent has collected the status)."""
        with self._lock:
            if proc.exited():
                self._processes.pop(proc.pid, None)
                self._threaded.discard(proc.pid)

    # -- freezing (docker pause) ---------------------------------------------------------
    @property
    def frozen(self) -> bool:
        """True while the container is paused."""
        return self._frozen.is_set()

    def freeze(self, timeout: float = FREEZE_TIMEOUT) -> None:
        """Stop every process, as the freezer cgroup does: returns once none of them can run on.

        Each thread that runs a process of the container must reach a check point and stop
        there (a process that ends or is being killed counts as stopped). A thread that does
        not within ``timeout`` makes the freeze fail: the container is thawed and
        :class:`FreezeTimeout` is raised, as runc fails a freeze that does not settle.
        """
        self._frozen.set()
        for proc in self.processes():
            proc.wake()
        deadline = time.monotonic() + timeout
        with self._freezer:
            while True:
                running = self._unfrozen_threads()
                if not running:
                    return
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._freezer.wait(remaining)
        self.thaw()
        names = ", ".join(f"{p.pid} ({' '.join(p.argv[:2])})" for p in running)
        raise FreezeTimeout(f"could not freeze the container: process {names} did not stop within {timeout:g}s")

    def _unfrozen_threads(self) -> list[Process]:
        """The processes at the top of a thread that is neither stopped in the freezer nor done."""
        with self._lock:
            live = [p for p in self._processes.values() if p.pid in self._threaded and not p.exited()]
        return [p for p in live
                if p.thread_id is not None and p.thread_id not in self._parked and not p.killed]

    def thaw(self) -> None:
        """Let frozen processes continue."""
        self._frozen.clear()
        for proc in self.processes():
            proc.wake()

    def wait_thawed(self, proc: Process) -> None:
        """Block ``proc`` while the kernel is frozen (called from ``Process.check``)."""
        ident = threading.get_ident()
        with self._freezer:
            self._parked.add(ident)
            self._freezer.notify_all()
        try:
            while self._frozen.is_set() and not proc.killed:
                proc.wait_plain(0.05)
        finally:
            with self._freezer:
                self._parked.discard(ident)

    def _freezer_changed(self) -> None:
        with self._freezer:
            self._freezer.notify_all()

    # -- signals -----------------------------------------------------------------------
    def kill(self, pid: int, signum: int, *, inside: bool = False) -> None:
        """``kill(pid, sig)``; ``ProcessLookupError`` when there is no such process.

        ``inside``: sent by a process of the container (its init ignores even SIGKILL then).
        """
        proc = self._processes.get(pid)
        if proc is None or proc.exited():
            raise ProcessLookupError(errno.ESRCH, "No such process")
        if signum:
            proc.deliver(signum, inside=inside)

    def kill_group(self, pgid: int, signum: int, *, inside: bool = False) -> int:
        """Signal every live process of a process group; returns how many got it."""
        targets = [p for p in self.processes() if p.pgid == pgid and not p.exited()]
        for proc in targets:
            proc.deliver(signum, inside=inside)
        return len(targets)

    def signal_all(self, signum: int) -> None:
        """Signal every live process (the container is being stopped or has lost init)."""
        for proc in self.processes():
            if not proc.exited():
                proc.deliver(signum)

    def report_crash(self, proc: Process, exc: BaseException) -> None:
        """A program raised unexpectedly: log it and tell the user, never crash the daemon."""
        log.error("sandbox program %r crashed", proc.argv, exc_info=exc)
        proc.error(f"internal error: {type(exc).__name__}: {exc}")

    # -- files -------------------------------------------------------------------------
    def open_file(self, proc: Process, path: str, flags: int, mode: int) -> OpenFile:
        """Open a path for ``proc``: virtual devices first, then the jail."""
        logical = normpath(path, proc.cwd)
        device = DEVICES.get(logical)
        if device is not None:
            return device()
        fd_number = fd_alias(logical)
        if fd_number is not None:
            file = proc.fds.get(fd_number)
            if file is None:
                raise OSError(errno.ENOENT, os.strerror(errno.ENOENT), path)
            return file.acquire()
        if logical == "/dev/tty":
            if self.tty is None:
                raise OSError(errno.ENXIO, os.strerror(errno.ENXIO), path)
            return self.tty.acquire()
        fd = self.fs.open(path, flags, mode & ~proc.umask, cwd=proc.cwd)
        return HostFile(fd, flags, logical)

    # -- users -------------------------------------------------------------------------
    def passwd(self) -> list[PasswdEntry]:
        """Entries of the container's ``/etc/passwd`` (empty when it is missing)."""
        try:
            text = self.fs.read_bytes("/etc/passwd").decode("utf-8", "replace")
        except OSError:
            return []
        entries = []
        for line in text.splitlines():
            fields = line.split(":")
            if len(fields) >= 7 and fields[2].isdigit() and fields[3].isdigit():
                entries.append(PasswdEntry(fields[0], int(fields[2]), int(fields[3]), fields[5], fields[6]))
        return entries

    def groups(self) -> dict[int, tuple[str, list[str]]]:
        """``/etc/group`` as gid -> (name, member names)."""
        try:
            text = self.fs.read_bytes("/etc/group").decode("utf-8", "replace")
        except OSError:
            return {}
        result = {}
        for line in text.splitlines():
            fields = line.split(":")
            if len(fields) >= 4 and fields[2].isdigit():
                members = [m for m in fields[3].split(",") if m]
                result[int(fields[2])] = (fields[0], members)
        return result

    def user_name(self, uid: int) -> str | None:
        """Name of ``uid`` in the container, if it has one."""
        return next((e.name for e in self.passwd() if e.uid == uid), None)

    def group_name(self, gid: int) -> str | None:
        """Name of ``gid`` in the container, if it has one."""
        entry = self.groups().get(gid)
        return entry[0] if entry else None

    def resolve_user(self, spec: str) -> Credentials:
        """Turn Docker's ``User`` (``name``, ``uid``, ``name:group``, ``uid:gid``) into credentials.

        Raises ``LookupError`` with Docker's wording when a name is unknown.
        """
        if not spec:
            spec = "0"
        user, _, group = spec.partition(":")
        entries = self.passwd()
        if user.isdigit():
            uid = int(user)
            match = next((e for e in entries if e.uid == uid), None)
            gid = match.gid if match else 0
            name = match.name if match else user
        else:
            match = next((e for e in entries if e.name == user), None)
            if match is None:
                raise LookupError(f"unable to find user {user}: no matching entries in passwd file")
            uid, gid, name = match.uid, match.gid, match.name
        if group:
            if group.isdigit():
                gid = int(group)
            else:
                found = next((g for g, (n, _) in self.groups().items() if n == group), None)
                if found is None:
                    raise LookupError(f"unable to find group {group}: no matching entries in group file")
                gid = found
        extra = tuple(g for g, (_, members) in self.groups().items() if name in members and g != gid)
        return Credentials(uid=uid, gid=gid, groups=extra, user=name)

    def home_of(self, uid: int) -> str:
        """Home directory of ``uid`` (``/`` when unknown, as Docker sets ``HOME``)."""
        return next((e.home for e in self.passwd() if e.uid == uid), "/")


def fd_alias(path: str) -> int | None:
    """The descriptor a ``/dev/fd/N``, ``/proc/self/fd/N`` or ``/dev/std*`` path names."""
    for prefix in ("/dev/fd/", "/proc/self/fd/"):
        if path.startswith(prefix) and path[len(prefix):].isdigit():
            return int(path[len(prefix):])
    names = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}
    return names.get(path)
