"""Progress messages exactly as dockerd writes them (``jsonmessage`` lines)."""

from __future__ import annotations

from typing import Any

BAR_WIDTH = 50


def human_size(size: float) -> str:
    """go-units ``HumanSize``: decimal units, 4 significant digits (``1.234kB``, ``5.6MB``)."""
    units = ("B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")
    index = 0
    while size >= 1000 and index < len(units) - 1:
        size /= 1000.0
        index += 1
    return f"{size:.4g}{units[index]}"


def progress_bar(current: int, total: int) -> str:
    """The ``progress`` text of a message: ``[=====>     ]  1.2MB/3.4MB`` (dockerd renders it wide)."""
    if current <= 0 and total <= 0:
        return ""
    if total <= 0:
        return f"{human_size(current):>8}"
    filled = min(int(current / total * 100) // 2, BAR_WIDTH)
    bar = "[" + "=" * filled + ">" + " " * (BAR_WIDTH - filled) + "] "
    numbers = f"{human_size(current):>8}/{human_size(total)}" if current <= total else f"{human_size(current):>8}"
    return bar + numbers


def layer_status(layer_id: str, status: str) -> dict[str, Any]:
    """``{"status": ..., "progressDetail": {}, "id": ...}``."""
    return {"status": status, "progressDetail": {}, "id": layer_id}


def layer_progress(layer_id: str, status: str, current: int, total: int) -> dict[str, Any]:
    """A ``Downloading``/``Extracting``/``Pushing`` line with counts and the bar."""
    return {"status": status, "progressDetail": {"current": current, "total": total},
            "progress": progress_bar(current, total), "id": layer_id}


def short_id(digest: str) -> str:
    """The 12-hex id shown per layer."""
    return digest.removeprefix("sha256:")[:12]
