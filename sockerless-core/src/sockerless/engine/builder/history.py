"""``GET /images/{name}/history`` from an image's recorded history and its parent chain."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...api.models.images import ImageRecord
from ..timeutil import parse_rfc3339


def image_history(image: ImageRecord, get: Callable[[str], ImageRecord | None]) -> list[dict[str, Any]]:
    """Newest first; entries are matched to the parent chain as dockerd does (``<missing>`` beyond it)."""
    sizes: dict[int, int] = {}
    chain: list[ImageRecord] = []
    current: ImageRecord | None = image
    while current is not None and len(chain) < 10_000:
        chain.append(current)
        current = get(current.Parent) if current.Parent else None
    entries = image.History
    if not entries:
        return [{"Id": image.Id, "Created": _seconds(image.Created), "CreatedBy": "", "Tags": image.RepoTags or None,
                 "Size": image.Size, "Comment": image.Comment}]
    for index in range(len(entries)):
        owner = chain[len(entries) - 1 - index] if len(entries) - 1 - index < len(chain) else None
        below = chain[len(entries) - index] if len(entries) - index < len(chain) else None
        sizes[index] = max(0, owner.Size - below.Size) if owner and below else (owner.Size if owner else 0)
    result = []
    for position, index in enumerate(range(len(entries) - 1, -1, -1)):
        entry = entries[index]
        owner = chain[position] if position < len(chain) else None
        result.append({
            "Id": owner.Id if owner else "<missing>",
            "Created": _seconds(entry.created),
            "CreatedBy": entry.created_by,
            "Tags": (owner.RepoTags or None) if owner else None,
            "Size": 0 if entry.empty_layer else sizes[index],
            "Comment": entry.comment,
        })
    return result


def _seconds(created: str) -> int:
    try:
        return parse_rfc3339(created) // 1_000_000_000 if created else 0
    except ValueError:
        return 0
