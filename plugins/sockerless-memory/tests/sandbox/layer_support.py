"""Building layer directories for union tests, and proving they were never modified."""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Link:
    """A symlink entry of a layer spec."""

    target: str


@dataclass(frozen=True)
class File:
    """A file entry with an explicit mode (and mtime, in seconds)."""

    data: bytes | str
    mode: int = 0o644
    mtime: int | None = None


@dataclass(frozen=True)
class Dir:
    """A directory entry with an explicit mode (and mtime, in seconds)."""

    mode: int = 0o755
    mtime: int | None = None


def make_tree(root: Path, spec: dict[str, object]) -> Path:
    """Create ``root`` from ``spec``: ``"a/"`` or ``Dir`` a directory, ``str``/``bytes``/``File`` a file,
    ``Link`` a symlink. Parents are created as needed; directory times are set last."""
    root.mkdir(parents=True, exist_ok=True)
    dir_times: list[tuple[Path, int]] = []
    for rel, value in spec.items():
        path = root / rel.rstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        if rel.endswith("/") or isinstance(value, Dir):
            path.mkdir(exist_ok=True)
            if isinstance(value, Dir):
                os.chmod(path, value.mode)
                if value.mtime is not None:
                    dir_times.append((path, value.mtime))
        elif isinstance(value, Link):
            os.symlink(value.target, path)
        else:
            entry = value if isinstance(value, File) else File(value)
            data = entry.data.encode() if isinstance(entry.data, str) else entry.data
            path.write_bytes(data)
            os.chmod(path, entry.mode)
            if entry.mtime is not None:
                os.utime(path, (entry.mtime, entry.mtime))
    for path, mtime in sorted(dir_times, key=lambda item: -len(str(item[0]))):
        os.utime(path, (mtime, mtime))
    return root


def snapshot(root: Path) -> dict[str, tuple]:
    """Everything about a tree that an operation could change (atimes aside)."""
    result: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames, "."] if dirpath == str(root) else [*dirnames, *filenames]:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            extra: object = None
            if stat.S_ISLNK(st.st_mode):
                extra = os.readlink(path)
            elif stat.S_ISREG(st.st_mode):
                with open(path, "rb") as handle:
                    extra = hashlib.sha256(handle.read()).hexdigest()
            result[os.path.relpath(path, root)] = (st.st_mode, st.st_uid, st.st_gid, st.st_size, st.st_nlink,
                                                   st.st_ino, st.st_mtime_ns, st.st_ctime_ns, extra)
    return result


@contextlib.contextmanager
def flipping(link: Path, *targets: str) -> Iterator[None]:
    """A racing attacker: while the block runs, ``link`` keeps being replaced by symlinks to ``targets``."""
    stop = threading.Event()

    def flipper() -> None:
        while not stop.is_set():
            for target in targets:
                try:
                    os.unlink(link)
                except FileNotFoundError:
                    pass
                try:
                    os.symlink(target, link)
                except FileExistsError:
                    pass

    thread = threading.Thread(target=flipper, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(5)
