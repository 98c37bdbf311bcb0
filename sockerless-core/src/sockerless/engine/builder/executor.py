"""The classic builder: runs a Dockerfile step by step, one image per step, as dockerd does.

RUN steps are real containers of the active backend (created, started, waited for, their
changes exported as the step's layer), refused on a backend without filesystem changes;
metadata steps create a container that is not started, as the classic builder does (only on
a backend that can run build containers); COPY and ADD write their layer directly. Every step
is looked up in the build cache first.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from typing import TYPE_CHECKING, Any

import msgspec

from ...api.errors import DockerError, InvalidParameter
from ...api.models.containers import ContainerCreateRequest
from ...api.models.images import ImageConfig, ImageRecord
from ...plugins.backend import Capability
from .. import reference as refs
from ..registry.platforms import Platform
from . import copying
from .cache import BuildCache, step_key
from .context import BuildContext
from .copysteps import CopySteps
from .dockerfile import Instruction, parse, split_stages
from .imagefs import ImageFS
from .imagestore import BuildImageStore, NewImage
from .metadata import MetadataSteps
from .state import DEFAULT_PATH, PREDEFINED_ARGS, BuildFailed, BuildOptions, Stage
from .stream import BuildStream, OutputSink
from .words import Lexer, split_raw

if TYPE_CHECKING:
    from ..daemon import Engine

FLAGGED = frozenset({"FROM", "RUN", "COPY", "ADD", "HEALTHCHECK"})
"""Instructions that take ``--flags`` (each checks its own); any flag elsewhere is an error, as with dockerd."""




class Builder(MetadataSteps, CopySteps):
    """One ``docker build``."""

    def __init__(self, engine: Engine, images: BuildImageStore, cache: BuildCache, context: BuildContext,
                 options: BuildOptions, stream: BuildStream) -> None:
        self.engine = engine
        self.images = images
        self.cache = cache
        self.context = context
        self.options = options
        self.out = stream
        self.stages: list[Stage] = []
        self.meta_args: dict[str, str | None] = {}
        self.used_args: set[str] = set()
        self.step = 0
        self.total = 0
        self.escape = "\\"
        self._kept_containers: list[str] = []

    # -- driving ---------------------------------------------------------------------------
    async def run(self) -> ImageRecord:
        """Build every stage up to the target; returns the final image."""
        dockerfile = parse(self.context.dockerfile)
        self.escape = dockerfile.escape
        meta, stages = split_stages(dockerfile)
        names = [_stage_name(s[0], self.escape) for s in stages]
        if self.options.target:
            if self.options.target not in names:
                raise InvalidParameter(f"failed to reach build target {self.options.target} in Dockerfile")
            stages = stages[:names.index(self.options.target) + 1]
        if self.options.labels:  # dockerd adds the labels parameter as a last LABEL step
            text = "LABEL " + " ".join(f"{_quoted(k)}={_quoted(v)}" for k, v in sorted(self.options.labels.items()))
            stages[-1] = [*stages[-1], parse(text).instructions[0]]
        self.total = len(meta) + sum(len(s) for s in stages)
        for instruction in meta:
            self._begin(instruction)
            name, value = self._arg_pair(instruction, Lexer(self._meta_values(), self.escape))
            self.meta_args[name] = self.options.buildargs.get(name, value)
        for index, instructions in enumerate(stages):
            stage = Stage(name=names[index], index=index)
            self.stages.append(stage)
            for instruction in instructions:
                self._begin(instruction)
                await self._dispatch(stage, instruction)
        final = self.stages[-1]
        if final.image is None:
            raise BuildFailed("No image was generated. Is your Dockerfile empty?")
        self._warn_unused_args()
        return final.image

    def _meta_values(self) -> dict[str, str]:
        return {k: v for k, v in self.meta_args.items() if v is not None}

    def _begin(self, instruction: Instruction) -> None:
        self.step += 1
        self.out.say(f"Step {self.step}/{self.total} : {instruction.original}")
        self.out.say("\n")

    async def _dispatch(self, stage: Stage, instruction: Instruction) -> None:
        if instruction.flags and instruction.command not in FLAGGED:
            raise BuildFailed(f"Unknown flag: {sorted(instruction.flags)[0]}")
        handler = getattr(self, "_do_" + instruction.command.lower())
        await handler(stage, instruction)

    def _lexer(self, stage: Stage) -> Lexer:
        values = {k: v for k, v in stage.args.items() if v is not None}
        values.update(stage.env())
        return Lexer(values, self.escape)

    # -- committing -----------------------------------------------------------------------------
    def _created_by_nop(self, stage: Stage, comment: str) -> str:
        return " ".join([*stage.shell, "#(nop) ", comment])

    async def _metadata_step(self, stage: Stage, comment: str, change: Any, make_dir: str | None = None) -> None:
        """A step that changes the config: cached, else a container made (not run) and committed.

        ``make_dir``: a directory the step creates (WORKDIR of a path the image lacks): its layer.
        """
        created_by = self._created_by_nop(stage, comment)
        if stage.image is None:  # FROM scratch: nothing to make a container from yet
            change()
            self._commit(stage, None, created_by, None)
            return
        parent = stage.image
        key = step_key(parent.Id, created_by)
        if await self._use_cache(stage, key):
            return
        change()
        container = None
        if self.engine.backend.info.supports(Capability.CHANGES):
            # as dockerd's classic builder, on a backend that runs build containers; a cloud backend's
            # would be a task definition or a function made and deleted for nothing
            container = await self._create_container(stage, [*stage.shell, "#(nop) ", comment], parent)
            self.out.say(f" ---> Running in {container.short_id}\n")
        layer = await self._directory_layer(stage, make_dir) if make_dir else None
        if container is not None and self.options.remove:
            self.out.say(f"Removing intermediate container {container.short_id}\n")
            await self._remove_container(container.id)
        self._commit(stage, key, created_by, layer)

    async def _directory_layer(self, stage: Stage, path: str) -> str | None:
        writer = copying.LayerWriter(ImageFS(self.images.layer_dirs(stage.image) if stage.image else []),
                                     copying.CopyOptions())
        with tempfile.TemporaryDirectory(prefix="sockerless-workdir-", dir=self._scratch()) as tmp:
            tar = os.path.join(tmp, "layer.tar")

            def build() -> None:
                writer.ensure_dir(path)
                writer.write(tar)
            await asyncio.to_thread(build)
            return (await self.images.add_layer(tar))[0]

    async def _use_cache(self, stage: Stage, key: str) -> bool:
        if self.options.nocache or stage.image is None:
            return False
        cached = self.cache.get(key, stage.image.Id)
        if cached is None:
            return False
        image = self.images.get(cached)
        assert image is not None
        stage.image = image
        stage.config = msgspec.structs.replace(image.Config)
        self.out.say(" ---> Using cache\n")
        self.out.say(f" ---> {_short(image.Id)}\n")
        return True

    def _commit(self, stage: Stage, key: str | None, created_by: str, layer: str | None) -> ImageRecord:
        config = msgspec.structs.replace(stage.config, Image=stage.image.Id if stage.image else "")
        image = self.images.create_image(NewImage(config=config, parent=stage.image, layer=layer, created_by=created_by))
        if key is not None:
            self.cache.put(key, image.Id)
        stage.image = image
        stage.config = msgspec.structs.replace(image.Config)
        self.out.say(f" ---> {_short(image.Id)}\n")
        return image

    # -- containers --------------------------------------------------------------------------------
    async def _create_container(self, stage: Stage, cmd: list[str], image: ImageRecord,
                                env: list[str] | None = None) -> Any:
        config = stage.config
        host = msgspec.structs.replace(self.options.host_config)
        request = ContainerCreateRequest(
            Image=image.Id, Cmd=cmd, Entrypoint=[], Env=list(config.Env or []) + list(env or []),
            WorkingDir=config.WorkingDir, User=config.User, Labels=dict(config.Labels or {}),
            HostConfig=host,
        )
        record, _ = await self.engine.create_container(request, None)
        return record

    async def _remove_container(self, container_id: str) -> None:
        record = self.engine.store.containers.get(container_id)
        if record is not None:
            await self.engine.lifecycle.remove(record, force=True, remove_volumes=True)

    # -- instructions -------------------------------------------------------------------------------
    async def _do_from(self, stage: Stage, instruction: Instruction) -> None:
        lexer = Lexer(self._meta_values(), self.escape)
        words = split_raw(instruction.args, self.escape)
        if not words:
            raise BuildFailed("FROM requires either one or three arguments")
        if len(words) not in (1, 3) or (len(words) == 3 and words[1].lower() != "as"):
            raise BuildFailed("FROM requires either one or three arguments")
        ref = lexer.word(words[0])
        unknown = sorted(set(instruction.flags) - {"platform"})
        if unknown:
            raise BuildFailed(f"Unknown flag: {unknown[0]}")
        if "platform" in instruction.flags:
            stage.platform = lexer.word(instruction.flags["platform"])
        earlier = next((s for s in self.stages[:-1] if s.name and s.name == ref.lower()), None)
        if earlier is not None:
            base = earlier.image
        elif ref == "scratch":
            base = None
        else:
            base = await self._base_image(ref, stage.platform or self.options.platform)
        if base is not None:
            stage.image = base
            stage.config = msgspec.structs.replace(base.Config)
            self.out.say(f" ---> {_short(base.Id)}\n")
        else:
            stage.config = ImageConfig(Env=[DEFAULT_PATH])
        if not any(entry.startswith("PATH=") for entry in stage.config.Env or []):
            stage.config.Env = [*(stage.config.Env or []), DEFAULT_PATH]
        triggers = list(stage.config.OnBuild or [])
        if triggers:
            stage.config.OnBuild = None
            word = "trigger" if len(triggers) == 1 else "triggers"
            self.out.say(f"# Executing {len(triggers)} build {word}\n")
            for text in triggers:
                trigger = parse(text).instructions[0]
                if trigger.command in ("ONBUILD", "FROM", "MAINTAINER"):
                    raise BuildFailed(f"{trigger.command} isn't allowed as an ONBUILD trigger")
                await self._dispatch(stage, trigger)

    async def _base_image(self, ref: str, platform: str) -> ImageRecord:
        image = None if self.options.pull else self.images.lookup(ref)
        if image is not None and platform:
            try:
                wanted = Platform.parse(platform)
            except DockerError as exc:
                raise BuildFailed(f"failed to parse platform {platform}: {exc.message}") from None
            if (image.Os or "linux", image.Architecture) != (wanted.os, wanted.architecture):
                image = None  # present, but for another platform: pull the one asked for
        if image is not None:
            return image
        try:
            progress = await self.images.pull(ref, platform, self._auth_for(ref))
            async for message in progress:
                if message.get("error"):  # a failure reported inside the pull's own stream
                    raise BuildFailed(str(message["error"]))
                if not self.options.quiet:
                    self.out.send(message)
        except DockerError as exc:
            raise BuildFailed(exc.message) from None
        image = self.images.lookup(ref)
        if image is None:
            raise BuildFailed(f"pull access denied for {ref}, repository does not exist or may require 'docker login'")
        return image

    def _auth_for(self, ref: str) -> Any:
        try:
            domain = refs.parse(ref).domain
        except DockerError:
            return None
        return self.options.registry_auth.get(domain)

    async def _do_run(self, stage: Stage, instruction: Instruction) -> None:
        if stage.image is None:
            raise BuildFailed("Please provide a source image with `from` prior to run")
        unsupported = sorted(instruction.flags)
        if unsupported:
            raise BuildFailed(f"the --{unsupported[0]} option requires BuildKit; "
                              "the classic builder (which sockerless implements) has no such option for RUN")
        if instruction.json is not None:
            argv = list(instruction.json)
        elif instruction.heredocs:
            if re.fullmatch(r"<<-?(['\"]?)\w+\1", instruction.args.strip()):
                argv = [*stage.shell, instruction.heredocs[0].content]  # the heredoc is the script
            else:  # the shell reads the heredocs itself
                bodies = "".join(f"\n{h.content}{h.name}" for h in instruction.heredocs)
                argv = [*stage.shell, instruction.args + bodies]
        else:
            argv = [*stage.shell, instruction.args]
        args_env = [f"{k}={v}" for k, v in sorted(stage.args.items()) if v is not None]
        self.used_args |= {k for k in stage.args}
        cmd_for_history = ([f"|{len(args_env)}", *args_env] if args_env else []) + argv
        # the proxy ARGs are there without a declaration, and stay out of the history and the cache key
        args_env += [f"{k}={v}" for k, v in sorted(self.options.buildargs.items())
                     if k in PREDEFINED_ARGS and k not in stage.args and v is not None]
        created_by = " ".join(cmd_for_history)
        key = step_key(stage.image.Id, created_by, stage.config.Env or [])
        if await self._use_cache(stage, key):
            return
        self.engine.backend.require(Capability.CHANGES, "RUN steps of docker build (container filesystem changes)")
        env_names = set(stage.env())
        extra_env = [e for e in args_env if e.split("=", 1)[0] not in env_names]
        container = await self._create_container(stage, argv, stage.image, extra_env)
        self.out.say(f" ---> Running in {container.short_id}\n")
        try:
            code = await self._run_container(container)
        except asyncio.CancelledError:  # the client went away: the step's container goes too
            await asyncio.shield(self._remove_container(container.id))
            raise
        except BuildFailed:  # it could not even start
            if self.options.forcerm:
                await self._remove_container(container.id)
            raise
        if code != 0:
            if self.options.forcerm:
                await self._remove_container(container.id)
            raise BuildFailed(f"The command '{' '.join(argv)}' returned a non-zero code: {code}", code)
        layer = await self._export_layer(container)
        if self.options.remove:
            self.out.say(f"Removing intermediate container {container.short_id}\n")
            await self._remove_container(container.id)
        self._commit(stage, key, created_by, layer)

    async def _run_container(self, container: Any) -> int:
        lifecycle = self.engine.lifecycle
        runtime = lifecycle.runtime(container)
        sink = OutputSink(self.out)
        runtime.streams.attach(sink)
        try:
            waiter = lifecycle.wait_future(container, "next-exit")
            try:
                await lifecycle.start(container)
            except DockerError as exc:
                waiter.cancel()
                raise BuildFailed(exc.message) from None
            result = await waiter
        finally:
            runtime.streams.detach(sink)
        return result.code

    async def _export_layer(self, container: Any) -> str | None:
        with tempfile.TemporaryDirectory(prefix="sockerless-layer-", dir=self._scratch()) as tmp:
            path = os.path.join(tmp, "layer.tar")
            await self.engine.backend.call_required("sockerless_container_export_changes", "container filesystem export",
                                                    container=container, destination=path)
            return (await self.images.add_layer(path))[0]

    def _scratch(self) -> str:
        directory = self.engine.data_root / "build" / "tmp"
        directory.mkdir(parents=True, exist_ok=True)
        return str(directory)

    def _warn_unused_args(self) -> None:
        declared = set(self.meta_args) | {k for s in self.stages for k in s.args}
        unused = sorted(k for k in self.options.buildargs if k not in declared and k not in PREDEFINED_ARGS)
        if unused:
            self.out.say(f"[Warning] One or more build-args [{' '.join(unused)}] were not consumed\n")


def _stage_name(instruction: Instruction, escape: str) -> str:
    words = split_raw(instruction.args, escape)
    return words[2].lower() if len(words) == 3 and words[1].lower() == "as" else ""


def _quoted(text: str) -> str:
    """``text`` as a double-quoted Dockerfile word."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$") + '"'


def _short(image_id: str) -> str:
    return image_id.removeprefix("sha256:")[:12]

