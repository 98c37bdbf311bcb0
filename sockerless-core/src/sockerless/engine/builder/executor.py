"""The classic builder: runs a Dockerfile step by step, one image per step, as dockerd does.

RUN steps are real containers of the active backend (created, started, waited for, their
changes exported as the step's layer); metadata steps create a container that is not
started, as the classic builder does; COPY and ADD write their layer directly. Every step
is looked up in the build cache first.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from ...api.errors import DockerError, InvalidParameter
from ...api.models.containers import ContainerCreateRequest, HealthConfig, HostConfig
from ...api.models.images import ImageConfig, ImageRecord
from ...plugins.backend import Capability
from .. import reference as refs
from ..registry.platforms import Platform
from ..timeutil import parse_duration
from . import copying, fetch
from .cache import BuildCache, step_key
from .context import BuildContext, content_hash
from .dockerfile import Instruction, parse, split_stages
from .imagefs import ImageFS
from .imagestore import BuildImageStore, NewImage
from .stream import BuildStream, OutputSink
from .words import Lexer, key_values, split_raw

if TYPE_CHECKING:
    from ..daemon import Engine

DEFAULT_SHELL = ["/bin/sh", "-c"]
DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
PREDEFINED_ARGS = frozenset({"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
                             "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"})


class BuildFailed(Exception):
    """A step failed: reported in the stream (with a code for a failing RUN)."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class BuildOptions:
    """The query parameters of ``POST /build`` that shape the build."""

    dockerfile: str = "Dockerfile"
    tags: list[str] = field(default_factory=list)
    target: str = ""
    buildargs: dict[str, str | None] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    nocache: bool = False
    remove: bool = True
    forcerm: bool = False
    pull: bool = False
    quiet: bool = False
    platform: str = ""
    host_config: HostConfig = field(default_factory=HostConfig)
    registry_auth: dict[str, Any] = field(default_factory=dict)
    """Credentials by registry domain (``X-Registry-Config``) for the images the build pulls."""


@dataclass
class Stage:
    """The state of one build stage."""

    name: str
    index: int
    image: ImageRecord | None = None
    config: ImageConfig = field(default_factory=ImageConfig)
    args: dict[str, str | None] = field(default_factory=dict)
    """ARGs declared in this stage, with the value in effect (``None``: declared, no value)."""
    platform: str = ""

    @property
    def shell(self) -> list[str]:
        return list(self.config.Shell) if isinstance(self.config.Shell, list) else list(DEFAULT_SHELL)

    def env(self) -> dict[str, str]:
        """ENV of the image under construction."""
        return dict(e.split("=", 1) if "=" in e else (e, "") for e in self.config.Env or [])


class Builder:
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
        container = await self._create_container(stage, [*stage.shell, "#(nop) ", comment], parent)
        self.out.say(f" ---> Running in {container.short_id}\n")
        layer = await self._directory_layer(stage, make_dir) if make_dir else None
        if self.options.remove:
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
        if not stage.config.Env:
            stage.config.Env = [DEFAULT_PATH]
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
                if not self.options.quiet:
                    self.out.send(message)
        except DockerError as exc:
            if self.options.pull and self.images.lookup(ref) is not None:
                raise BuildFailed(exc.message) from None
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
        unsupported = sorted(set(instruction.flags) - {"network"})
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

    async def _do_cmd(self, stage: Stage, instruction: Instruction) -> None:
        cmd = instruction.json if instruction.json is not None else [*stage.shell, instruction.args]

        def change() -> None:
            stage.config.Cmd = list(cmd)
        await self._metadata_step(stage, f"CMD {_go_list(cmd)}", change)

    async def _do_entrypoint(self, stage: Stage, instruction: Instruction) -> None:
        entry = instruction.json if instruction.json is not None else (
            [*stage.shell, instruction.args] if instruction.args.strip() else [])

        def change() -> None:
            stage.config.Entrypoint = list(entry) or None
            stage.config.Cmd = None  # Docker: a new ENTRYPOINT resets the inherited CMD
        await self._metadata_step(stage, f"ENTRYPOINT {_go_list(entry)}", change)

    async def _do_env(self, stage: Stage, instruction: Instruction) -> None:
        pairs = key_values(instruction.args, self._lexer(stage), "ENV")

        def change() -> None:
            env = list(stage.config.Env or [])
            for key, value in pairs:
                env = [e for e in env if e.split("=", 1)[0] != key] + [f"{key}={value}"]
            stage.config.Env = env
        await self._metadata_step(stage, "ENV " + " ".join(f"{k}={v}" for k, v in pairs), change)

    async def _do_label(self, stage: Stage, instruction: Instruction) -> None:
        pairs = key_values(instruction.args, self._lexer(stage), "LABEL")

        def change() -> None:
            labels = dict(stage.config.Labels or {})
            labels.update(pairs)
            stage.config.Labels = labels
        await self._metadata_step(stage, "LABEL " + " ".join(f"{k}={v}" for k, v in pairs), change)

    async def _do_maintainer(self, stage: Stage, instruction: Instruction) -> None:
        author = self._lexer(stage).word(instruction.args.strip())
        await self._metadata_step(stage, f"MAINTAINER {author}", lambda: None)

    async def _do_expose(self, stage: Stage, instruction: Instruction) -> None:
        ports: dict[str, dict[str, Any]] = {}
        for word in self._lexer(stage).words(instruction.args):
            port, _, proto = word.partition("/")
            proto = (proto or "tcp").lower()
            if proto not in ("tcp", "udp", "sctp") or not _is_port(port):
                raise BuildFailed(f"Invalid containerPort: {word}")
            low, _, high = port.partition("-")
            for number in range(int(low), int(high or low) + 1):
                ports[f"{number}/{proto}"] = {}
        if not ports:
            raise BuildFailed("EXPOSE requires at least one argument")

        def change() -> None:
            exposed = dict(stage.config.ExposedPorts) if isinstance(stage.config.ExposedPorts, dict) else {}
            exposed.update(ports)
            stage.config.ExposedPorts = exposed
        shown = " ".join(f"{p}:{{}}" for p in sorted(ports))
        await self._metadata_step(stage, f"EXPOSE map[{shown}]", change)

    async def _do_user(self, stage: Stage, instruction: Instruction) -> None:
        user = self._lexer(stage).word(instruction.args.strip())
        if not user:
            raise BuildFailed("USER requires exactly one argument")

        def change() -> None:
            stage.config.User = user
        await self._metadata_step(stage, f"USER {user}", change)

    async def _do_volume(self, stage: Stage, instruction: Instruction) -> None:
        paths = instruction.json if instruction.json is not None else self._lexer(stage).words(instruction.args)
        if not paths or any(not p.strip() for p in paths):
            raise BuildFailed("VOLUME specified can not be an empty string")

        def change() -> None:
            volumes = dict(stage.config.Volumes or {})
            volumes.update({p: {} for p in paths})
            stage.config.Volumes = volumes
        await self._metadata_step(stage, f"VOLUME [{' '.join(paths)}]", change)

    async def _do_stopsignal(self, stage: Stage, instruction: Instruction) -> None:
        signal = self._lexer(stage).word(instruction.args.strip())
        if not signal:
            raise BuildFailed("STOPSIGNAL requires exactly one argument")

        def change() -> None:
            stage.config.StopSignal = signal
        await self._metadata_step(stage, f"STOPSIGNAL {signal}", change)

    async def _do_shell(self, stage: Stage, instruction: Instruction) -> None:
        if instruction.json is None or not instruction.json:
            raise BuildFailed("SHELL requires the arguments to be in JSON form")
        shell = list(instruction.json)

        def change() -> None:
            stage.config.Shell = shell
        await self._metadata_step(stage, f"SHELL [{' '.join(shell)}]", change)

    async def _do_onbuild(self, stage: Stage, instruction: Instruction) -> None:
        text = instruction.args.strip()
        command = text.split(None, 1)[0].upper() if text else ""
        if command in ("ONBUILD", "FROM", "MAINTAINER"):
            raise BuildFailed(f"{command} isn't allowed as an ONBUILD trigger")
        if not command:
            raise BuildFailed("ONBUILD requires at least one argument")

        def change() -> None:
            stage.config.OnBuild = [*(stage.config.OnBuild or []), text]
        await self._metadata_step(stage, f"ONBUILD {text}", change)

    async def _do_healthcheck(self, stage: Stage, instruction: Instruction) -> None:
        args = instruction.args.strip()
        kind, _, rest = args.partition(" ")
        kind = kind.upper()
        if kind == "NONE":
            if instruction.flags or rest.strip():
                raise BuildFailed("HEALTHCHECK NONE takes no arguments")
            health = HealthConfig(Test=["NONE"])
        elif kind == "CMD":
            rest = rest.strip()
            test = _json_list(rest)
            health = HealthConfig(Test=["CMD", *test] if test is not None else ["CMD-SHELL", rest])
            for flag, value in instruction.flags.items():
                field_name = {"interval": "Interval", "timeout": "Timeout", "start-period": "StartPeriod",
                              "start-interval": "StartInterval", "retries": "Retries"}.get(flag)
                if field_name is None:
                    raise BuildFailed(f"Unknown flag: {flag}")
                try:
                    parsed = int(value) if flag == "retries" else parse_duration(value)
                except ValueError:
                    raise BuildFailed(f"invalid value for --{flag}: {value}") from None
                setattr(health, field_name, parsed)
        else:
            raise BuildFailed(f"Unknown type \"{kind}\" in HEALTHCHECK (try CMD)")

        def change() -> None:
            stage.config.Healthcheck = health
        test_shown = " ".join(f'"{t}"' for t in health.Test or [])
        await self._metadata_step(stage, f"HEALTHCHECK &{{[{test_shown}]}}", change)

    async def _do_workdir(self, stage: Stage, instruction: Instruction) -> None:
        path = self._lexer(stage).word(instruction.args.strip())
        if not path:
            raise BuildFailed("WORKDIR requires exactly one argument")
        if not path.startswith("/"):
            path = os.path.normpath(os.path.join(stage.config.WorkingDir or "/", path))

        def change() -> None:
            stage.config.WorkingDir = path
        fs = ImageFS(self.images.layer_dirs(stage.image) if stage.image else [])
        make_dir = None if stage.image is None or fs.is_dir(path) else path
        await self._metadata_step(stage, f"WORKDIR {path}", change, make_dir=make_dir)

    async def _do_arg(self, stage: Stage, instruction: Instruction) -> None:
        name, value = self._arg_pair(instruction, self._lexer(stage))
        if name in self.options.buildargs:
            value = self.options.buildargs[name]
        elif value is None and name in self.meta_args:
            value = self.meta_args[name]
        stage.args[name] = value
        comment = f"ARG {name}" + (f"={value}" if value is not None and name not in self.options.buildargs else "")
        await self._metadata_step(stage, comment, lambda: None)

    def _arg_pair(self, instruction: Instruction, lexer: Lexer) -> tuple[str, str | None]:
        text = instruction.args.strip()
        if not text or len(split_raw(text, self.escape)) != 1:
            raise BuildFailed("ARG requires exactly one argument")
        if "=" in text:
            name, value = key_values(text, lexer, "ARG")[0]
            return name, value
        return text, None

    async def _do_copy(self, stage: Stage, instruction: Instruction) -> None:
        await self._copy(stage, instruction, "COPY")

    async def _do_add(self, stage: Stage, instruction: Instruction) -> None:
        await self._copy(stage, instruction, "ADD")

    async def _copy(self, stage: Stage, instruction: Instruction, command: str) -> None:
        unknown = sorted(set(instruction.flags) - {"from", "chown", "chmod"} - ({"checksum"} if command == "ADD" else set()))
        if unknown:
            raise BuildFailed(f"Unknown flag: {unknown[0]}")
        lexer = self._lexer(stage)
        words = list(instruction.json) if instruction.json is not None else split_raw(instruction.args, self.escape)
        if instruction.json is None:
            words = [lexer.word(w) for w in words]
        if len(words) < 2 and not instruction.heredocs:
            raise BuildFailed(f"{command} requires at least two arguments, but only one was provided. Destination could not be determined.")
        dest = words[-1]
        sources = words[:-1]
        fs = ImageFS(self.images.layer_dirs(stage.image) if stage.image else [])
        options = copying.CopyOptions(extract_archives=command == "ADD")
        if "chown" in instruction.flags:
            options.uid, options.gid = _chown(lexer.word(instruction.flags["chown"]), fs)
        if "chmod" in instruction.flags:
            try:
                options.chmod = int(instruction.flags["chmod"], 8)
            except ValueError:
                raise BuildFailed(f"invalid chmod parameter: {instruction.flags['chmod']}") from None
        with tempfile.TemporaryDirectory(prefix="sockerless-copy-", dir=self._scratch()) as tmp:
            paths, description = await asyncio.to_thread(self._sources, stage, instruction, sources, command, Path(tmp),
                                                         options.downloaded)
            chown_text = f"--chown={instruction.flags['chown']} " if "chown" in instruction.flags else ""
            created_by = self._created_by_nop(stage, f"{command} {chown_text}{description} in {dest} ")
            parent_id = stage.image.Id if stage.image else "scratch"
            key = step_key(parent_id, created_by, [instruction.flags.get("chmod", ""), instruction.flags.get("chown", "")])
            if await self._use_cache(stage, key):
                return
            writer = copying.LayerWriter(fs, options)
            layer_tar = os.path.join(tmp, "layer.tar")

            def build_layer() -> None:
                for heredoc in instruction.heredocs:
                    content = heredoc.content
                    target = dest if not dest.endswith("/") else dest + heredoc.name
                    target = target if target.startswith("/") else os.path.join(stage.config.WorkingDir or "/", target)
                    writer.ensure_dir(os.path.dirname(target))
                    writer.add_bytes(content.encode(), target)
                if paths:
                    copying.place(writer, paths, dest, stage.config.WorkingDir, command)
                writer.write(layer_tar)
            try:
                await asyncio.to_thread(build_layer)
            except OSError as exc:
                raise BuildFailed(f"{command} failed: {exc}") from None
            layer, _ = await self.images.add_layer(layer_tar)
        if stage.image is None and layer is None:
            raise BuildFailed(f"{command} produced nothing to build an image from")
        self._commit(stage, key, created_by, layer)

    def _sources(self, stage: Stage, instruction: Instruction, sources: list[str], command: str,
                 tmp: Path, downloaded: set[Path]) -> tuple[list[tuple[Path, str]], str]:
        """Host paths of the sources and how history describes them (``file:<hash>``)."""
        if instruction.heredocs:
            sources = [s for s in sources if not s.startswith("<<")]
        paths: list[tuple[Path, str]] = []
        origin = instruction.flags.get("from")
        if origin is not None:
            fs = ImageFS(self.images.layer_dirs(self._from_image(origin)))
            for index, source in enumerate(sources):
                try:
                    paths.append((fs.export(source, tmp / f"from-{index}"), os.path.basename(source.rstrip("/")) or "."))
                except FileNotFoundError:
                    raise BuildFailed(f"{command} failed: stat {source}: file does not exist") from None
        else:
            for index, source in enumerate(sources):
                if fetch.is_url(source):
                    if command == "COPY":
                        raise BuildFailed("source can't be a URL for COPY")
                    paths.append(fetch.download(source, tmp / f"url-{index}"))
                    downloaded.add(paths[-1][0])
                    continue
                paths += self.context.resolve(source)
        if not paths and not instruction.heredocs:
            raise BuildFailed(f"{command} failed: no source files were specified")
        hosts = [p for p, _ in paths]
        if instruction.heredocs:
            bodies = hashlib.sha256("\0".join(h.content for h in instruction.heredocs).encode()).hexdigest()
            description = f"heredoc:{bodies}" + (f"+{content_hash(hosts)}" if paths else "")
        elif len(paths) == 1:
            kind = "dir" if hosts[0].is_dir() and not hosts[0].is_symlink() else "file"
            description = f"{kind}:{content_hash(hosts)}"
        else:
            description = f"multi:{content_hash(hosts)}"
        return paths, description

    def _from_image(self, origin: str) -> ImageRecord:
        for stage in self.stages[:-1]:
            if (stage.name and stage.name == origin.lower()) or origin == str(stage.index):
                if stage.image is None:
                    raise BuildFailed(f"stage {origin} has no image to copy from")
                return stage.image
        if origin.isdigit():
            raise BuildFailed(f"invalid from flag value {origin}: refers to current build stage or a later one")
        image = self.images.lookup(origin)
        if image is None:
            raise BuildFailed(f"invalid from flag value {origin}: no such image {origin} "
                              "(pull it first: COPY --from only uses images that are present)")
        return image

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


def _go_list(values: list[str]) -> str:
    """A string slice as Go's ``%q`` prints it: ``["a" "b"]``."""
    return "[" + " ".join(json.dumps(v) for v in values) + "]"


def _json_list(text: str) -> list[str] | None:
    if not text.startswith("["):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, list) and all(isinstance(v, str) for v in value) else None


def _is_port(text: str) -> bool:
    low, _, high = text.partition("-")
    return low.isdigit() and (not high or high.isdigit()) and 0 < int(low) <= 65535


def _chown(spec: str, fs: ImageFS) -> tuple[int, int]:
    user, _, group = spec.partition(":")
    group = group or user

    def lookup(name: str, path: str, what: str) -> int:
        if name.isdigit():
            return int(name)
        text = fs.read_text(path) or ""
        for line in text.splitlines():
            fields = line.split(":")
            if len(fields) > 2 and fields[0] == name and fields[2].isdigit():
                return int(fields[2])
        raise BuildFailed(f"unable to convert uid/gid chown string to host mapping: can't find {what} for {name}")

    return lookup(user, "/etc/passwd", "uid"), lookup(group, "/etc/group", "gid")

