"""head and tail (with ``tail -f`` following by polling)."""

from __future__ import annotations

import collections
import errno
import os

from ..sandbox.files import OpenFile
from .common import Util, iter_chunks, iter_lines, parse_size, strerror, utility

_SUFFIXES = {"b": 512, "k": 1024, "m": 1024 * 1024}


def _legacy_count(args: list[str], signs: str) -> list[str]:
    """``head -5`` / ``tail -5`` / ``tail +5``: an old-style count as the first word."""
    if args and len(args[0]) > 1 and args[0][0] in signs and args[0][1].isdigit():
        return ["-n", ("+" if args[0][0] == "+" else "") + args[0][1:], *args[1:]]
    return args


def _count(u: Util, text: str) -> tuple[str, int]:
    """A sign (``''``, ``'-'`` or ``'+'``) and a count with an optional b/k/m multiplier."""
    sign = text[:1] if text[:1] in "+-" else ""
    try:
        return sign, parse_size(text[len(sign):], _SUFFIXES)
    except ValueError:
        u.fail(f"invalid number '{text}'")


class _Headers:
    """``==> NAME <==`` lines between the outputs of several files."""

    def __init__(self, u: Util, enabled: bool) -> None:
        self.u = u
        self.enabled = enabled
        self.first = True

    def show(self, name: str) -> None:
        if not self.enabled:
            return
        label = "standard input" if name == "-" else name
        self.u.out.write(("" if self.first else "\n").encode() + f"==> {label} <==\n".encode("utf-8", "surrogateescape"))
        self.first = False


@utility("head", usage="head [OPTIONS] [FILE]...\n\nPrint first 10 lines of FILEs (or stdin).\nWith more than one FILE, precede each with a filename header.\n\n\t-n N[bkm]\tPrint first N lines\n\t-n -N[bkm]\tPrint all except N last lines\n\t-c [-]N[bkm]\tPrint first N bytes\n\t\t\t(b:*512 k:*1024 m:*1024^2)\n\t-q\t\tNever print headers\n\t-v\t\tAlways print headers")
def head(u: Util, argv: list[str]) -> int:
    """head [-n [-]N] [-c [-]N] [-qv] [FILE]..."""
    opts, files = u.getopt(_legacy_count(argv[1:], "-"), "n:c:qv", {"lines=": "n", "bytes=": "c", "quiet": "q", "silent": "q", "verbose": "v"})
    mode = opts.last_of("nc") or "n"
    sign, count = _count(u, opts.get(mode, "10") or "10")
    headers = _Headers(u, ("v" in opts or len(files) > 1) and "q" not in opts)

    def each(name: str, file: OpenFile) -> None:
        headers.show(name)
        out = u.out
        if mode == "c":
            if sign == "-":
                data = file.read()
                out.write(data[: max(0, len(data) - count)])
            else:
                out.write(file.read(count))
            return
        if sign == "-":
            window: collections.deque[bytes] = collections.deque()
            for line in iter_lines(file):
                window.append(line)
                if len(window) > count:
                    out.write(window.popleft())
            return
        if count == 0:
            return
        for seen, line in enumerate(iter_lines(file), 1):
            out.write(line)
            if seen >= count:
                break

    for path in files or ["-"]:
        if path != "-" and u.is_dir(path):
            u.warn(f"{path}: {strerror(OSError(errno.EIO, ''))}")
            continue
        u.each_input([path], each)
    return u.status


def _tail_data(file: OpenFile, mode: str, sign: str, count: int) -> bytes:
    """The part of the file that tail prints before following."""
    if mode == "c":
        if sign == "+":
            data = file.read()
            return data[max(0, count - 1):]
        last = b""
        for chunk in iter_chunks(file):
            last = (last + chunk)[-count:] if count else b""
        return last
    if sign == "+":
        parts = []
        for i, line in enumerate(iter_lines(file), 1):
            if i >= count:
                parts.append(line)
        return b"".join(parts)
    if count == 0:
        for _ in iter_chunks(file):
            pass
        return b""
    return b"".join(collections.deque(iter_lines(file), maxlen=count))


@utility("tail", usage="tail [OPTIONS] [FILE]...\n\nPrint last 10 lines of FILEs (or stdin) to.\nWith more than one FILE, precede each with a filename header.\n\n\t-c [+]N[bkm]\tPrint last N bytes\n\t-n N[bkm]\tPrint last N lines\n\t-n +N[bkm]\tStart on Nth line and print the rest\n\t\t\t(b:*512 k:*1024 m:*1024^2)\n\t-q\t\tNever print headers\n\t-v\t\tAlways print headers\n\t-f\t\tPrint data as file grows\n\t-F\t\tSame as -f, but keep retrying\n\t-s SECONDS\tWait SECONDS between reads with -f")
def tail(u: Util, argv: list[str]) -> int:
    """tail [-n [+]N] [-c [+]N] [-fF] [-s SEC] [-qv] [FILE]..."""
    opts, files = u.getopt(
        _legacy_count(argv[1:], "-+"), "n:c:qvfFs:",
        {"lines=": "n", "bytes=": "c", "quiet": "q", "silent": "q", "verbose": "v", "follow": "f", "sleep-interval=": "s", "retry": "F"},
    )
    mode = opts.last_of("nc") or "n"
    sign, count = _count(u, opts.get(mode, "10") or "10")
    follow = "f" in opts or "F" in opts
    retry = "F" in opts
    try:
        interval = float(opts.get("s", "1") or "1")
    except ValueError:
        u.fail(f"invalid number '{opts.get('s')}'")
    headers = _Headers(u, ("v" in opts or len(files) > 1) and "q" not in opts)
    followed: list[list] = []  # [name, open file or None, inode]
    opened = 0
    for path in files or ["-"]:
        try:
            file = u.proc.stdin if path == "-" else u.open(path)
        except OSError as exc:
            u.perror(exc, f"can't open '{path}'")
            if retry:
                followed.append([path, None, None])
            continue
        opened += 1
        headers.show(path)
        try:
            u.out.write(_tail_data(file, mode, sign, count))
        except OSError as exc:
            u.warn(f"read error: {strerror(exc)}")
            if path != "-":
                file.release()
            continue
        u.out.flush()
        # a pipe cannot grow once it is drained: follow only what can
        if follow and not (path == "-" and file.kind == "pipe"):
            followed.append([path, file, _inode(u, path)])
        elif path != "-":
            file.release()
    if not opened and not retry:
        u.fail("no files")  # as busybox, when not one operand could be opened
    if not follow or not followed:
        return u.status
    try:
        _follow(u, followed, headers, interval, retry)
    finally:
        for entry in followed:
            if entry[1] is not None and entry[0] != "-":
                entry[1].release()
    return u.status


def _inode(u: Util, path: str) -> tuple[int, int] | None:
    if path == "-":
        return None
    try:
        st = u.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _follow(u: Util, followed: list[list], headers: _Headers, interval: float, retry: bool) -> None:
    last_shown = followed[-1][0]
    while True:
        u.check()
        got = False
        for entry in followed:
            name, file, inode = entry
            if retry and name != "-":
                current = _inode(u, name)
                if current != inode and current is not None:
                    if file is not None:
                        file.release()
                    try:
                        entry[1] = file = u.open(name)
                        entry[2] = current
                    except OSError:
                        entry[1] = file = None
            if file is None:
                continue
            _rewind_if_truncated(file)
            try:
                data = file.read1(1 << 16)
            except OSError:
                continue
            if data:
                if name != last_shown:
                    headers.show(name)
                    last_shown = name
                u.out.write(data)
                u.out.flush()
                got = True
        if not got:
            u.proc.sleep(interval)


def _rewind_if_truncated(file: OpenFile) -> None:
    fd = file.fileno()
    if fd is None or file.kind != "file":
        return
    try:
        size = os.fstat(fd).st_size
        if file.tell() > size:
            file.seek(0)
    except OSError:
        pass
