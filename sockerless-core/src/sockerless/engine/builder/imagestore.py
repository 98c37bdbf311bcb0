"""The one place where build and commit reach the image store.

Everything the builder needs from the store goes through :class:`BuildImageStore`, so the
store behind it can change without touching the builder: find and pull base images, read
an image's unpacked layers, add a layer from a tar, register a new image from its config
and tag it.
"""

from __future__ import annotations

import asyncio
import tarfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...api.errors import InvalidParameter
from ...api.models.images import ImageConfig, ImageRecord
from .. import reference as refs
from ..images.store import MEDIA_TAR, ImageStore
from ..timeutil import now_ns, rfc3339_nano

if TYPE_CHECKING:
    from ..daemon import Engine

@dataclass
class NewImage:
    """An image about to be registered: what a build step or a commit produced."""

    config: ImageConfig
    parent: ImageRecord | None
    layer: str | None = None
    """The diff id of the new layer on top of the parent's, ``None`` for a metadata step."""
    created_by: str = ""
    comment: str = ""
    author: str = ""
    os: str = "linux"
    architecture: str = ""


class BuildImageStore:
    """The image store as the builder sees it (today: :class:`~sockerless.engine.images.ImageStore`)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @property
    def _store(self) -> ImageStore:
        return self._engine.image_store

    # -- base images ---------------------------------------------------------------------------
    def lookup(self, ref: str) -> ImageRecord | None:
        """An image by name, id or id prefix; ``None`` when unknown."""
        return self._store.resolve(ref)

    def get(self, image_id: str) -> ImageRecord | None:
        """An image by its full id."""
        return self._engine.store.images.get(image_id)

    async def pull(self, ref: str, platform: str = "", auth: Any = None) -> AsyncIterator[dict[str, Any]]:
        """Pull ``ref`` (``auth``: registry credentials or ``None``); yields Docker progress messages.

        Raises when the pull cannot begin."""
        parsed = refs.parse(ref)
        return await self._engine.images.pull(parsed.name, parsed.digest or parsed.tag, platform, auth)

    def layer_dirs(self, image: ImageRecord) -> list[Path]:
        """The unpacked layer directories of ``image``, lowest first (whiteouts as ``.wh.`` files)."""
        return self._store.layer_paths(image)

    # -- new layers and images ----------------------------------------------------------------
    async def add_layer(self, tar_path: str) -> tuple[str | None, int]:
        """Store a layer from an uncompressed tar; ``(diff id, size)``, ``(None, 0)`` for an empty one."""
        with tarfile.open(tar_path) as tar:
            if tar.next() is None:
                return None, 0

        def add() -> tuple[str, int]:
            with open(tar_path, "rb") as stream:
                info = self._store.add_layer(stream, MEDIA_TAR)
            return info.diff_id, info.size

        return await asyncio.to_thread(add)

    def create_image(self, new: NewImage) -> ImageRecord:
        """Register an image (its id is the digest of its config, written by the store)."""
        parent = new.parent
        layers = list(parent.Layers) if parent else []
        history: list[dict[str, Any]] = []
        if parent is not None:
            history = list(self._store.config_document(parent).get("history") or [])
            if not history:
                history = [{"created": parent.Created, "created_by": "", "comment": parent.Comment}
                           for _ in parent.Layers]
        if new.layer is not None:
            layers.append(new.layer)
        created = rfc3339_nano(now_ns())
        entry: dict[str, Any] = {"created": created, "created_by": new.created_by}
        if new.author:
            entry["author"] = new.author
        if new.comment:
            entry["comment"] = new.comment
        if new.layer is None:
            entry["empty_layer"] = True
        history.append(entry)
        image = self._store.create_image(
            new.config, layers, history, created=created, author=new.author, comment=new.comment,
            architecture=new.architecture or (parent.Architecture if parent else ""), os_name=new.os,
            parent=parent.Id if parent else "", source="build")
        self._engine.events.publish("image", "create", image.Id, {"name": image.Id})
        return image

    def tag(self, image: ImageRecord, ref: str) -> str:
        """Tag ``image`` as ``ref`` (``name`` or ``name:tag``); returns the familiar name."""
        parsed = refs.parse(ref)
        if parsed.digest:
            raise InvalidParameter("refusing to create a tag with a digest reference")
        self._engine.images.tag(image.Id, parsed.familiar_name, parsed.tag)
        return parsed.familiar

