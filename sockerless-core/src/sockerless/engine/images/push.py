"""``docker push``: blob uploads (or cross-repository mounts), then a schema2 manifest per tag."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from ...api.errors import DockerError, InvalidParameter, NotFound, ServerError, Unauthorized
from ...api.models.images import ImageRecord, LayerBlob
from .. import reference as refs
from ..events import EventBus
from ..registry import Credentials, RegistryClient, RegistryError
from ..registry.auth import credentials_from_config_file
from ..registry.client import MANIFEST_V2, RepositorySession
from .progress import layer_progress, layer_status, short_id
from .service import ProgressLine
from .store import ImageStore

CONFIG_MEDIA_TYPE = "application/vnd.docker.container.image.v1+json"
LAYER_MEDIA_TYPE = "application/vnd.docker.image.rootfs.diff.tar.gzip"
CHUNK = 256 * 1024
CONCURRENT_UPLOADS = 5


class Pusher:
    """Pushes images from the store to registries."""

    def __init__(self, store: ImageStore, client: RegistryClient, events: EventBus) -> None:
        self.store = store
        self.client = client
        self.events = events

    def _targets(self, name: str, tag: str) -> tuple[refs.Reference, list[tuple[str, ImageRecord]]]:
        repo = refs.parse(name, default_tag="")
        if repo.digest:
            raise InvalidParameter("cannot push a digest reference")
        wanted = tag or repo.tag
        found: list[tuple[str, ImageRecord]] = []
        for image in self.store.images():
            for repo_tag in image.RepoTags:
                parsed = refs.parse(repo_tag)
                if parsed.name == repo.name and (not wanted or parsed.tag == wanted):
                    found.append((parsed.tag, image))
        if not found:
            shown = f"{repo.familiar_name}:{wanted}" if wanted else repo.familiar_name
            raise NotFound(f"An image does not exist locally with the tag: {shown}")
        return repo, sorted(found, key=lambda item: item[0])

    async def push(self, name: str, tag: str, given: Credentials | None) -> AsyncIterator[ProgressLine]:
        """Start pushing; errors found before any upload are raised, later ones go in the stream."""
        repo, targets = self._targets(name, tag)
        sources = self._mount_sources(repo, [image for _, image in targets])
        credentials = given or credentials_from_config_file(self.client.settings.config_file, repo.domain)
        scopes = tuple(f"repository:{source}:pull" for source in sorted({s for ss in sources.values() for s in ss}))
        try:
            sessions = await self.client.open(repo.domain, repo.path, credentials, "pull,push", for_push=True,
                                              extra_scopes=scopes)
        except RegistryError as exc:
            raise _docker_error(repo, exc) from None
        return self._run(repo, targets, sessions[-1], sources)

    def _mount_sources(self, repo: refs.Reference, images: list[ImageRecord]) -> dict[str, list[str]]:
        """For each layer of ``images``: other repositories on the same registry that hold it."""
        wanted = {layer for image in images for layer in image.Layers}
        sources: dict[str, list[str]] = {}
        for image in self.store.images():
            names = [r.split("@", 1)[0] for r in image.RepoDigests] + [r.rsplit(":", 1)[0] for r in image.RepoTags]
            for text in names:
                try:
                    parsed = refs.parse(text)
                except DockerError:
                    continue
                if parsed.domain != repo.domain or parsed.path == repo.path:
                    continue
                for layer in set(image.Layers) & wanted:
                    if parsed.path not in sources.setdefault(layer, []):
                        sources[layer].append(parsed.path)
        return sources

    async def _run(self, repo: refs.Reference, targets: list[tuple[str, ImageRecord]], session: RepositorySession,
                   sources: dict[str, list[str]]) -> AsyncIterator[ProgressLine]:
        yield {"status": f"The push refers to repository [{repo.name}]"}
        try:
            for tag, image in targets:
                async for line in self._push_image(repo, tag, image, session, sources):
                    yield line
        except RegistryError as exc:
            raise _docker_error(repo, exc) from None

    async def _push_image(self, repo: refs.Reference, tag: str, image: ImageRecord, session: RepositorySession,
                          sources: dict[str, list[str]]) -> AsyncIterator[ProgressLine]:
        queue: asyncio.Queue[ProgressLine | None] = asyncio.Queue()
        layers = list(dict.fromkeys(reversed(image.Layers)))  # Docker lists the top layer first
        for diff_id in layers:
            yield layer_status(short_id(diff_id), "Preparing")
        for diff_id in layers[CONCURRENT_UPLOADS:]:
            yield layer_status(short_id(diff_id), "Waiting")
        limiter = asyncio.Semaphore(CONCURRENT_UPLOADS)
        blobs: dict[str, LayerBlob] = {}

        async def run_all() -> None:
            try:
                results = await asyncio.gather(*(self._push_layer(session, d, sources.get(d, []), limiter, queue)
                                                 for d in layers))
                blobs.update(zip(layers, results, strict=True))
            finally:
                queue.put_nowait(None)

        task = asyncio.create_task(run_all())
        try:
            while (line := await queue.get()) is not None:
                yield line
            await task
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        config = self.store.config_bytes(image)
        if not await session.blob_exists(image.Id):
            await session.upload_blob(image.Id, len(config), _chunks_of(config))
        manifest = _manifest(image, config, [blobs[d] for d in image.Layers])
        try:
            digest = await session.put_manifest(tag, MANIFEST_V2, manifest)
        except RegistryError as exc:
            raise _docker_error(repo, exc) from None
        repo_digest = f"{repo.familiar_name}@{digest}"
        record = self.store.store.images.get(image.Id)
        if record is not None and repo_digest not in record.RepoDigests:
            record.RepoDigests = [*record.RepoDigests, repo_digest]
            self.store.store.images.put(record)
        yield {"status": f"{tag}: digest: {digest} size: {len(manifest)}"}
        yield {"progressDetail": {}, "aux": {"Tag": tag, "Digest": digest, "Size": len(manifest)}}
        self.events.publish("image", "push", f"{repo.familiar_name}:{tag}", {"name": f"{repo.familiar_name}:{tag}"})

    async def _push_layer(self, session: RepositorySession, diff_id: str, sources: list[str],
                          limiter: asyncio.Semaphore, queue: asyncio.Queue[ProgressLine | None]) -> LayerBlob:
        layer_id = short_id(diff_id)
        async with limiter:
            blob = await asyncio.to_thread(self.store.compressed_blob, diff_id)
            if await session.blob_exists(blob.Digest):
                queue.put_nowait(layer_status(layer_id, "Layer already exists"))
                return blob
            for source in sources:
                if await session.mount_blob(blob.Digest, source):
                    queue.put_nowait(layer_status(layer_id, f"Mounted from {source}"))
                    return blob
            await session.upload_blob(blob.Digest, blob.Size, self._read_blob(blob, layer_id, queue))
            queue.put_nowait(layer_status(layer_id, "Pushed"))
            return blob

    async def _read_blob(self, blob: LayerBlob, layer_id: str, queue: asyncio.Queue[ProgressLine | None]) -> AsyncIterator[bytes]:
        sent = 0
        with self.store.blobs.open(blob.Digest) as handle:
            while chunk := await asyncio.to_thread(handle.read, CHUNK):
                sent += len(chunk)
                queue.put_nowait(layer_progress(layer_id, "Pushing", sent, blob.Size))
                yield chunk


async def _chunks_of(data: bytes) -> AsyncIterator[bytes]:
    yield data


def _manifest(image: ImageRecord, config: bytes, blobs: list[LayerBlob]) -> bytes:
    """The schema2 manifest, laid out as dockerd writes it (three-space indent)."""
    document: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_V2,
        "config": {"mediaType": CONFIG_MEDIA_TYPE, "size": len(config), "digest": image.Id},
        "layers": [{"mediaType": LAYER_MEDIA_TYPE, "size": b.Size, "digest": b.Digest} for b in blobs],
    }
    return json.dumps(document, indent=3).encode()


def _docker_error(repo: refs.Reference, exc: RegistryError) -> DockerError:
    if exc.status in (401, 403):
        return Unauthorized(exc.message)
    if exc.status == 404:
        return NotFound(exc.message)
    if exc.status == 400:
        return InvalidParameter(exc.message)
    return ServerError(f"push to {repo.name} failed: {exc.message}")
