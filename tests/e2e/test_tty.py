"""``docker run -it``: a real terminal on the client side, driven through a pty."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import termios
import time


class Terminal:
    """Runs the Docker CLI on a pty, like a user at a terminal."""

    def __init__(self, daemon, *args: str, size: tuple[int, int] = (40, 120)) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: become the docker CLI
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", size[0], size[1], 0, 0))
            os.environ["DOCKER_HOST"] = daemon.host
            os.environ["DOCKER_CONFIG"] = str(daemon.workdir / "docker-config")
            os.execvp("docker", ["docker", *args])
        self.output = b""

    def read_until(self, needle: bytes, timeout: float = 15.0) -> bytes:
        deadline = time.monotonic() + timeout
        while needle not in self.output and time.monotonic() < deadline:
            ready, _, _ = select.select([self.fd], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                self.output += chunk
        return self.output

    def send(self, data: bytes) -> None:
        os.write(self.fd, data)

    def wait(self, timeout: float = 15.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.read_until(b"\0", 0.2)
                return os.waitstatus_to_exitcode(status)
            self.read_until(b"\0", 0.1)
        os.kill(self.pid, 9)
        raise AssertionError(f"docker did not exit; output so far: {self.output!r}")


def test_interactive_shell(daemon):
    term = Terminal(daemon, "run", "-it", "--rm", "alpine", "sh")
    assert b"# " in term.read_until(b"# ")
    term.send(b"echo $((6*7)) && tty\r")
    text = term.read_until(b"/dev/pts")
    assert b"42\r\n" in text
    term.send(b"stty size\r")
    assert b"40 120\r\n" in term.read_until(b"40 120")
    term.send(b"exit 4\r")
    assert term.wait() == 4


def test_tty_echo_and_eof(daemon):
    term = Terminal(daemon, "run", "-it", "--rm", "alpine", "cat")
    time.sleep(0.5)
    term.send(b"hello\r")
    assert b"hello\r\nhello\r\n" in term.read_until(b"hello\r\nhello\r\n")
    term.send(b"\x04")
    assert term.wait() == 0


def test_ctrl_c_interrupts_foreground_command(daemon):
    term = Terminal(daemon, "run", "-it", "--rm", "alpine", "sh")
    term.read_until(b"# ")
    term.output = b""
    term.send(b"sleep 100\r")
    time.sleep(0.5)
    term.send(b"\x03")
    term.read_until(b"# ")
    term.send(b"echo after:$?\r")
    assert b"after:130" in term.read_until(b"after:1")
    term.send(b"exit\r")
    assert term.wait() == 0


def test_exec_with_tty(daemon, name):
    daemon.docker("run", "-d", "--name", name, "alpine", "sleep", "300", check=True)
    try:
        term = Terminal(daemon, "exec", "-it", name, "sh", "-c", "tty; stty size")
        assert term.wait() == 0
        lines = term.output.decode().split("\r\n")
        assert lines[0].startswith("/dev/pts")
        assert lines[1] == "40 120"  # the CLI's terminal size reached the container
    finally:
        daemon.docker("rm", "-f", name)
