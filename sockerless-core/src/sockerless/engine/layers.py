"""Image layers on disk: unpacked directories addressed by their diff id (sha256 of the tar)."""

from __future__ import annotations

import shutil
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

    def remove(self, layer_id: str) -> None:
        """Delete a layer directory."""
        shutil.rmtree(self.path(layer_id), ignore_errors=True)
