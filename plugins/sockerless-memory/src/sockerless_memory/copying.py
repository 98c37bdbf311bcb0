"""Removing container trees cheaply.

A container's files are taken out of the namespace with one atomic rename; the slow
recursive delete runs later, off the request path (and after a crash, at startup).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path


def discard_tree(path: Path) -> Path | None:
    """Rename ``path`` out of the way (atomic, cheap); the caller deletes the returned path later."""
    if not path.exists():
        return None
    trash = path.parent / f".trash-{uuid.uuid4().hex}"
    os.rename(path, trash)
    return trash
