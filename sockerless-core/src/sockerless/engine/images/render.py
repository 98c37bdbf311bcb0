"""Rendering image records for ``/images/json``, ``/images/{name}/json`` and ``/history``."""

from __future__ import annotations

from typing import Any

import msgspec

from ...api.models.images import ImageConfig, ImageRecord
from ..timeutil import parse_rfc3339


def image_inspect(image: ImageRecord, api_version: tuple[int, int]) -> dict[str, Any]:
    """``GET /images/{name}/json``."""
    body: dict[str, Any] = {
        "Id": image.Id,
        "RepoTags": image.RepoTags,
        "RepoDigests": image.RepoDigests,
        "Parent": image.Parent,
        "Comment": image.Comment,
        "Created": image.Created,
        "DockerVersion": "",
        "Author": image.Author,
        "Config": msgspec.to_builtins(image.Config),
        "Architecture": image.Architecture,
        "Os": image.Os,
        "Size": image.Size,
        "GraphDriver": {"Data": None, "Name": "sockerless"},
        "RootFS": {"Type": "layers", "Layers": list(image.Layers)},
        "Metadata": {"LastTagTime": image.LastTagTime or "0001-01-01T00:00:00Z"},
    }
    if image.Variant:
        body["Variant"] = image.Variant
    if api_version < (1, 44):
        body["VirtualSize"] = image.Size
        body["Container"] = ""
        body["ContainerConfig"] = msgspec.to_builtins(ImageConfig())
    return body


def image_summary(image: ImageRecord, api_version: tuple[int, int], containers: int) -> dict[str, Any]:
    """An entry of ``GET /images/json``."""
    body: dict[str, Any] = {
        "Containers": containers,
        "Created": parse_rfc3339(image.Created) // 1_000_000_000,
        "Id": image.Id,
        "Labels": image.Config.Labels,
        "ParentId": image.Parent,
        "RepoDigests": image.RepoDigests,
        "RepoTags": image.RepoTags,
        "SharedSize": -1,
        "Size": image.Size,
    }
    if api_version < (1, 44):
        body["VirtualSize"] = image.Size
    return body


def image_history(image: ImageRecord, document: dict[str, Any], layer_sizes: dict[str, int]) -> list[dict[str, Any]]:
    """``GET /images/{name}/history``: one entry per config history item, newest first.

    ``document`` is the image's config; ``layer_sizes`` maps diff ids to unpacked sizes.
    Entries without a layer of their own (``empty_layer``) have size 0; only the newest
    entry carries the image's id and tags, the others show ``<missing>`` as Docker does.
    """
    history = document.get("history") or [{"created": image.Created, "created_by": "", "comment": image.Comment}
                                           for _ in image.Layers or [None]]
    layers = iter(image.Layers)
    entries = []
    for item in history:
        size = 0
        if not item.get("empty_layer"):
            layer = next(layers, None)
            size = layer_sizes.get(layer, 0) if layer else 0
        created = item.get("created")
        entries.append({
            "Id": "<missing>",
            "Created": parse_rfc3339(created) // 1_000_000_000 if created else 0,
            "CreatedBy": item.get("created_by", ""),
            "Tags": None,
            "Size": size,
            "Comment": item.get("comment", ""),
        })
    entries.reverse()
    entries[0]["Id"] = image.Id
    entries[0]["Tags"] = list(image.RepoTags) or None
    return entries
