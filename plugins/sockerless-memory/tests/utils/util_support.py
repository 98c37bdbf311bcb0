"""Helpers of the utility tests: fixture files, running busybox and the sandbox side by side."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import subprocess
from dataclasses import dataclass

from sockerless_memory.sandbox.harness import Sandbox

BUSYBOX = next((p for p in ("/usr/bin/busybox", "/bin/busybox") if os.path.exists(p)), shutil.which("busybox") or "")
"""The reference busybox (Debian's ``busybox-static`` package provides it)."""

FIXED_TIME = 1704164645  # 2024-01-02 03:04:05 UTC: old enough for ls to show the year

FILES: dict[str, bytes] = {
    "a.txt": b"hello world\nfoo bar\n\nbaz\nHello again\nlast line\n",
    "b.txt": b"3\n1\n2\n10\n1\n",
    "c.csv": b"name,age,city\nalice,30,paris\nbob,25,london\ncarol,35,berlin\n",
    "nonl": b"no newline",
    "bin": bytes(range(256)),
    "dup": b"a\na\nb\nc\nc\nc\nA\n",
    "g": b"a1\nb2\na3\nc4\nd5\na6\n",
    "pats": b"a\nb\n",
    "n3": b"1\n2\n3\n",
    "n5": b"1\n2\n3\n4\n5\n",
    "s1": b"10\n9\n1e3\n-2\nabc\n 5\n2.5\n\n+3\n-0\n0\n",
    "k.txt": b"x:3:a\ny:1:b\nz:2:a\nw:10:c\nb 2\na 10\nc 1\n",
    "m.txt": b"Feb\njan\nDEC\nxx\n1.10\n1.9\n1.2\na2\na10\na1\n",
    "ws.txt": b"  lead\ttab\ntrail  \n\n\n\nx  y   z\n",
    "d/x": b"x\n",
    "d/sub/y": b"y\n",
}


def populate(root: str) -> None:
    """Lay out the fixture tree under the host directory ``root`` with fixed times."""
    for name, data in FILES.items():
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(data)
    os.chmod(os.path.join(root, "nonl"), 0o755)
    os.symlink("a.txt", os.path.join(root, "la"))
    os.symlink("nowhere", os.path.join(root, "dangling"))
    os.symlink("d", os.path.join(root, "ld"))
    for directory, dirs, files in os.walk(root, topdown=False):
        for name in files + dirs:
            os.utime(os.path.join(directory, name), (FIXED_TIME, FIXED_TIME), follow_symlinks=False)
    os.utime(root, (FIXED_TIME, FIXED_TIME))


@dataclass
class Result:
    """What a run printed and how it ended."""

    stdout: bytes
    stderr: bytes
    status: int


def run_busybox(argv: list[str], cwd: str, stdin: bytes = b"") -> Result:
    """Run the reference busybox applet in ``cwd``."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/root", "TZ": "UTC", "LC_ALL": "C"}
    proc = subprocess.run([BUSYBOX, *argv], cwd=cwd, input=stdin, capture_output=True, env=env, timeout=30)
    return Result(proc.stdout, proc.stderr, proc.returncode)


def run_ours(box: Sandbox, argv: list[str], cwd: str = "/w", stdin: bytes = b"") -> Result:
    """Run the sandbox's applet."""
    res = box.run(argv, stdin=stdin, cwd=cwd, timeout=30)
    return Result(res.stdout, res.stderr, res.status)


_GETOPT = [
    (re.compile(r"invalid option -- '(.)'"), r"unrecognized option: \1"),
    (re.compile(r"unrecognized option '--([^'=]*)[^']*'"), r"unrecognized option: \1"),
    (re.compile(r"option requires an argument -- '(.)'"), r"option requires an argument: \1"),
]


def normalize_stderr(data: bytes, host_dir: str | None = None) -> str:
    """Error text up to the usage banner, glibc's getopt wording turned into musl's (Alpine's)."""
    text = data.decode("utf-8", "replace")
    if host_dir:
        text = text.replace(host_dir, "/w")
    text = text.split("BusyBox v", 1)[0]
    for pattern, replacement in _GETOPT:
        text = pattern.sub(replacement, text)
    return text


def snapshot(root: str) -> dict[str, tuple]:
    """Every entry below ``root``: type, permission bits, content digest or link target."""
    result: dict[str, tuple] = {}
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(directory, name)
            rel = os.path.relpath(path, root)
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                result[rel] = ("link", os.readlink(path))
            elif stat.S_ISDIR(st.st_mode):
                result[rel] = ("dir", oct(st.st_mode & 0o7777))
            else:
                with open(path, "rb") as handle:
                    digest = hashlib.sha1(handle.read()).hexdigest()
                result[rel] = ("file", oct(st.st_mode & 0o7777), digest)
    return result
