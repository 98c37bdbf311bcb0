"""The build cache: which image a step produced last time, by parent image and step."""

from __future__ import annotations

import hashlib
import json

import msgspec

from ..store import Table
from .imagestore import BuildImageStore


class CacheEntry(msgspec.Struct, kw_only=True):
    """One remembered step."""

    key: str
    image: str


def step_key(parent: str, created_by: str, extra: list[str] | None = None) -> str:
    """The cache key of a step: parent image, the step as history records it, plus what else counts."""
    return hashlib.sha256(json.dumps([parent, created_by, extra or []]).encode()).hexdigest()


class BuildCache:
    """Persisted in the daemon's store; an entry whose image is gone (or changed parent) is a miss."""

    def __init__(self, table: Table[CacheEntry], images: BuildImageStore) -> None:
        self._table = table
        self._images = images

    def get(self, key: str, parent: str) -> str | None:
        """The image id cached under ``key``, when it still exists with that parent."""
        entry = self._table.get(key)
        if entry is None:
            return None
        image = self._images.get(entry.image)
        if image is None or image.Parent != parent:
            self._table.delete(key)
            return None
        return image.Id

    def put(self, key: str, image_id: str) -> None:
        """Remember the image a step produced."""
        self._table.put(CacheEntry(key=key, image=image_id))

    def prune(self) -> list[str]:
        """Forget every entry; returns the cache keys forgotten."""
        keys = self._table.keys()
        for key in keys:
            self._table.delete(key)
        return keys
