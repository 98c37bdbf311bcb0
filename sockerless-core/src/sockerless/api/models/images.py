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


class LayerBlob(msgspec.Struct, kw_only=True):
    """One stored serialisation of a layer: the tar itself or a compressed form of it."""

    Digest: str
    MediaType: str
    Size: int


class LayerRecord(msgspec.Struct, kw_only=True):
    """A layer in the store (persisted), keyed by its diff id (sha256 of the uncompressed tar)."""

    DiffID: str
    Size: int = 0
    """Bytes of file content once unpacked (what ``docker images`` adds up)."""
    Blobs: list[LayerBlob] = msgspec.field(default_factory=list)
    """The blobs holding this layer; a blob whose digest is the diff id is the plain tar."""
