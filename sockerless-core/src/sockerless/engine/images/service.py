"""Images as the Docker API sees them: lookup, tag, remove, prune, list, and the pull entry point.

The content lives in the :class:`~.store.ImageStore`; this service adds Docker's rules
(untag versus delete, 409 conflicts with containers, filters) and events.
"""

from __future__ import annotations

import fnmatch
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ...api.errors import Conflict, InvalidParameter
from ...api.filters import Filters
from ...api.models.images import ImageConfig, ImageRecord
from .. import reference as refs
from ..events import EventBus
from ..registry import Credentials
from ..timeutil import parse_rfc3339, parse_timestamp
from .store import ImageStore

ProgressLine = dict[str, Any]


@dataclass(frozen=True)
class BuiltinImage:
    """What a backend offers when no registry can be reached."""

    build: Callable[[str], None]
    """Fills an empty directory with the root filesystem."""
    config: ImageConfig
    description: str
    """Shown in the pull progress, e.g. ``built-in rootfs of the memory backend``."""


class ImageService:
    """Images known to the daemon."""

    def __init__(self, store: ImageStore, events: EventBus, builtin: Callable[[str], Awaitable[BuiltinImage | None]],
                 in_use: Callable[[str], list[tuple[str, bool]]], *, container_layers: Callable[[], Iterable[str]] = tuple) -> None:
        self.store = store
        self.events = events
        self.builtin = builtin
        self._in_use = in_use
        self._container_layers = container_layers
        self.puller: Any = None
        """Set by the engine: the :class:`~.pull.Puller` that ``pull`` delegates to."""

    def collect_layers(self, candidates: Iterable[str]) -> None:
        """Delete the layers among ``candidates`` that no image and no container refers to any more."""
        still_used = {layer for image in self.store.images() for layer in image.Layers}
        still_used |= set(self._container_layers())
        for layer in set(candidates) - still_used:
            self.store.delete_layer(layer)

    # -- lookup ------------------------------------------------------------------------------
    def find(self, ref: str) -> ImageRecord:
        """Resolve a name, ``name:tag``, ``name@digest``, full id or id prefix; 404 otherwise."""
        return self.store.get(ref)

    def lookup(self, ref: str) -> ImageRecord | None:
        """Like :meth:`find` but ``None`` when unknown."""
        return self.store.resolve(ref)

    # -- pull ----------------------------------------------------------------------------------
    async def pull(self, name: str, tag: str, platform: str = "", auth: Credentials | None = None) -> AsyncIterator[ProgressLine]:
        """Pull ``name:tag`` (or ``name`` + ``sha256:`` digest, or every tag when neither); returns the progress messages.

        ``auth`` is what the client sent (``X-Registry-Auth``), ``None`` for anonymous.

        Raises before returning when the pull cannot even begin, so the caller can answer with
        a plain HTTP error as Docker does.
        """
        text = name if not tag else (f"{name}@{tag}" if tag.startswith("sha256:") else f"{name}:{tag}")
        bare = refs.parse(text, default_tag="")
        if not bare.tag and not bare.digest:  # no tag at all: every tag, as dockerd does (``docker pull -a``)
            return await self.puller.pull_all_tags(bare, platform, auth)
        return await self.puller.pull(refs.parse(text), platform, auth)

    # -- tag and remove ------------------------------------------------------------------------------
    def tag(self, source: str, repo: str, tag: str) -> None:
        """``docker tag``."""
        image = self.find(source)
        ref = refs.parse(f"{repo}:{tag}" if tag else repo)
        if ref.digest:
            raise InvalidParameter("refusing to create a tag with a digest reference")
        self.store.tag(image, ref.familiar)
        self.events.publish("image", "tag", image.Id, {"name": ref.familiar})

    def remove(self, ref: str, *, force: bool = False, prune_parents: bool = True) -> list[dict[str, str]]:
        """``docker rmi``: untag a reference; delete the image when nothing else refers to it."""
        image = self.find(ref)
        users = self._in_use(image.Id)
        name = self._tag_named_by(ref, image)
        has_children = any(other.Parent == image.Id for other in self.store.images())
        if name is not None:
            if len(image.RepoTags) > 1 or (users and force) or (has_children and not users):
                return [self._untag(image, name)]  # an image under a build's steps stays, untagged, as with dockerd
            if users:
                raise Conflict(f'conflict: unable to remove repository reference "{ref}" (must force) - '
                               f"container {users[0][0][:12]} is using its referenced image {_short(image.Id)}")
        else:
            if has_children:
                raise Conflict(f"conflict: unable to delete {_short(image.Id)} (cannot be forced) - "
                               "image has dependent child images")
            running = [cid for cid, is_running in users if is_running]
            if running:
                raise Conflict(f"conflict: unable to delete {_short(image.Id)} (cannot be forced) - "
                               f"image is being used by running container {running[0][:12]}")
            if users and not force:
                raise Conflict(f"conflict: unable to delete {_short(image.Id)} (must be forced) - "
                               f"image is being used by stopped container {users[0][0][:12]}")
            if len(image.RepoTags) > 1 and not force:
                raise Conflict(f"conflict: unable to delete {_short(image.Id)} (must be forced) - "
                               "image is referenced in multiple repositories")
        result = [self._untag(image, tag) for tag in list(image.RepoTags)]
        result += [{"Untagged": digest} for digest in image.RepoDigests]
        self._delete(image)
        result.append({"Deleted": image.Id})
        if prune_parents:
            result += self._remove_untagged_parents(image.Parent)
        return result

    def _remove_untagged_parents(self, parent_id: str) -> list[dict[str, str]]:
        """Build steps' images below a deleted image go with it while nothing else needs them (as dockerd)."""
        result = []
        while parent_id:
            parent = self.store.store.images.get(parent_id)
            if (parent is None or parent.RepoTags or self._in_use(parent.Id)
                    or any(other.Parent == parent.Id for other in self.store.images())):
                break
            self._delete(parent)
            result.append({"Deleted": parent.Id})
            parent_id = parent.Parent
        return result

    def _delete(self, image: ImageRecord) -> None:
        self.store.store.images.delete(image.Id)
        self.store.blobs.delete(image.Id)
        self.events.publish("image", "delete", image.Id, {"name": image.Id})
        self.collect_layers(image.Layers)

    @staticmethod
    def _tag_named_by(ref: str, image: ImageRecord) -> str | None:
        """The tag of ``image`` that ``ref`` spells, when ``ref`` is a name rather than an id."""
        try:
            familiar = refs.parse(ref).familiar
        except InvalidParameter:
            return None
        return familiar if familiar in image.RepoTags else None

    def _untag(self, image: ImageRecord, tag: str) -> dict[str, str]:
        image.RepoTags = [t for t in image.RepoTags if t != tag]
        self.store.store.images.put(image)
        self.events.publish("image", "untag", image.Id, {"name": tag})
        return {"Untagged": tag}

    def prune(self, filters: Filters) -> dict[str, Any]:
        """``docker image prune``: dangling images (all unused with ``dangling=false``)."""
        dangling_only = filters.bool_value("dangling") is not False
        until = _until(filters)
        deleted: list[dict[str, str]] = []
        reclaimed = 0
        for image in list(self.store.images()):
            if dangling_only and image.RepoTags:
                continue
            if any(other.Parent == image.Id for other in self.store.images()):
                continue  # a build step's image under another one: it goes with its child
            if self._in_use(image.Id) or not filters.match_labels(image.Config.Labels):
                continue
            if until is not None and parse_rfc3339(image.Created) > until:
                continue
            for repo_tag in image.RepoTags:
                deleted.append({"Untagged": repo_tag})
            for digest in image.RepoDigests:
                deleted.append({"Untagged": digest})
            self._delete(image)
            deleted.append({"Deleted": image.Id})
            reclaimed += image.Size
        return {"ImagesDeleted": deleted or None, "SpaceReclaimed": reclaimed}

    # -- listing ------------------------------------------------------------------------------------
    LIST_FILTERS = ("before", "dangling", "label", "reference", "since", "until")

    def list(self, filters: Filters) -> list[ImageRecord]:
        """Images matching the ``docker images`` filters, newest first."""
        images = sorted(self.store.images(), key=lambda i: parse_rfc3339(i.Created), reverse=True)
        dangling = filters.bool_value("dangling")
        before = self.find(next(iter(filters.get("before")))) if filters.get("before") else None
        since = self.find(next(iter(filters.get("since")))) if filters.get("since") else None
        until = _until(filters)
        result = []
        for image in images:
            created = parse_rfc3339(image.Created)
            if dangling is not None and bool(image.RepoTags) == dangling:
                continue
            if not filters.match_labels(image.Config.Labels):
                continue
            if before is not None and created >= parse_rfc3339(before.Created):
                continue
            if since is not None and created <= parse_rfc3339(since.Created):
                continue
            if until is not None and created > until:
                continue
            patterns = filters.get("reference")
            if patterns and not any(_match_reference(p, t) for p in patterns for t in image.RepoTags + image.RepoDigests):
                continue
            result.append(image)
        return result


def _short(image_id: str) -> str:
    return image_id.removeprefix("sha256:")[:12]


def _until(filters: Filters) -> int | None:
    values = filters.get("until")
    if not values:
        return None
    return parse_timestamp(next(iter(values)), name="until")


def _match_reference(pattern: str, repo_tag: str) -> bool:
    name = repo_tag.split("@", 1)[0]
    if "@" not in repo_tag:
        name = name.rsplit(":", 1)[0]
    return fnmatch.fnmatchcase(repo_tag, pattern) or fnmatch.fnmatchcase(name, pattern)
