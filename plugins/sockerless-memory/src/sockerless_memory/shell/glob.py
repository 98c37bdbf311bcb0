"""Pathname expansion over the container's file system (through the jail, never the host)."""

from __future__ import annotations

import stat as stat_mod

from ..sandbox.fs import FileSystem
from .pattern import compile_pattern, has_magic, unescape


def expand(fs: FileSystem, cwd: str, pattern: str, *, dotglob: bool = False, dot_dirs: bool = False) -> list[str]:
    """The sorted paths matching ``pattern`` (escaped quoted characters stay literal); [] if none.

    With ``dot_dirs`` a pattern starting with a literal dot also matches ``.`` and ``..``
    (glob(3), as busybox does; bash skips them).
    """
    components = pattern.split("/")
    if pattern.startswith("/"):
        bases = ["/"]
        components = components[1:]
    else:
        bases = [""]
    last = len(components) - 1
    for idx, comp in enumerate(components):
        final = idx == last
        if comp == "":
            if final:  # a trailing slash: only directories match
                bases = [b + "/" if not b.endswith("/") else b for b in bases if _is_dir(fs, cwd, b)]
            continue
        if not has_magic(comp):
            name = unescape(comp)
            bases = [_join(b, name) for b in bases]
            if final:
                bases = [b for b in bases if fs.exists(b, cwd, follow=False)]
            continue
        rx = compile_pattern(comp)
        literal_dot = comp.startswith(".") or comp.startswith("\\.")
        dot_ok = dotglob or literal_dot
        found: list[str] = []
        for base in bases:
            try:
                names = fs.listdir(base or ".", cwd)
            except OSError:
                continue
            if dot_dirs and literal_dot:
                names = [".", "..", *names]
            for name in names:
                if name[0] == "." and not dot_ok:
                    continue
                if rx.match(name) is None:
                    continue
                path = _join(base, name)
                if not final and not _is_dir(fs, cwd, path):
                    continue
                found.append(path)
        bases = found
        if not bases:
            return []
    if bases == [""]:
        return []
    return sorted(bases, key=_sort_key)


def _sort_key(path: str) -> bytes:
    return path.encode("utf-8", "surrogateescape")


def _join(base: str, name: str) -> str:
    if not base:
        return name
    if base.endswith("/"):
        return base + name
    return base + "/" + name


def _is_dir(fs: FileSystem, cwd: str, path: str) -> bool:
    try:
        return stat_mod.S_ISDIR(fs.stat(path or ".", cwd).st_mode)
    except OSError:
        return False
