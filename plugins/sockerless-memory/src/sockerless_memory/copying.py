"""Fast tree copies for root filesystems.

``shutil.copytree`` copies extended attributes, flags and timestamps entry by entry, which
costs several system calls per file on top of the copy. A container root needs the
contents, modes, timestamps and links only, and on a slow disk those extra calls dominate.
"""

from __future__ import annotations

import os
import shutil
import stat
import uuid
from pathlib import Path


def _copy_file(src: str, dst: str, mode: int) -> None:
    fin = os.open(src, os.O_RDONLY | os.O_CLOEXEC)
    try:
        fout = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
        try:
            try:
                while os.copy_file_range(fin, fout, 1 << 30):
                    pass
            except OSError:  # filesystems without copy_file_range
                while os.sendfile(fout, fin, None, 1 << 30):
                    pass
        finally:
            os.close(fout)
    finally:
        os.close(fin)


def copy_tree(src: Path, dst: Path) -> None:
    """Copy ``src`` into ``dst`` (created if needed; existing entries are replaced by layer order)."""
    links: dict[tuple[int, int], str] = {}
    dst.mkdir(parents=True, exist_ok=True)
    stack = [(str(src), str(dst))]
    while stack:
        source_dir, target_dir = stack.pop()
        with os.scandir(source_dir) as entries:
            for entry in entries:
                target = f"{target_dir}/{entry.name}"
                st = entry.stat(follow_symlinks=False)
                mode = st.st_mode
                if stat.S_ISDIR(mode):
                    if not os.path.isdir(target) or os.path.islink(target):
                        _remove(target)
                        os.mkdir(target, stat.S_IMODE(mode))
                    stack.append((entry.path, target))
                    continue
                _remove(target)
                if stat.S_ISLNK(mode):
                    os.symlink(os.readlink(entry.path), target)
                elif stat.S_ISREG(mode):
                    key = (st.st_dev, st.st_ino)
                    if st.st_nlink > 1 and key in links:
                        os.link(links[key], target)
                        continue
                    _copy_file(entry.path, target, stat.S_IMODE(mode))
                    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
                    if st.st_nlink > 1:
                        links[key] = target
                # device nodes, sockets and FIFOs of an image are not carried into the sandbox


def _remove(path: str) -> None:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(st.st_mode):
        shutil.rmtree(path)
    else:
        os.unlink(path)


def discard_tree(path: Path) -> Path | None:
    """Rename ``path`` out of the way (atomic, cheap); the caller deletes the returned path later."""
    if not path.exists():
        return None
    trash = path.parent / f".trash-{uuid.uuid4().hex}"
    os.rename(path, trash)
    return trash
