"""The one place where build and commit reach the image store.

Everything the builder needs from the store goes through :class:`BuildImageStore`, so the
store behind it can change without touching the builder: find and pull base images, read
an image's unpacked layers, add a layer from a tar, register a new image from its config
and tag it.
"""

from __future__ import annotations

import asyncio
import hashlib
import tarfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from ...api import wire
from ...api.errors import InvalidParameter
from ...api.models.images import HistoryEntry, ImageConfig, ImageRecord
from .. import reference as refs
from ..timeutil import now_ns, rfc3339_nano
from . import tarsafe

if TYPE_CHECKING:
    from ..daemon import Engine

EMPTY_TAR_DIGEST = "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"
"""The diff id of an empty tar (1024 zero bytes): a layer that changes nothing."""


@dataclass
class NewImage:
    """An image about to be registered: what a build step or a commit produced."""

    config: ImageConfig
    parent: ImageRecord | None
    layer: str | None = None
    """The diff id of the new layer on top of the parent's, ``None`` for a metadata step."""
    layer_size: int = 0
    created_by: str = ""
    comment: str = ""
    author: str = ""
    container: str = ""
    container_config: dict[str, Any] = field(default_factory=dict)
    os: str = "linux"
    architecture: str = ""


class BuildImageStore:
    """The image store as the builder sees it."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # -- base images ---------------------------------------------------------------------------
    def lookup(self, ref: str) -> ImageRecord | None:
        """An image by name, id or id prefix; ``None`` when unknown."""
        return self._engine.images.lookup(ref)

    def get(self, image_id: str) -> ImageRecord | None:
        """An image by its full id."""
        return self._engine.store.images.get(image_id)

    async def pull(self, ref: str, platform: str = "") -> AsyncIterator[dict[str, Any]]:
        """Pull ``ref``; yields Docker progress messages (raises when the pull cannot begin)."""
        parsed = refs.parse(ref)
        tag = parsed.digest or parsed.tag
        return await self._engine.images.pull(parsed.name, tag, platform)

    def layer_dirs(self, image: ImageRecord) -> list[Path]:
        """The unpacked layer directories of ``image``, lowest first (whiteouts as ``.wh.`` files)."""
        return [self._engine.layers.path(layer) for layer in image.Layers]

    # -- new layers and images ----------------------------------------------------------------
    async def add_layer(self, tar_path: str) -> tuple[str | None, int]:
        """Store a layer from an uncompressed tar; ``(diff id, size)``, ``(None, 0)`` for an empty one."""
        with tarfile.open(tar_path) as tar:
            if tar.next() is None:
                return None, 0
        return await asyncio.to_thread(self._engine.layers.create_from_builder,
                                       lambda directory: unpack_layer(tar_path, directory))

    def create_image(self, new: NewImage) -> ImageRecord:
        """Register an image; its id is the digest of its config document."""
        parent = new.parent
        layers = list(parent.Layers) if parent else []
        history = list(parent.History) if parent else []
        if parent is not None and not history:
            history = [HistoryEntry(created=parent.Created, comment=parent.Comment)]
        if new.layer is not None:
            layers.append(new.layer)
        created = rfc3339_nano(now_ns())
        history.append(HistoryEntry(created=created, created_by=new.created_by, author=new.author,
                                    comment=new.comment, empty_layer=new.layer is None))
        arch = new.architecture or (parent.Architecture if parent else "amd64")
        document = {
            "architecture": arch, "os": new.os, "config": msgspec.to_builtins(new.config),
            "container": new.container, "container_config": new.container_config, "created": created,
            "author": new.author, "history": msgspec.to_builtins(history),
            "rootfs": {"type": "layers", "diff_ids": layers},
        }
        image_id = "sha256:" + hashlib.sha256(wire.encode(document)).hexdigest()
        record = ImageRecord(
            Id=image_id, Parent=parent.Id if parent else "", Comment=new.comment, Created=created,
            Author=new.author, Config=new.config, Architecture=arch, Os=new.os,
            Size=(parent.Size if parent else 0) + new.layer_size, Layers=layers, Source="build",
            History=history, Container=new.container,
        )
        self._engine.store.images.put(record)
        self._engine.events.publish("image", "create", image_id, {"name": image_id})
        return record

    def tag(self, image: ImageRecord, ref: str) -> str:
        """Tag ``image`` as ``ref`` (``name`` or ``name:tag``); returns the familiar name."""
        parsed = refs.parse(ref)
        if parsed.digest:
            raise InvalidParameter("refusing to create a tag with a digest reference")
        self._engine.images.tag(image.Id, parsed.familiar_name, parsed.tag)
        return parsed.familiar

    def children(self, image_id: str) -> list[ImageRecord]:
        """Images whose parent is ``image_id``."""
        return [image for image in self._engine.store.images if image.Parent == image_id]



def unpack_layer(tar_path: str, directory: str) -> None:
    """Unpack a layer tar into an empty directory, keeping whiteouts as ``.wh.`` files."""
    with tarfile.open(tar_path) as tar:
        tarsafe.extract(tar, directory, what="layer")
