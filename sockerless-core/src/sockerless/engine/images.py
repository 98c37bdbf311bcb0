"""The image store: lookup, pull (with the backend's built-in fallback), list, tag, remove.

There is no registry client in this release. ``pull`` first checks whether the image's
registry can be reached at all; either way it cannot download, so when the active
backend offers a built-in root filesystem the image is made from that, and the progress
stream says so plainly. Without a built-in image, pull fails with the reason.
"""

from __future__ import annotations

import asyncio
import fnmatch
import hashlib
import platform
import socket
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import msgspec

from ..api import wire
from ..api.errors import Conflict, InvalidParameter, Unavailable, no_such_image
from ..api.filters import Filters
from ..api.models.images import ImageConfig, ImageRecord
from . import reference as refs
from .events import EventBus
from .layers import LayerStore
from .store import Store
from .timeutil import now_ns, parse_rfc3339, parse_timestamp, rfc3339_nano

REGISTRY_PROBE_TIMEOUT = 3.0


@dataclass(frozen=True)
class BuiltinImage:
    """What a backend offers when no registry can be reached."""

    build: Callable[[str], None]
    """Fills an empty directory with the root filesystem."""
    config: ImageConfig
    description: str
    """Shown in the pull progress, e.g. ``built-in rootfs of the memory backend``."""


ProgressLine = dict[str, Any]


class ImageService:
    """Images known to the daemon."""

    def __init__(self, store: Store, layers: LayerStore, events: EventBus,
                 builtin: Callable[[str], Any], in_use: Callable[[str], list[tuple[str, bool]]]) -> None:
        self.store = store
        self.layers = layers
        self.events = events
        self._builtin = builtin
        self._in_use = in_use

    def collect_layers(self, candidates: Iterable[str]) -> None:
        """Delete the layers among ``candidates`` that no image and no container refers to any more."""
        still_used = {layer for image in self.store.images for layer in image.Layers}
        still_used |= {layer for container in self.store.containers for layer in container.image_layers}
        for layer in set(candidates) - still_used:
            self.layers.remove(layer)

    # -- lookup ------------------------------------------------------------------------------
    def find(self, ref: str) -> ImageRecord:
        """Resolve a name, ``name:tag``, ``name@digest``, full id or id prefix; 404 otherwise."""
        image = self.lookup(ref)
        if image is None:
            raise no_such_image(self._display(ref))
        return image

    def lookup(self, ref: str) -> ImageRecord | None:
        """Like :meth:`find` but ``None`` when unknown."""
        images = self.store.images
        if ref.startswith("sha256:") and images.get(ref) is not None:
            return images.get(ref)
        try:
            parsed = refs.parse(ref)
        except InvalidParameter:
            parsed = None
        if parsed is not None:
            wanted = parsed.familiar
            for image in images:
                if wanted in image.RepoTags or wanted in image.RepoDigests:
                    return image
        if refs.looks_like_id(ref):
            prefix = "sha256:" + ref.removeprefix("sha256:")
            matches = [img for img in images if img.Id.startswith(prefix)]
            if len(matches) == 1:
                return matches[0]
        return None

    @staticmethod
    def _display(ref: str) -> str:
        try:
            return refs.parse(ref).familiar
        except InvalidParameter:
            return ref

    # -- pull ----------------------------------------------------------------------------------
    async def pull(self, name: str, tag: str, platform: str = "") -> AsyncIterator[ProgressLine]:
        """Pull ``name:tag``; yields Docker progress messages.

        Raises before yielding anything when the pull cannot even begin, so the caller can
        answer with a plain HTTP error as Docker does.
        """
        text = name if not tag else (f"{name}@{tag}" if tag.startswith("sha256:") else f"{name}:{tag}")
        ref = refs.parse(text)
        if platform and platform not in ("linux", "linux/amd64", "linux/arm64", "linux/" + _machine_arch()):
            raise InvalidParameter(f"image platform {platform!r} is not available from a built-in rootfs")
        reason = await _registry_unreachable(ref.registry_host)
        if ref.digest:
            detail = reason or "this build of sockerless has no registry client yet"
            raise Unavailable(f"cannot pull {ref.familiar}: a pull by digest needs the registry ({detail}); "
                              "a built-in rootfs cannot stand in for specific content")
        builtin = await self._builtin(ref.familiar)
        if builtin is None:
            detail = reason or "this build of sockerless has no registry client yet"
            raise Unavailable(f"cannot pull {ref.familiar}: {detail}, and the active backend has no built-in image")
        return self._pull_builtin(ref, builtin, reason)

    async def _pull_builtin(self, ref: refs.Reference, builtin: BuiltinImage, reason: str) -> AsyncIterator[ProgressLine]:
        yield {"status": f"Pulling from {ref.path}", "id": ref.tag or ref.digest}
        if reason:
            why = f"the registry {ref.registry_host} could not be reached ({reason})"
        else:
            why = f"the registry {ref.registry_host} is reachable, but this build of sockerless has no registry client yet"
        yield {"status": f"{why}: using the {builtin.description} for {ref.familiar}"}
        layer_id, size = await asyncio.to_thread(self.layers.create_from_builder, builtin.build)
        image = self._builtin_record(ref, builtin.config, layer_id, size)
        existing = self.store.images.get(image.Id)
        up_to_date = existing is not None and ref.familiar in existing.RepoTags
        self._tag_record(image if existing is None else existing, ref.familiar)
        yield {"status": f"Digest: {image.Id}"}
        if up_to_date:
            yield {"status": f"Status: Image is up to date for {ref.familiar}"}
        else:
            yield {"status": f"Status: Downloaded newer image for {ref.familiar}"}
        self.events.publish("image", "pull", ref.familiar, {"name": ref.familiar_name})

    def _builtin_record(self, ref: refs.Reference, config: ImageConfig, layer_id: str, size: int) -> ImageRecord:
        config_json = wire.encode({"config": config, "rootfs": {"type": "layers", "diff_ids": [layer_id]},
                                   "os": "linux", "architecture": _docker_arch()})
        image_id = "sha256:" + hashlib.sha256(config_json).hexdigest()
        return ImageRecord(
            Id=image_id,
            Created=rfc3339_nano(now_ns()),
            Config=config,
            Architecture=_docker_arch(),
            Os="linux",
            Size=size,
            Layers=[layer_id],
            Source="builtin",
            Comment=f"built-in rootfs used for {ref.familiar}",
        )

    def _tag_record(self, image: ImageRecord, tag: str) -> None:
        for other in self.store.images:
            if other.Id != image.Id and tag in other.RepoTags:
                other.RepoTags = [t for t in other.RepoTags if t != tag]
                self.store.images.put(other)
        if tag not in image.RepoTags:
            image.RepoTags = [*image.RepoTags, tag]
            image.LastTagTime = rfc3339_nano(now_ns())
        self.store.images.put(image)

    # -- tag and remove ------------------------------------------------------------------------------
    def tag(self, source: str, repo: str, tag: str) -> None:
        """``docker tag``."""
        image = self.find(source)
        ref = refs.parse(f"{repo}:{tag}" if tag else repo)
        if ref.digest:
            raise InvalidParameter("refusing to create a tag with a digest reference")
        self._tag_record(image, ref.familiar)
        self.events.publish("image", "tag", image.Id, {"name": ref.familiar})

    def remove(self, ref: str, *, force: bool = False, prune_parents: bool = True) -> list[dict[str, str]]:
        """``docker rmi``: untag a reference; delete the image when nothing else refers to it."""
        image = self.find(ref)
        users = self._in_use(image.Id)
        name = self._tag_named_by(ref, image)
        if name is not None:
            if len(image.RepoTags) > 1 or (users and force):
                return [self._untag(image, name)]
            if users:
                raise Conflict(f'conflict: unable to remove repository reference "{ref}" (must force) - '
                               f"container {users[0][0][:12]} is using its referenced image {_short(image.Id)}")
        else:
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
        self.store.images.delete(image.Id)
        result.append({"Deleted": image.Id})
        self.events.publish("image", "delete", image.Id, {"name": image.Id})
        self.collect_layers(image.Layers)
        if prune_parents:
            result += self._remove_untagged_parents(image.Parent)
        return result

    def _remove_untagged_parents(self, parent_id: str) -> list[dict[str, str]]:
        """Build steps' images below a deleted image go with it while nothing else needs them (as dockerd)."""
        result = []
        while parent_id:
            parent = self.store.images.get(parent_id)
            if (parent is None or parent.RepoTags or self._in_use(parent.Id)
                    or any(other.Parent == parent.Id for other in self.store.images)):
                break
            self.store.images.delete(parent.Id)
            result.append({"Deleted": parent.Id})
            self.events.publish("image", "delete", parent.Id, {"name": parent.Id})
            self.collect_layers(parent.Layers)
            parent_id = parent.Parent
        return result

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
        self.store.images.put(image)
        self.events.publish("image", "untag", image.Id, {"name": tag})
        return {"Untagged": tag}

    def prune(self, filters: Filters) -> dict[str, Any]:
        """``docker image prune``: dangling images (all unused with ``dangling=false``)."""
        dangling_only = filters.bool_value("dangling") is not False
        until = _until(filters)
        deleted: list[dict[str, str]] = []
        reclaimed = 0
        for image in self.store.images:
            if dangling_only and image.RepoTags:
                continue
            if any(other.Parent == image.Id for other in self.store.images):
                continue  # a build step's image under another one: it goes with its child
            if self._in_use(image.Id) or not filters.match_labels(image.Config.Labels):
                continue
            if until is not None and parse_rfc3339(image.Created) > until:
                continue
            for repo_tag in image.RepoTags:
                deleted.append({"Untagged": repo_tag})
            self.store.images.delete(image.Id)
            self.collect_layers(image.Layers)
            deleted.append({"Deleted": image.Id})
            reclaimed += image.Size
            self.events.publish("image", "delete", image.Id, {"name": image.Id})
        return {"ImagesDeleted": deleted or None, "SpaceReclaimed": reclaimed}

    # -- rendering -----------------------------------------------------------------------------------
    LIST_FILTERS = ("before", "dangling", "label", "reference", "since", "until")

    def list(self, filters: Filters) -> list[ImageRecord]:
        """Images matching the ``docker images`` filters, newest first."""
        images = sorted(self.store.images, key=lambda i: i.Created, reverse=True)
        dangling = filters.bool_value("dangling")
        before = self.find(next(iter(filters.get("before")))) if filters.get("before") else None
        since = self.find(next(iter(filters.get("since")))) if filters.get("since") else None
        until = _until(filters)
        result = []
        for image in images:
            if dangling is not None and bool(image.RepoTags) == dangling:
                continue
            if not filters.match_labels(image.Config.Labels):
                continue
            if before is not None and image.Created >= before.Created:
                continue
            if since is not None and image.Created <= since.Created:
                continue
            if until is not None and parse_rfc3339(image.Created) > until:
                continue
            if filters.get("reference") and not any(_match_reference(pattern, t) for pattern in filters.get("reference") for t in image.RepoTags):
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
    name = repo_tag.rsplit(":", 1)[0]
    return fnmatch.fnmatchcase(repo_tag, pattern) or fnmatch.fnmatchcase(name, pattern)


async def _registry_unreachable(host: str) -> str:
    """Why ``host`` cannot be reached on 443, or ``""`` when a TCP connection works."""
    def probe() -> str:
        try:
            infos = socket.getaddrinfo(host, 443, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            return f"lookup {host}: {exc.strerror or exc}"
        last = ""
        for family, type_, proto, _, addr in infos[:3]:
            try:
                with socket.socket(family, type_, proto) as sock:
                    sock.settimeout(REGISTRY_PROBE_TIMEOUT)
                    sock.connect(addr)
                    return ""
            except OSError as exc:
                last = f"dial tcp {addr[0]}:443: {exc.strerror or exc}"
        return last or f"no address for {host}"

    try:
        return await asyncio.wait_for(asyncio.to_thread(probe), REGISTRY_PROBE_TIMEOUT * 2)
    except TimeoutError:
        return f"dial tcp {host}:443: i/o timeout"


def _machine_arch() -> str:
    return platform.machine()


def _docker_arch() -> str:
    machine = _machine_arch()
    return {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm"}.get(machine, machine)


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
        body["Container"] = image.Container
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
