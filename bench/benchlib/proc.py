"""Subprocess, unix-socket and mount helpers; every call has a timeout."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from sockerless import client


class BenchError(RuntimeError):
    """A step failed; the message is the short reason shown in the results table."""


def log(message: str) -> None:
    """Progress output (stderr, so stdout stays the table)."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _short(cmd: Sequence[str]) -> str:
    text = " ".join(cmd)
    return text if len(text) <= 80 else text[:77] + "..."


def _last_line(data: bytes) -> str:
    lines = [line.strip() for line in data.decode(errors="replace").splitlines() if line.strip()]
    return lines[-1][:200] if lines else "no output"


def run(cmd: Sequence[str], *, timeout: float, env: Mapping[str, str] | None = None,
        input: bytes | None = None, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    """Run ``cmd`` to completion, capturing output; raise :class:`BenchError` on timeout or failure."""
    try:
        result = subprocess.run(list(cmd), capture_output=True, timeout=timeout, env=env, input=input)
    except subprocess.TimeoutExpired:
        raise BenchError(f"`{_short(cmd)}` timed out after {timeout:g}s") from None
    except OSError as exc:
        raise BenchError(f"`{_short(cmd)}` could not start: {exc}") from None
    if check and result.returncode != 0:
        raise BenchError(f"`{_short(cmd)}` exited {result.returncode}: {_last_line(result.stderr or result.stdout)}")
    return result


def timed(cmd: Sequence[str], *, timeout: float, env: Mapping[str, str] | None = None) -> float:
    """Wall time in seconds of one successful run of ``cmd``."""
    start = time.perf_counter()
    run(cmd, timeout=timeout, env=env)
    return time.perf_counter() - start


def ping(socket_path: Path) -> bool:
    """True when ``GET /_ping`` on the socket answers 200."""
    return client.ping(str(socket_path))


def tail(path: Path, lines: int = 5) -> str:
    """The last lines of a log file, for error messages."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return " | ".join(line.strip() for line in text.splitlines()[-lines:])


def wait_for_ping(socket_path: Path, process: subprocess.Popen[bytes], log_path: Path, timeout: float) -> None:
    """Wait until the daemon answers ``/_ping``; fail early when it exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"daemon exited with status {process.returncode}: {tail(log_path)}")
        if ping(socket_path):
            return
        time.sleep(0.05)
    raise BenchError(f"daemon did not answer /_ping within {timeout:g}s: {tail(log_path)}")


def start_daemon(cmd: Sequence[str], *, log_path: Path, env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    """Start a daemon in its own session/process group, output appended to ``log_path``."""
    with open(log_path, "ab") as out:
        return subprocess.Popen(list(cmd), stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                env=dict(env), start_new_session=True)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def stop_group(process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    """SIGTERM the process group of ``process``, then SIGKILL it if it lingers."""
    if process.poll() is None:
        _signal_group(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
    _signal_group(process.pid, signal.SIGKILL)
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        log(f"process {process.pid} did not exit after SIGKILL")


def kill_strays(marker: str) -> list[int]:
    """SIGKILL processes whose command line mentions ``marker`` (our private temp dir), by pid."""
    killed = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmdline:
            try:
                os.kill(int(entry.name), signal.SIGKILL)
                killed.append(int(entry.name))
            except (ProcessLookupError, PermissionError):
                pass
    return killed


def _unescape_mount(path: str) -> str:
    return path.encode().decode("unicode_escape")


def mounts_under(root: Path) -> list[str]:
    """Mount points at or below ``root``, deepest first."""
    prefix = str(root.resolve())
    found = []
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return []
    for line in lines:
        fields = line.split()
        if len(fields) > 4:
            point = _unescape_mount(fields[4])
            if point == prefix or point.startswith(prefix + "/"):
                found.append(point)
    return sorted(set(found), key=len, reverse=True)


def remove_tree(root: Path) -> None:
    """Lazily unmount everything below ``root``, then delete it."""
    if not root.exists():
        return
    for point in mounts_under(root):
        try:
            run(["umount", "-l", point], timeout=30, check=False)
        except BenchError as exc:
            log(f"umount {point}: {exc}")
    shutil.rmtree(root, ignore_errors=True)
    if root.exists():
        log(f"could not remove {root} completely")
