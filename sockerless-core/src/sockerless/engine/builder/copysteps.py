"""COPY and ADD steps: sources from the context, another stage, an image or a URL."""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

from ...api.models.images import ImageRecord
from . import copying, fetch
from .cache import step_key
from .context import content_hash, glob
from .dockerfile import Instruction
from .imagefs import ImageFS
from .state import BuildFailed, Stage
from .words import Lexer, split_raw


class CopySteps:
    """COPY and ADD (mixed into the builder)."""

    escape: str
    images: Any
    context: Any
    options: Any
    stages: list[Stage]

    async def _base_image(self, ref: str, platform: str) -> ImageRecord:
        raise NotImplementedError

    def _lexer(self, stage: Stage) -> Lexer:
        raise NotImplementedError

    def _scratch(self) -> str:
        raise NotImplementedError

    def _created_by_nop(self, stage: Stage, comment: str) -> str:
        raise NotImplementedError

    async def _use_cache(self, stage: Stage, key: str) -> bool:
        raise NotImplementedError

    def _commit(self, stage: Stage, key: str | None, created_by: str, layer: str | None) -> ImageRecord:
        raise NotImplementedError

    async def _do_copy(self, stage: Stage, instruction: Instruction) -> None:
        await self._copy(stage, instruction, "COPY")

    async def _do_add(self, stage: Stage, instruction: Instruction) -> None:
        await self._copy(stage, instruction, "ADD")

    async def _copy(self, stage: Stage, instruction: Instruction, command: str) -> None:
        unknown = sorted(set(instruction.flags) - {"from", "chown", "chmod"})
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
        origin = instruction.flags.get("from")
        source_image = await self._from_image(lexer.word(origin), stage) if origin is not None else None
        with tempfile.TemporaryDirectory(prefix="sockerless-copy-", dir=self._scratch()) as tmp:
            paths, description = await asyncio.to_thread(self._sources, instruction, sources, command, Path(tmp),
                                                         options.downloaded, source_image)
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

    def _sources(self, instruction: Instruction, sources: list[str], command: str, tmp: Path,
                 downloaded: set[Path], source_image: ImageRecord | None) -> tuple[list[tuple[Path, str]], str]:
        """Host paths of the sources and how history describes them (``file:<hash>``)."""
        if instruction.heredocs:
            sources = [s for s in sources if not s.startswith("<<")]
        paths: list[tuple[Path, str]] = []
        if source_image is not None:
            fs = ImageFS(self.images.layer_dirs(source_image))
            for index, source in enumerate(sources):
                paths += _from_filesystem(fs, source, tmp / f"from-{index}", command)
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

    async def _from_image(self, origin: str, current: Stage) -> ImageRecord:
        """The image ``--from`` names: an earlier stage (by name or index), else an image (pulled if missing)."""
        for stage in self.stages[:-1]:
            if (stage.name and stage.name == origin.lower()) or origin == str(stage.index):
                if stage.image is None:
                    raise BuildFailed(f"stage {origin} has no image to copy from")
                return stage.image
        if origin.isdigit():
            raise BuildFailed(f"invalid from flag value {origin}: refers to current build stage or a later one")
        return await self._base_image(origin, current.platform or self.options.platform)


def _from_filesystem(fs: ImageFS, source: str, tmp: Path, command: str) -> list[tuple[Path, str]]:
    """``source`` (a path or a glob) taken out of another image's filesystem into ``tmp``."""
    parts = [p for p in source.split("/") if p]
    literal = next((i for i, part in enumerate(parts) if any(c in part for c in "*?[")), len(parts))
    prefix, pattern = "/" + "/".join(parts[:literal]), "/".join(parts[literal:])
    try:
        copy = fs.export(prefix, tmp)
    except FileNotFoundError:
        raise BuildFailed(f"{command} failed: stat {source}: file does not exist") from None
    if not pattern:
        return [(copy, os.path.basename(source.rstrip("/")) or ".")]
    matches = sorted(glob(copy, pattern))
    if not matches:
        raise BuildFailed(f"{command} failed: no source files were specified (nothing matches {source})")
    return [(match, match.name) for match in matches]


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
