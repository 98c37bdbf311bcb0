"""Read-only lookups in an image's filesystem: its unpacked layer directories merged.

Used by COPY/ADD to decide where files land (an existing directory, a symlinked parent),
to keep existing parents' metadata in the new layer, to resolve ``--chown`` names through
``/etc/passwd`` and ``/etc/group``, and to take files out of another stage or image
(``--from``). Layers hold OCI whiteouts as ``.wh.NAME`` files and ``.wh..wh..opq``
markers. Layer directories are written only by the daemon, but their symlinks come from
images, so symlinks are resolved here, inside the image root, never by the host kernel.
"""

from __future__ import annotations

import os
import posixpath
import shutil
import stat as stat_mod
from pathlib import Path

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
MAX_LINKS = 40


class ImageFS:
    """The merged view of layer directories (lowest first)."""

    def __init__(self, layers: list[Path]) -> None:
        self.layers = list(layers)

    def _find(self, path: str) -> tuple[Path, os.stat_result] | None:
        """The top-most layer entry of an already resolved absolute path (never followed)."""
        parts = [p for p in path.split("/") if p]
        if not parts:
            return (self.layers[-1], os.lstat(self.layers[-1])) if self.layers else None
        for layer in reversed(self.layers):
            hidden = False
            for depth in range(len(parts)):
                parent = layer.joinpath(*parts[:depth])
                if (parent / (WHITEOUT + parts[depth])).exists():
                    hidden = True
                    break
            candidate = layer.joinpath(*parts)
            try:
                st = os.lstat(candidate)
                return candidate, st
            except OSError:
                pass
            if hidden:
                return None
            for depth in range(len(parts)):
                parent = layer.joinpath(*parts[:depth])
                if (parent / OPAQUE).exists():
                    return None
                if depth and os.path.lexists(parent) and not os.path.isdir(parent):
                    return None
        return None

    def resolve(self, path: str, *, follow_last: bool = True) -> str:
        """``path`` with every symlink resolved inside the image root (like Docker's in-scope resolution)."""
        resolved = "/"
        pending = [p for p in path.split("/") if p]
        links = 0
        while pending:
            part = pending.pop(0)
            if part == ".":
                continue
            if part == "..":
                resolved = posixpath.dirname(resolved) or "/"
                continue
            candidate = posixpath.join(resolved, part)
            found = self._find(candidate)
            if found is not None and stat_mod.S_ISLNK(found[1].st_mode) and (pending or follow_last):
                links += 1
                if links > MAX_LINKS:
                    raise OSError(40, "too many levels of symbolic links", path)
                target = os.readlink(found[0])
                pending = [p for p in target.split("/") if p] + pending
                if target.startswith("/"):
                    resolved = "/"
                continue
            resolved = candidate
        return resolved

    def lstat(self, path: str) -> os.stat_result | None:
        """``lstat`` of a resolved path, or ``None``."""
        found = self._find(path)
        return found[1] if found else None

    def is_dir(self, path: str) -> bool:
        """True when ``path`` (symlinks followed) is a directory."""
        st = self.lstat(self.resolve(path))
        return st is not None and stat_mod.S_ISDIR(st.st_mode)

    def read_text(self, path: str) -> str | None:
        """The content of a regular file, or ``None``."""
        found = self._find(self.resolve(path))
        if found is None or not stat_mod.S_ISREG(found[1].st_mode):
            return None
        return found[0].read_text(errors="replace")

    def export(self, path: str, destination: Path) -> Path:
        """Copy the merged subtree at ``path`` (symlinks followed) under ``destination``; returns its copy.

        The layers are applied in order, as unpacking them would, so deletions and
        opaque directories of upper layers are honoured.
        """
        resolved = self.resolve(path)
        rel = resolved.strip("/")
        target = destination / rel if rel else destination
        for layer in self.layers:
            source = layer / rel if rel else layer
            hidden = self._hidden_in(layer, rel)
            if hidden and os.path.lexists(target):
                _remove(target)
            if not os.path.lexists(source):
                continue
            _apply(source, target)
        if not os.path.lexists(target):
            raise FileNotFoundError(path)
        return target

    @staticmethod
    def _hidden_in(layer: Path, rel: str) -> bool:
        parts = [p for p in rel.split("/") if p]
        for depth in range(len(parts)):
            parent = layer.joinpath(*parts[:depth])
            if (parent / (WHITEOUT + parts[depth])).exists():
                return True
            if depth and (layer.joinpath(*parts[:depth]) / OPAQUE).exists():
                return True
        return False


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def _apply(source: Path, target: Path) -> None:
    """Lay one layer's ``source`` entry over ``target`` (whiteouts inside applied)."""
    st = os.lstat(source)
    if not stat_mod.S_ISDIR(st.st_mode):
        if os.path.lexists(target):
            _remove(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        if stat_mod.S_ISLNK(st.st_mode):
            os.symlink(os.readlink(source), target)
        else:
            shutil.copy2(source, target, follow_symlinks=False)
        return
    if os.path.lexists(target) and (not target.is_dir() or target.is_symlink()):
        _remove(target)
    names = sorted(os.listdir(source))
    if OPAQUE in names and target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        if name == OPAQUE:
            continue
        if name.startswith(WHITEOUT):
            gone = target / name[len(WHITEOUT):]
            if os.path.lexists(gone):
                _remove(gone)
            continue
        _apply(source / name, target / name)
    shutil.copystat(source, target, follow_symlinks=False)
    os.chmod(target, stat_mod.S_IMODE(st.st_mode))
