"""Sandbox processes: Python threads with Unix process semantics.

A :class:`Process` has a pid, a parent, a descriptor table, an environment, a working
directory and signal dispositions. Its program runs either on a thread of its own
(:meth:`Process.start`: pipeline stages, background jobs, container init, execs) or on
its parent's thread while the parent waits (:meth:`Process.run`: a foreground command or
a subshell), which is what ``fork``+``wait`` amounts to without the copy.

Signals are recorded by :meth:`Process.deliver` and acted upon at check points: every
blocking wait of the process wakes up and :meth:`Process.check` raises
:class:`SignalTermination` (default action), :class:`Interrupted` (a caught signal while
an interruptible wait is active) or nothing (ignored, or caught and left pending for the
shell's trap handling).
"""

from __future__ import annotations

import enum
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .signals import (
    SIGCONT,
    SIGKILL,
    SIGSTOP,
    Action,
    Interrupted,
    ProcessExit,
    SignalTermination,
    default_action,
)

if TYPE_CHECKING:
    from .files import OpenFile
    from .kernel import Kernel

_local = threading.local()


def current() -> Process | None:
    """The process whose code runs on this thread right now."""
    stack = getattr(_local, "stack", None)
    return stack[-1] if stack else None


def check() -> None:
    """``current().check()`` when there is a current process."""
    proc = current()
    if proc is not None:
        proc.check()


def wait_for(cond: threading.Condition, predicate: Callable[[], object], timeout: float | None = None) -> bool:
    """Wait on ``cond`` until ``predicate()`` holds, interruptibly for the current process."""
    proc = current()
    if proc is None:
        with cond:
            return cond.wait_for(predicate, timeout)
    return proc.wait_for(cond, predicate, timeout)


class Disposition(enum.Enum):
    """How a process handles a signal."""

    DEFAULT = "default"
    IGNORE = "ignore"
    CATCH = "catch"


class State(enum.Enum):
    """Process state letters as ``ps`` shows them."""

    RUNNING = "R"
    SLEEPING = "S"
    STOPPED = "T"
    ZOMBIE = "Z"


@dataclass(frozen=True)
class ExitStatus:
    """How a process ended: an exit code, or the signal that killed it."""

    code: int = 0
    signal: int | None = None

    @property
    def shell_status(self) -> int:
        """``$?`` as a shell reports it: the code, or 128+signal."""
        return 128 + self.signal if self.signal is not None else self.code


class FdTable:
    """A process's file descriptors: small integers mapping to open file descriptions."""

    def __init__(self, entries: dict[int, OpenFile] | None = None, cloexec: set[int] | None = None) -> None:
        self._fds: dict[int, OpenFile] = dict(entries or {})
        self._cloexec: set[int] = set(cloexec or ())

    def get(self, fd: int) -> OpenFile | None:
        """The description behind ``fd``, or ``None``."""
        return self._fds.get(fd)

    def __getitem__(self, fd: int) -> OpenFile:
        try:
            return self._fds[fd]
        except KeyError:
            raise OSError(9, "Bad file descriptor") from None

    def __contains__(self, fd: int) -> bool:
        return fd in self._fds

    def fds(self) -> list[int]:
        """Open descriptor numbers, ascending."""
        return sorted(self._fds)

    def lowest_free(self, minimum: int = 0) -> int:
        """The lowest unused descriptor number >= ``minimum``."""
        fd = minimum
        while fd in self._fds:
            fd += 1
        return fd

    def install(self, file: OpenFile, fd: int | None = None, *, cloexec: bool = False) -> int:
        """Put ``file`` (whose reference is taken over) at ``fd`` or the lowest free slot."""
        if fd is None:
            fd = self.lowest_free()
        else:
            self.close(fd)
        self._fds[fd] = file
        if cloexec:
            self._cloexec.add(fd)
        return fd

    def dup(self, fd: int, minimum: int = 0, *, cloexec: bool = False) -> int:
        """``fcntl(F_DUPFD)``: a new descriptor for the same description."""
        file = self[fd].acquire()
        return self.install(file, self.lowest_free(minimum), cloexec=cloexec)

    def dup2(self, old: int, new: int) -> int:
        """``dup2``: make ``new`` refer to what ``old`` refers to."""
        if old == new:
            self[old]
            return new
        file = self[old].acquire()
        self.install(file, new)
        return new

    def close(self, fd: int) -> bool:
        """Close ``fd``; returns False when it was not open."""
        file = self._fds.pop(fd, None)
        self._cloexec.discard(fd)
        if file is None:
            return False
        file.release()
        return True

    def copy(self) -> FdTable:
        """A child's table: the same descriptions, one more reference each."""
        return FdTable({fd: file.acquire() for fd, file in self._fds.items()}, self._cloexec)

    def close_on_exec(self) -> None:
        """Drop the descriptors marked close-on-exec."""
        for fd in list(self._cloexec):
            self.close(fd)

    def close_all(self) -> None:
        """Close every descriptor."""
        for fd in list(self._fds):
            self.close(fd)


@dataclass
class Credentials:
    """The user a process runs as, inside the container."""

    uid: int = 0
    gid: int = 0
    groups: tuple[int, ...] = ()
    user: str = "root"


@dataclass
class ProcessSpec:
    """Everything a new process starts with."""

    argv: list[str]
    env: dict[str, str]
    cwd: str = "/"
    creds: Credentials = field(default_factory=Credentials)
    umask: int = 0o022


class Process:
    """One process of a container."""

    def __init__(self, kernel: Kernel, pid: int, ppid: int, spec: ProcessSpec, fds: FdTable) -> None:
        self.kernel = kernel
        self.pid = pid
        self.ppid = ppid
        self.pgid = pid
        self.argv = list(spec.argv)
        self.env = dict(spec.env)
        self.cwd = spec.cwd
        self.creds = spec.creds
        self.umask = spec.umask
        self.fds = fds
        self.start_time = time.time()
        self.state = State.RUNNING
        self.status: ExitStatus | None = None
        self.dispositions: dict[int, Disposition] = {}
        self.caught: list[int] = []
        self.interruptible = False
        self.thread_id: int | None = None
        self._terminating: int | None = None
        self._stopped = False
        self._cond = threading.Condition()
        self._waiting_on: threading.Condition | None = None
        self._wake_pipe: tuple[int, int] | None = None
        self._done = threading.Event()
        self._cpu_clock: int | None = None

    def __repr__(self) -> str:
        return f"<Process {self.pid} {' '.join(self.argv)!r} {self.state.value}>"

    # -- standard streams --------------------------------------------------------------
    @property
    def stdin(self) -> OpenFile:
        """What fd 0 refers to."""
        return self.fds[0]

    @property
    def stdout(self) -> OpenFile:
        """What fd 1 refers to."""
        return self.fds[1]

    @property
    def stderr(self) -> OpenFile:
        """What fd 2 refers to."""
        return self.fds[2]

    @property
    def name(self) -> str:
        """The program name as invoked (``argv[0]``'s base name), for error messages."""
        return os.path.basename(self.argv[0]) if self.argv else "?"

    def error(self, message: str) -> None:
        """Write ``NAME: message`` to stderr, as utilities report problems."""
        try:
            self.stderr.write(f"{self.name}: {message}\n".encode("utf-8", "surrogateescape"))
        except OSError:
            pass

    # -- files -------------------------------------------------------------------------
    def open(self, path: str, flags: int = os.O_RDONLY, mode: int = 0o666) -> OpenFile:
        """Open a container path (devices and ``/dev/fd/N`` included) as a new description."""
        return self.kernel.open_file(self, path, flags, mode)

    def abspath(self, path: str) -> str:
        """A container path made absolute against the working directory (not normalised)."""
        if path.startswith("/"):
            return path
        return (self.cwd.rstrip("/") or "") + "/" + path

    # -- children ----------------------------------------------------------------------
    def fork(self, argv: list[str] | None = None, env: dict[str, str] | None = None) -> Process:
        """A child process with copies of this one's state and descriptors (not started)."""
        spec = ProcessSpec(
            argv=list(argv if argv is not None else self.argv),
            env=dict(env if env is not None else self.env),
            cwd=self.cwd,
            creds=self.creds,
            umask=self.umask,
        )
        child = self.kernel.new_process(spec, self.fds.copy(), ppid=self.pid)
        child.pgid = self.pgid
        for signum, disp in self.dispositions.items():
            if disp is Disposition.IGNORE:
                child.dispositions[signum] = disp
        return child

    def run(self, target: Callable[[], int]) -> ExitStatus:
        """Run ``target`` as this process on the calling thread; returns its exit status."""
        stack = getattr(_local, "stack", None)
        if stack is None:
            stack = _local.stack = []
        stack.append(self)
        self.thread_id = threading.get_ident()
        try:
            status = self._execute(target)
        finally:
            stack.pop()
        return status

    def start(self, target: Callable[[], int], name: str | None = None) -> None:
        """Run ``target`` as this process on a new thread."""
        thread = threading.Thread(target=self.run, args=(target,), name=name or f"pid-{self.pid}", daemon=True)
        thread.start()

    def _execute(self, target: Callable[[], int]) -> ExitStatus:
        try:
            self.check()
            code = target()
            status = ExitStatus(code=int(code or 0) & 0xFF)
        except ProcessExit as exc:
            status = ExitStatus(code=exc.status & 0xFF)
        except SignalTermination as exc:
            status = ExitStatus(signal=exc.signum)
        except RecursionError:
            self.error("recursion too deep")
            status = ExitStatus(code=2)
        except Exception as exc:  # a bug in a utility must not take the daemon down
            self.kernel.report_crash(self, exc)
            status = ExitStatus(code=1)
        self._finish(status)
        return status

    def _finish(self, status: ExitStatus) -> None:
        for file in (self.fds.get(1), self.fds.get(2)):
            if file is not None:
                try:
                    file.flush()
                except (OSError, SignalTermination):
                    pass
        self.fds.close_all()
        self.status = status
        self.state = State.ZOMBIE
        self._close_wakeup()
        self._done.set()
        with self._cond:
            self._cond.notify_all()
        self.kernel.process_exited(self)

    def exited(self) -> bool:
        """True once the process has ended."""
        return self._done.is_set()

    def wait_child(self, child: Process, *, interruptible: bool = False) -> ExitStatus:
        """Block until ``child`` ends (interruptibly when asked, for the ``wait`` builtin)."""
        previous = self.interruptible
        self.interruptible = interruptible
        try:
            self.wait_for(child._cond, child._done.is_set)
        finally:
            self.interruptible = previous
        self.kernel.reap(child)
        assert child.status is not None
        return child.status

    # -- signals -----------------------------------------------------------------------
    def ignores(self, signum: int) -> bool:
        """True when ``signum`` is ignored (explicitly, or by default)."""
        disp = self.dispositions.get(signum, Disposition.DEFAULT)
        return disp is Disposition.IGNORE or (
            disp is Disposition.DEFAULT and default_action(signum) is Action.IGNORE
        )

    def deliver(self, signum: int, *, inside: bool = False) -> None:
        """Send ``signum`` to this process (``kill(2)``).

        From outside (``docker kill``/``stop``), pid 1 gets only the signals it handles, plus
        SIGKILL and SIGSTOP, as the init of a Linux PID namespace does. A signal sent from
        ``inside`` the container (``kill $$`` in a script) acts on pid 1 as on any process,
        as busybox ``sh`` scripts expect when they signal themselves (a deliberate choice:
        Linux would protect init from its own namespace, so ``kill -9 $$`` would do nothing).
        """
        if self.exited():
            return
        if signum == SIGKILL:
            self._terminating = SIGKILL
        elif signum == SIGSTOP:
            self._stopped = True
        elif signum == SIGCONT:
            self._stopped = False
            if self.dispositions.get(SIGCONT) is Disposition.CATCH:
                self.caught.append(signum)
        else:
            disp = self.dispositions.get(signum, Disposition.DEFAULT)
            if disp is Disposition.IGNORE:
                return
            if disp is Disposition.CATCH:
                self.caught.append(signum)
            else:
                action = default_action(signum)
                if action is Action.IGNORE:
                    return
                if action is Action.STOP:
                    self._stopped = True
                elif action is Action.TERMINATE:
                    if self.pid == 1 and not inside:
                        return  # the init of a PID namespace only gets signals it handles
                    self._terminating = signum
        self._wake()

    def wake(self) -> None:
        """Wake the process's blocking waits (it re-checks its state)."""
        self._wake()

    def wait_plain(self, timeout: float) -> None:
        """Sleep on the process's own condition without acting on signals."""
        with self._cond:
            self._cond.wait(timeout)

    def _wake(self) -> None:
        with self._cond:
            self._cond.notify_all()
        cond = self._waiting_on
        if cond is not None and cond is not self._cond:
            with cond:
                cond.notify_all()
        pipe = self._wake_pipe
        if pipe is not None:
            try:
                os.write(pipe[1], b"\0")
            except OSError:
                pass

    def check(self) -> None:
        """Act on pending signals: raise to terminate or interrupt, block while stopped or frozen."""
        while True:
            if self._terminating is not None:
                raise SignalTermination(self._terminating)
            if self.kernel.frozen:
                previous, self.state = self.state, State.STOPPED
                self.kernel.wait_thawed(self)
                self.state = previous
                continue
            if self._stopped:  # SIGSTOP; a freeze meanwhile parks the process in the freezer
                self.state = State.STOPPED
                with self._cond:
                    self._cond.wait_for(lambda: not self._stopped or self._terminating is not None or self.kernel.frozen)
                self.state = State.RUNNING
                continue
            break
        if self.interruptible and self.caught:
            raise Interrupted(self.caught[0])

    def take_caught(self) -> list[int]:
        """Pop the caught signals waiting for their handlers (the shell's trap loop)."""
        caught, self.caught = self.caught, []
        return caught

    @property
    def killed(self) -> bool:
        """True once a terminating signal has been accepted."""
        return self._terminating is not None

    # -- blocking primitives -----------------------------------------------------------
    def wait_for(self, cond: threading.Condition, predicate: Callable[[], object], timeout: float | None = None) -> bool:
        """``cond.wait_for`` that signals to this process interrupt; False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with cond:
            self._waiting_on = cond
            previous = self.state
            self.state = State.SLEEPING
            try:
                while True:
                    self.check()
                    if predicate():
                        return True
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        return False
                    cond.wait(remaining)
            finally:
                self._waiting_on = None
                self.state = previous

    def sleep(self, seconds: float) -> None:
        """Sleep interruptibly (``sleep``, ``timeout``, ``tail -f`` polling)."""
        self.wait_for(self._cond, lambda: False, max(0.0, seconds))

    def wakeup_fd(self) -> int:
        """A host fd that becomes readable when a signal arrives (for ``select`` waits)."""
        if self._wake_pipe is None:
            self._wake_pipe = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        return self._wake_pipe[0]

    def drain_wakeup(self) -> None:
        """Empty the wake-up pipe after ``select`` returned."""
        if self._wake_pipe is not None:
            try:
                while os.read(self._wake_pipe[0], 64):
                    pass
            except BlockingIOError:
                pass

    def _close_wakeup(self) -> None:
        pipe, self._wake_pipe = self._wake_pipe, None
        if pipe is not None:
            os.close(pipe[0])
            os.close(pipe[1])

    # -- accounting --------------------------------------------------------------------
    def cpu_seconds(self) -> float:
        """CPU time used by the thread running this process (0 when unknown)."""
        if self.thread_id is None:
            return 0.0
        try:
            clock = time.pthread_getcpuclockid(self.thread_id)
            return time.clock_gettime(clock)
        except (OSError, AttributeError, OverflowError):
            return 0.0
