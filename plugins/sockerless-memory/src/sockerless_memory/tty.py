"""Pseudo-terminals for ``-t`` containers and execs, backed by host ptys.

The host kernel's line discipline gives the sandbox exact terminal behaviour (echo,
line editing, ``^D``, ``\\n`` -> ``\\r\\n``). Two pump threads connect the master side
to the core's streams. Interrupt keys are turned into sandbox signals, since the
sandbox's processes are not host processes the kernel could signal.
"""

from __future__ import annotations

import errno
import fcntl
import os
import select
import struct
import termios
import threading
from collections.abc import Callable

from sockerless.engine.stdio import InputStream, OutputStream

from .sandbox.files import TtyFile
from .sandbox.signals import SIGINT, SIGQUIT, SIGTSTP


class Terminal:
    """One pty: the slave for the sandbox, the master pumped to and from the client."""

    def __init__(self, stdin: InputStream | None, stdout: OutputStream,
                 signal_foreground: Callable[[int], None], size: tuple[int, int] | None = None) -> None:
        self.master, slave = os.openpty()
        os.set_blocking(self.master, False)
        self._lock = threading.Lock()
        self.slave_name = os.ttyname(slave)
        self.slave = TtyFile(slave, "/dev/pts/0")
        self._stdin = stdin
        self._stdout = stdout
        self._signal = signal_foreground
        self._closed = threading.Event()
        if size:
            self.resize(*size)
        threading.Thread(target=self._pump_out, name="tty-out", daemon=True).start()
        if stdin is not None:
            threading.Thread(target=self._pump_in, name="tty-in", daemon=True).start()

    def resize(self, height: int, width: int) -> None:
        """Set the window size (``TIOCSWINSZ``)."""
        with self._lock:
            if height > 0 and width > 0 and not self._closed.is_set():
                fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))

    def _pump_out(self) -> None:
        try:
            while True:
                select.select([self.master], [], [])
                try:
                    data = os.read(self.master, 65536)
                except BlockingIOError:
                    continue
                except OSError as exc:
                    if exc.errno == errno.EIO:  # every slave descriptor is closed
                        break
                    raise
                if not data:
                    break
                try:
                    self._stdout.write(data)
                except BrokenPipeError:
                    break
        finally:
            with self._lock:
                self._closed.set()
                os.close(self.master)
            self._stdout.close()
            if self._stdin is not None:
                self._stdin.close()

    def _pump_in(self) -> None:
        stdin = self._stdin
        assert stdin is not None
        while not self._closed.is_set():
            data = stdin.read(65536, timeout=0.5)
            if data is None:
                continue
            if not data:
                self._write_eof()
                return
            self._deliver_interrupts(data)
            try:
                self._write_all(data)
            except OSError:
                return

    def _write_all(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            with self._lock:
                if self._closed.is_set():
                    return
                try:
                    view = view[os.write(self.master, view):]
                    continue
                except BlockingIOError:
                    pass
            select.select([], [], [], 0.01)  # the terminal's input queue is full: let the reader drain it

    def _attrs(self) -> list | None:
        with self._lock:
            if self._closed.is_set():
                return None
            try:
                return termios.tcgetattr(self.master)
            except termios.error:
                return None

    def _deliver_interrupts(self, data: bytes) -> None:
        attrs = self._attrs()
        if attrs is None:
            return
        if not attrs[3] & termios.ISIG:
            return
        chars = attrs[6]
        for key, signum in ((termios.VINTR, SIGINT), (termios.VQUIT, SIGQUIT), (termios.VSUSP, SIGTSTP)):
            char = chars[key]
            if isinstance(char, bytes) and char != b"\0" and char in data:
                self._signal(signum)

    def _write_eof(self) -> None:
        # the client closed its stdin: end of input for the terminal's reader, as ^D at line start
        attrs = self._attrs()
        if attrs is None:
            return
        eof = attrs[6][termios.VEOF]
        if isinstance(eof, bytes) and attrs[3] & termios.ICANON:
            try:
                self._write_all(eof)
            except OSError:
                pass
