"""``docker pull``: manifest resolution (with platform selection), layer download, unpack, record.

Everything that can fail before data moves (endpoint, auth, manifest, config) happens
before the progress stream starts, so the client gets a plain HTTP error as from dockerd.
When the registry cannot be reached at all and the active backend offers a built-in root
filesystem, that is used instead, and the progress stream says so in words.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import httpx

from ...api import wire
from ...api.errors import DockerError, InvalidParameter, NotFound, ServerError, Unauthorized, Unavailable
from .. import reference as refs
from ..events import EventBus
from ..registry import Credentials, RegistryClient, RegistryError, Unreachable
from ..registry.auth import credentials_from_config_file
from ..registry.client import INDEX_TYPES, MANIFEST_V1_SIGNED, Manifest, RepositorySession
from ..registry.platforms import Platform, select_manifest
from .blobs import DigestMismatch
from .progress import layer_progress, layer_status, short_id
from .service import BuiltinImage, ImageService, ProgressLine
from .store import ImageStore, parse_config

log = logging.getLogger(__name__)

CONCURRENT_DOWNLOADS = 3
DOWNLOAD_ATTEMPTS = 3
REPORT_EVERY = 512 * 1024
FOREIGN_LAYERS = ("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
                  "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip")


@dataclass
class Resolved:
    """What a pull fetches: the manifest the reference names, the image manifest, its config."""

    session: RepositorySession
    top: Manifest
    image: Manifest
    config_raw: bytes


class Puller:
    """Pulls images into the store through the registry client."""

    def __init__(self, images: ImageService, client: RegistryClient, events: EventBus) -> None:
        self.images = images
        self.store: ImageStore = images.store
        self.client = client
        self.events = events

    def credentials(self, domain: str, given: Credentials | None) -> Credentials | None:
        """The client's credentials, else the daemon's Docker config file entry for ``domain``."""
        return given or credentials_from_config_file(self.client.settings.config_file, domain)

    async def pull(self, ref: refs.Reference, platform: str, given: Credentials | None) -> AsyncIterator[ProgressLine]:
        """Start pulling ``ref``; returns the progress stream (see the module docstring for errors)."""
        wanted = Platform.parse(platform) if platform else Platform.host()
        try:
            sessions = await self.client.open(ref.domain, ref.path, self.credentials(ref.domain, given), "pull")
        except Unreachable as exc:
            return await self._fallback(ref, str(exc.message), bool(platform) and not wanted.matches_host())
        except RegistryError as exc:
            raise _docker_error(ref, exc) from None
        last: RegistryError | None = None
        for session in sessions:
            try:
                resolved = await self._resolve(session, ref, wanted, explicit=bool(platform))
            except Unreachable as exc:
                last = exc
                continue
            except RegistryError as exc:
                last = exc
                if session.endpoint.mirror:
                    log.info("mirror %s cannot serve %s: %s", session.endpoint.url, ref.familiar, exc.message)
                    continue
                raise _docker_error(ref, exc) from None
            return self._download(ref, resolved)
        assert last is not None
        if isinstance(last, Unreachable):
            return await self._fallback(ref, last.message, False)
        raise _docker_error(ref, last)

    async def pull_all_tags(self, repo: refs.Reference, platform: str, given: Credentials | None) -> AsyncIterator[ProgressLine]:
        """Pull every tag of ``repo`` (offline: the built-in image as ``repo:latest``)."""
        wanted = Platform.parse(platform) if platform else Platform.host()
        latest = refs.Reference(repo.domain, repo.path, "latest")
        try:
            session = (await self.client.open(repo.domain, repo.path, self.credentials(repo.domain, given), "pull"))[-1]
            tags = sorted(await session.list_tags())
            if not tags:
                raise NotFound(f"repository {repo.familiar_name} has no tags")
            resolved = [(tag, await self._resolve(session, replace(repo, tag=tag), wanted, explicit=bool(platform)))
                        for tag in tags]
        except Unreachable as exc:
            return await self._fallback(latest, exc.message, bool(platform) and not wanted.matches_host())
        except RegistryError as exc:
            raise _docker_error(repo, exc) from None
        return self._download_all(repo, resolved)

    async def _download_all(self, repo: refs.Reference, resolved: list[tuple[str, Resolved]]) -> AsyncIterator[ProgressLine]:
        outcome: list[bool] = []
        for tag, item in resolved:
            async for line in self._download(replace(repo, tag=tag), item, outcome):
                yield line
        fresh = any(outcome)
        yield {"status": f"Status: {'Downloaded newer image' if fresh else 'Image is up to date'} for {repo.familiar_name}"}

    async def distribution(self, ref: refs.Reference, given: Credentials | None) -> dict[str, Any]:
        """``GET /distribution/{name}/json``: the descriptor the reference names and its platforms."""
        try:
            session = (await self.client.open(ref.domain, ref.path, self.credentials(ref.domain, given), "pull"))[-1]
            top = await session.get_manifest(ref.digest or ref.tag)
            descriptor = {"mediaType": top.media_type, "digest": top.digest, "size": len(top.raw)}
            if top.media_type in INDEX_TYPES:
                platforms = [m["platform"] for m in top.body.get("manifests") or []
                             if isinstance(m.get("platform"), dict) and m["platform"].get("os") != "unknown"]
            else:
                config = parse_config(await session.get_blob(top.body["config"]["digest"]))
                platform = {"architecture": config.get("architecture", ""), "os": config.get("os", "")}
                if config.get("variant"):
                    platform["variant"] = config["variant"]
                platforms = [platform]
        except Unreachable as exc:
            raise Unavailable(f"cannot reach the registry {ref.registry_host}: {exc.message}") from None
        except RegistryError as exc:
            raise _docker_error(ref, exc) from None
        return {"Descriptor": descriptor, "Platforms": platforms}

    async def _resolve(self, session: RepositorySession, ref: refs.Reference, wanted: Platform, explicit: bool) -> Resolved:
        top = await session.get_manifest(ref.digest or ref.tag)
        image = top
        if top.media_type == MANIFEST_V1_SIGNED or top.body.get("schemaVersion") == 1:
            raise RegistryError(f"{ref.familiar}: Docker Image Format v1 and Docker Image manifest version 2, schema 1 "
                                "support has been removed", 400)
        if top.media_type in INDEX_TYPES:
            descriptor = select_manifest(top.body.get("manifests") or [], wanted)
            if descriptor is None:
                raise RegistryError(f"no matching manifest for {wanted} in the manifest list entries", 404, "NO_MATCH")
            image = await session.get_manifest(descriptor["digest"])
            if image.media_type in INDEX_TYPES:
                raise RegistryError(f"{ref.familiar}: nested image indexes are not supported", 400)
        config_digest = (image.body.get("config") or {}).get("digest")
        if not config_digest:
            raise RegistryError(f"invalid manifest for {ref.familiar}: no config", 502)
        if self.store.blobs.exists(config_digest):
            config_raw = self.store.blobs.read(config_digest)
        else:
            config_raw = await session.get_blob(config_digest)
        document = parse_config(config_raw)
        if explicit and top is image and not wanted.matches(document):
            raise RegistryError(f"image with reference {ref.familiar} was found but does not match the specified "
                                f"platform: wanted {wanted}, actual: {document.get('os')}/{document.get('architecture')}", 404)
        return Resolved(session, top, image, config_raw)

    async def _fallback(self, ref: refs.Reference, reason: str, foreign_platform: bool) -> AsyncIterator[ProgressLine]:
        if ref.digest:
            raise Unavailable(f"cannot pull {ref.familiar}: a pull by digest needs the registry, which could not be "
                              f"reached ({reason}); a built-in rootfs cannot stand in for specific content")
        if foreign_platform:
            raise InvalidParameter("the requested platform is not available from a built-in rootfs")
        builtin = await self.images.builtin(ref.familiar)
        if builtin is None:
            raise Unavailable(f"cannot pull {ref.familiar}: the registry {ref.registry_host} could not be reached "
                              f"({reason}), and the active backend has no built-in image")
        return self._pull_builtin(ref, builtin, reason)

    async def _pull_builtin(self, ref: refs.Reference, builtin: BuiltinImage, reason: str) -> AsyncIterator[ProgressLine]:
        yield {"status": f"Pulling from {ref.path}", "id": ref.tag}
        yield {"status": f"the registry {ref.registry_host} could not be reached ({reason}): "
                         f"using the {builtin.description} for {ref.familiar}"}
        layer = await asyncio.to_thread(self.store.add_layer_from_builder, builtin.build)
        history = [{"created": "1970-01-01T00:00:00Z", "created_by": f"sockerless: {builtin.description}"}]

        def create() -> Any:
            return self.store.create_image(builtin.config, [layer.diff_id], history, created="1970-01-01T00:00:00Z",
                                           comment=f"built-in rootfs used for {ref.familiar}", source="builtin")

        existing = self.store.resolve(ref.familiar)
        image = await asyncio.to_thread(create)
        up_to_date = existing is not None and existing.Id == image.Id
        self.store.tag(image, ref.familiar)
        yield {"status": f"Digest: {image.Id}"}
        yield {"status": f"Status: {'Image is up to date' if up_to_date else 'Downloaded newer image'} for {ref.familiar}"}
        self.events.publish("image", "pull", ref.familiar, {"name": ref.familiar_name})

    async def _download(self, ref: refs.Reference, resolved: Resolved,
                        outcome: list[bool] | None = None) -> AsyncIterator[ProgressLine]:
        """The progress of one image; with ``outcome``, whether it was new is appended there
        instead of ending with the ``Status:`` line (an all-tags pull reports once)."""
        tag_or_digest = ref.digest or ref.tag
        yield {"status": f"Pulling from {ref.path}", "id": tag_or_digest}
        document = parse_config(resolved.config_raw)
        diff_ids = list((document.get("rootfs") or {}).get("diff_ids") or [])
        layers = list(resolved.image.body.get("layers") or [])
        if len(diff_ids) != len(layers):
            raise ServerError(f"invalid image {ref.familiar}: {len(layers)} layers in the manifest, "
                              f"{len(diff_ids)} in the config")
        existing = self.store.store.images.get(resolved.image.body["config"]["digest"])
        complete = existing is not None and all(self.store.has_layer(d) for d in diff_ids)
        if not complete:
            try:
                async for line in self._fetch_layers(resolved.session, layers, diff_ids):
                    yield line
            except RegistryError as exc:
                raise _docker_error(ref, exc) from None
            except DigestMismatch as exc:
                raise ServerError(f"pull of {ref.familiar} failed: {exc}") from None
        familiar_name = ref.familiar_name
        tags = [ref.familiar] if ref.tag else []
        before = self.store.resolve(ref.familiar)
        image = await asyncio.to_thread(self.store.add_image_config, resolved.config_raw, tags=tags,
                                        repo_digests=[f"{familiar_name}@{resolved.top.digest}"], source=ref.name)
        yield {"status": f"Digest: {resolved.top.digest}"}
        fresh = before is None or before.Id != image.Id or not complete
        if outcome is None:
            yield {"status": f"Status: {'Downloaded newer image' if fresh else 'Image is up to date'} for {ref.familiar}"}
        else:
            outcome.append(fresh)
        self.events.publish("image", "pull", ref.familiar, {"name": familiar_name})

    async def _fetch_layers(self, session: RepositorySession, layers: list[dict[str, Any]],
                            diff_ids: list[str]) -> AsyncIterator[ProgressLine]:
        queue: asyncio.Queue[ProgressLine | None] = asyncio.Queue()
        todo: list[tuple[dict[str, Any], str]] = []
        seen: set[str] = set()
        for descriptor, diff_id in zip(layers, diff_ids, strict=True):
            layer_id = short_id(descriptor["digest"])
            if descriptor.get("mediaType") in FOREIGN_LAYERS:
                raise ServerError(f"layer {descriptor['digest']} is a foreign layer, which cannot be pulled")
            if self.store.has_layer(diff_id) or diff_id in seen:
                yield layer_status(layer_id, "Already exists")
                continue
            seen.add(diff_id)
            todo.append((descriptor, diff_id))
            yield layer_status(layer_id, "Pulling fs layer")
        for descriptor, _ in todo[CONCURRENT_DOWNLOADS:]:
            yield layer_status(short_id(descriptor["digest"]), "Waiting")
        limiter = asyncio.Semaphore(CONCURRENT_DOWNLOADS)
        downloads = [asyncio.create_task(self._download_blob(session, d, limiter, queue)) for d, _ in todo]
        extractor = asyncio.create_task(self._extract_in_order(todo, downloads, queue))
        try:
            while (line := await queue.get()) is not None:
                yield line
            await extractor
        finally:
            for task in [*downloads, extractor]:
                task.cancel()
            await asyncio.gather(*downloads, extractor, return_exceptions=True)

    async def _download_blob(self, session: RepositorySession, descriptor: dict[str, Any], limiter: asyncio.Semaphore,
                             queue: asyncio.Queue[ProgressLine | None]) -> None:
        digest = descriptor["digest"]
        layer_id = short_id(digest)
        if self.store.blobs.exists(digest):
            queue.put_nowait(layer_status(layer_id, "Download complete"))
            return
        async with limiter:
            for attempt in range(1, DOWNLOAD_ATTEMPTS + 1):
                try:
                    await self._fetch_blob(session, descriptor, queue)
                    break
                except (Unreachable, httpx.TransportError) as exc:
                    if attempt == DOWNLOAD_ATTEMPTS:
                        raise Unreachable(f"download of {digest} failed {attempt} times: {exc}") from None
                    log.info("download of %s failed (%s), retrying", digest, exc)
                    queue.put_nowait(layer_status(layer_id, f"Retrying in {attempt} second{'s' if attempt > 1 else ''}"))
                    await asyncio.sleep(attempt)
        queue.put_nowait(layer_status(layer_id, "Download complete"))

    async def _fetch_blob(self, session: RepositorySession, descriptor: dict[str, Any],
                          queue: asyncio.Queue[ProgressLine | None]) -> None:
        digest = descriptor["digest"]
        layer_id = short_id(digest)
        total = int(descriptor.get("size") or 0)
        response = await session.open_blob(digest)
        writer = self.store.blobs.writer()
        try:
            reported = 0
            async for chunk in response.aiter_raw(256 * 1024):
                writer.write(chunk)
                if writer.size - reported >= REPORT_EVERY:
                    reported = writer.size
                    queue.put_nowait(layer_progress(layer_id, "Downloading", writer.size, total))
            queue.put_nowait(layer_status(layer_id, "Verifying Checksum"))
            await asyncio.to_thread(writer.commit, digest)
        except BaseException:
            writer.abort()
            raise
        finally:
            await response.aclose()

    async def _extract_in_order(self, todo: list[tuple[dict[str, Any], str]], downloads: list[asyncio.Task[None]],
                                queue: asyncio.Queue[ProgressLine | None]) -> None:
        loop = asyncio.get_running_loop()
        try:
            for (descriptor, diff_id), download in zip(todo, downloads, strict=True):
                await download
                digest = descriptor["digest"]
                layer_id = short_id(digest)
                total = self.store.blobs.size(digest)

                def report(count: int, layer_id: str = layer_id, total: int = total) -> None:
                    loop.call_soon_threadsafe(queue.put_nowait, layer_progress(layer_id, "Extracting", count, total))

                await asyncio.to_thread(self.store.add_layer_blob, digest, _layer_media_type(descriptor), diff_id, report)
                queue.put_nowait(layer_status(layer_id, "Pull complete"))
        finally:
            await asyncio.sleep(0)  # let the last progress callbacks land before the end marker
            queue.put_nowait(None)


def _layer_media_type(descriptor: dict[str, Any]) -> str:
    return str(descriptor.get("mediaType") or "")


def _docker_error(ref: refs.Reference, exc: RegistryError) -> DockerError:
    if exc.status == 404:
        if exc.code in ("MANIFEST_UNKNOWN", "NAME_UNKNOWN", ""):
            return NotFound(f"manifest for {ref.familiar} not found: {exc.message.split(' not found: ', 1)[-1]}")
        return NotFound(exc.message)
    if exc.status in (401, 403):
        return Unauthorized(f"pull access denied for {ref.familiar_name}, repository does not exist or may require "
                            f"'docker login': {exc.message}")
    if exc.status == 400:
        return InvalidParameter(exc.message)
    return ServerError(exc.message)


def encode_line(line: ProgressLine) -> bytes:
    """One progress line on the wire."""
    return wire.encode(line) + b"\r\n"

