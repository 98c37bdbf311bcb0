"""Image layers on disk: unpacked directories addressed by their diff id (sha256 of the tar)."""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path


class LayerStore:
    """``<data-root>/image/layers/<hex>/``: one unpacked layer per directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def path(self, layer_id: str) -> Path:
        """The directory of a layer (``sha256:...`` or bare hex)."""
        return self.root / layer_id.removeprefix("sha256:")

    def exists(self, layer_id: str) -> bool:
        """True when the layer is on disk."""
        return self.path(layer_id).is_dir()

    def create_from_builder(self, build: Callable[[str], None]) -> tuple[str, int]:
        """Build a layer with ``build(dir)``; returns (diff id, size in bytes).

        The diff id is the sha256 of a deterministic tar of the tree (sorted entries,
        zero timestamps and owners), so the same content always gets the same id.
        """
        tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=self.root))
        try:
            build(str(tmp))
            digest, size = tree_digest(tmp)
            final = self.path(digest)
            if final.exists():
                shutil.rmtree(tmp)
            else:
                os.rename(tmp, final)
            return "sha256:" + digest, size
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def remove(self, layer_id: str) -> None:
        """Delete a layer directory."""
        shutil.rmtree(self.path(layer_id), ignore_errors=True)


class _HashWriter:
    def __init__(self) -> None:
        self.hash = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.hash.update(data)
        return len(data)


def tree_digest(root: Path) -> tuple[str, int]:
    """sha256 (hex) of a deterministic tar of ``root`` and the total file size."""
    sink = _HashWriter()
    size = 0
    with tarfile.open(fileobj=sink, mode="w|", format=tarfile.PAX_FORMAT) as tar:  # type: ignore[call-overload]
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in sorted(dirnames + filenames):
                full = os.path.join(dirpath, name)
                info = tar.gettarinfo(full, arcname=os.path.relpath(full, root))
                info.mtime = 0
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                if info.isreg():
                    size += info.size
                    with open(full, "rb") as handle:
                        tar.addfile(info, handle)
                else:
                    tar.addfile(info)
    return sink.hash.hexdigest(), size
