"""The instructions that change only the image config (and WORKDIR's directory).

Each handler works out the new config and hands a ``change`` to ``_metadata_step``, which
the builder implements (cache, intermediate container, commit) and ``docker commit
--change`` overrides (config only).
"""

from __future__ import annotations

import json
import os
from typing import Any

from ...api.models.containers import HealthConfig
from ..timeutil import parse_duration
from .dockerfile import Instruction
from .imagefs import ImageFS
from .state import BuildFailed, Stage
from .words import Lexer, key_values, split_raw


class MetadataSteps:
    """CMD, ENTRYPOINT, ENV, LABEL, MAINTAINER, EXPOSE, USER, VOLUME, STOPSIGNAL, SHELL, ONBUILD,
    HEALTHCHECK, WORKDIR and ARG (mixed into the builder)."""

    escape: str
    options: Any
    meta_args: dict[str, str | None]
    images: Any

    def _lexer(self, stage: Stage) -> Lexer:
        raise NotImplementedError

    async def _metadata_step(self, stage: Stage, comment: str, change: Any, make_dir: str | None = None) -> None:
        raise NotImplementedError

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
