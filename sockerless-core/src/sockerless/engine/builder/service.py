"""Build, commit and container changes as the engine offers them (no HTTP here)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from ...api.errors import DockerError, InvalidParameter, ServerError
from ...api.models.containers import ContainerConfig
from ...api.models.images import ImageConfig, ImageRecord
from ...plugins.backend import Capability
from ..records import ContainerRecord
from ..store import Table
from . import context as contexts
from .cache import BuildCache, CacheEntry
from .dockerfile import parse
from .executor import Builder
from .imagestore import BuildImageStore, NewImage
from .state import BuildFailed, BuildOptions, Stage
from .stream import BuildStream

if TYPE_CHECKING:
    from ..daemon import Engine

log = logging.getLogger(__name__)
COMMIT_CHANGES = frozenset({"CMD", "ENTRYPOINT", "ENV", "EXPOSE", "LABEL", "ONBUILD", "USER", "VOLUME", "WORKDIR",
                            "STOPSIGNAL", "HEALTHCHECK", "SHELL"})


class BuildService:
    """``docker build``, ``docker commit`` and ``docker diff``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.images = BuildImageStore(engine)
        self.cache = BuildCache(Table(engine.store.db, "buildcache", CacheEntry, lambda e: e.key), self.images)
        self.scratch = engine.data_root / "build" / "tmp"
        shutil.rmtree(self.scratch, ignore_errors=True)  # what builds a crash interrupted left behind

    # -- build -----------------------------------------------------------------------------------
    async def build(self, body: AsyncIterator[bytes], options: BuildOptions) -> AsyncIterator[bytes]:
        """Run a build; returns the message stream once the first step began.

        Failures before that (an unreadable context, a Dockerfile that does not parse)
        raise, so the client gets a plain HTTP error as dockerd gives it.
        """
        for tag in options.tags:
            _check_tag(tag)
        self.scratch.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix="build-", dir=self.scratch))
        try:
            archive = work / "context.tar"
            with open(archive, "wb") as handle:
                pending = bytearray()
                async for chunk in body:  # written in batches off the event loop: contexts can be large
                    pending += chunk
                    if len(pending) >= 1 << 20:
                        await asyncio.to_thread(handle.write, bytes(pending))
                        pending.clear()
                handle.write(pending)
            if archive.stat().st_size == 0:
                raise InvalidParameter("the build context is empty: send a tar of the context as the request body")
            (work / "context").mkdir()
            context = await asyncio.to_thread(contexts.unpack, str(archive), work / "context", options.dockerfile)
            archive.unlink()
            parse(context.dockerfile)  # a syntax error is an HTTP error, before any step
        except BaseException:
            contexts.discard(work)
            raise
        stream = BuildStream(quiet=options.quiet)
        builder = Builder(self.engine, self.images, self.cache, context, options, stream)
        task = asyncio.get_running_loop().create_task(self._drive(builder, stream, options, work))
        first = await stream.queue.get()
        if first is None:
            await task  # ended before any message: its failure is the HTTP answer
        return self._relay(first, stream, task)

    async def _relay(self, first: bytes | None, stream: BuildStream, task: asyncio.Task) -> AsyncIterator[bytes]:
        try:
            item = first
            while item is not None:
                yield item
                item = await stream.queue.get()
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task

    async def _drive(self, builder: Builder, stream: BuildStream, options: BuildOptions, work: Path) -> None:
        try:
            image = await builder.run()
            short = image.Id.removeprefix("sha256:")[:12]
            if options.quiet:
                stream.send({"stream": image.Id + "\n"})
            else:
                stream.send({"aux": {"ID": image.Id}})
                stream.say(f"Successfully built {short}\n")
            for tag in options.tags:
                familiar = self.images.tag(image, tag)
                stream.say(f"Successfully tagged {familiar}\n")
        except BuildFailed as exc:
            if builder.step == 0:
                raise InvalidParameter(exc.message) from None
            stream.error(exc.message, exc.code)
        except DockerError as exc:
            if builder.step == 0:
                raise
            stream.error(exc.message)
        except Exception as exc:  # the stream has begun: the failure goes into it
            if builder.step == 0:
                raise ServerError(f"build failed: {type(exc).__name__}: {exc}") from exc
            stream.error(f"build failed: {type(exc).__name__}: {exc}")
        finally:
            stream.close()
            await asyncio.to_thread(contexts.discard, work)

    def prune_cache(self) -> dict[str, Any]:
        """``POST /build/prune``: forget every cached step (the images themselves stay until pruned)."""
        forgotten = self.cache.prune()
        return {"CachesDeleted": forgotten or None, "SpaceReclaimed": 0}

    # -- changes and commit ----------------------------------------------------------------------
    async def changes(self, record: ContainerRecord) -> list[dict[str, Any]] | None:
        """``GET /containers/{id}/changes``: ``null`` when nothing changed, as Docker answers."""
        self.engine.backend.require(Capability.CHANGES, "container filesystem changes (docker diff)")
        found = await self.engine.backend.call_required("sockerless_container_changes", "container filesystem changes",
                                                        container=record)
        return [{"Path": path, "Kind": kind} for path, kind in found] or None

    async def commit(self, record: ContainerRecord, *, repo: str, tag: str, comment: str, author: str,
                     pause: bool, changes: list[str], config: ContainerConfig | None) -> ImageRecord:
        """``POST /commit``: the container's changes as a new layer over its image."""
        backend = self.engine.backend
        backend.require(Capability.CHANGES, "commit (container filesystem changes)")
        parent = self.images.get(record.image_id)
        if parent is None:
            raise InvalidParameter(f"the image of container {record.short_id} is gone; it cannot be committed")
        image_config = _commit_config(record.config, config)
        image_config = await self._apply_changes(image_config, changes, parent)
        paused_here = False
        if pause and record.state.Running and not record.state.Paused:
            if backend.info.supports(Capability.PAUSE):
                await self.engine.lifecycle.pause(record)
                paused_here = True
            else:
                log.warning("commit of running container %s: the %s backend cannot pause it, so its files may "
                            "change while they are exported", record.short_id, backend.name)
        try:
            self.scratch.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(prefix="commit-", dir=self.scratch) as tmp:
                path = os.path.join(tmp, "layer.tar")
                await backend.call_required("sockerless_container_export_changes", "container filesystem export",
                                            container=record, destination=path)
                layer, _ = await self.images.add_layer(path)
        finally:
            if paused_here:
                await self.engine.lifecycle.unpause(record)
        image = self.images.create_image(NewImage(
            config=image_config, parent=parent, layer=layer, comment=comment, author=author,
            created_by=" ".join([record.path, *record.args])))
        if repo:
            self.images.tag(image, f"{repo}:{tag}" if tag else repo)
        self.engine.events.publish("container", "commit", record.id, {"comment": comment, "imageID": image.Id,
                                                                       "imageRef": repo})
        return image

    async def _apply_changes(self, config: ImageConfig, changes: list[str], parent: ImageRecord) -> ImageConfig:
        lines = [line for change in changes for line in change.split("\n") if line.strip()]
        if not lines:
            return config
        dockerfile = parse("\n".join(lines))
        for instruction in dockerfile.instructions:
            if instruction.command not in COMMIT_CHANGES:
                raise InvalidParameter(f"{instruction.command.lower()} is not a valid change command")
        editor = _ConfigEditor(self.engine, self.images, self.cache)
        stage = Stage(name="", index=0, image=parent, config=config)
        try:
            for instruction in dockerfile.instructions:
                await editor.dispatch_change(stage, instruction)
        except BuildFailed as exc:
            raise InvalidParameter(exc.message) from None
        return stage.config


class _ConfigEditor(Builder):
    """Applies Dockerfile instructions to a config only (``docker commit --change``)."""

    def __init__(self, engine: Engine, images: BuildImageStore, cache: BuildCache) -> None:
        super().__init__(engine, images, cache, None, BuildOptions(), BuildStream(quiet=True))  # type: ignore[arg-type]

    async def dispatch_change(self, stage: Stage, instruction: Any) -> None:
        await self._dispatch(stage, instruction)

    async def _metadata_step(self, stage: Stage, comment: str, change: Any, make_dir: str | None = None) -> None:
        change()  # a commit's config only: WORKDIR creates nothing here, as with dockerd


def _commit_config(container: ContainerConfig, override: ContainerConfig | None) -> ImageConfig:
    """The container's config (minus what belongs to the container only), the request's on top."""
    base = {f: getattr(container, f) for f in ImageConfig.__struct_fields__}
    if override is not None:
        for name in ImageConfig.__struct_fields__:
            value = getattr(override, name)
            if value not in (None, "", False, msgspec.UNSET) and value != [] and value != {}:
                base[name] = value
    base["Hostname"] = base["Domainname"] = ""
    base["Image"] = ""
    return ImageConfig(**base)


def _check_tag(tag: str) -> None:
    from .. import reference as refs
    try:
        parsed = refs.parse(tag)
    except DockerError:
        raise InvalidParameter(f"invalid reference format: {tag}") from None
    if parsed.digest:
        raise InvalidParameter(f"invalid reference format: {tag}: a tag cannot be a digest")
