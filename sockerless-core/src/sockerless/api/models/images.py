"""Image wire models."""

from __future__ import annotations

import msgspec

from .containers import BaseConfig


class ImageConfig(BaseConfig, kw_only=True):
    """``Config`` of an image (the OCI image config, in Docker's naming)."""


class RootFS(msgspec.Struct, kw_only=True):
    """``RootFS`` of an image: its layer diff IDs."""

    Type: str = "layers"
    Layers: list[str] = msgspec.field(default_factory=list)


class HistoryEntry(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One entry of an image's history, as the OCI image config spells it."""

    created: str = ""
    created_by: str = ""
    author: str = ""
    comment: str = ""
    empty_layer: bool = False


class ImageRecord(msgspec.Struct, kw_only=True):
    """An image in the store (persisted), from which inspect and list are rendered."""

    Id: str
    RepoTags: list[str] = msgspec.field(default_factory=list)
    RepoDigests: list[str] = msgspec.field(default_factory=list)
    Parent: str = ""
    Comment: str = ""
    Created: str = ""
    Author: str = ""
    Config: ImageConfig = msgspec.field(default_factory=ImageConfig)
    Architecture: str = "amd64"
    Variant: str = ""
    Os: str = "linux"
    Size: int = 0
    Layers: list[str] = msgspec.field(default_factory=list)
    """Layer directories (relative to the layer store), lowest first."""
    Source: str = ""
    """Where the image came from (``builtin``, a registry, a load or a build)."""
    LastTagTime: str = ""
    History: list[HistoryEntry] = msgspec.field(default_factory=list)
    """Oldest first; one entry per build step or commit (``empty_layer`` for metadata steps)."""
    Container: str = ""
    """The container a committed image was made from (inspect's ``Container``)."""
