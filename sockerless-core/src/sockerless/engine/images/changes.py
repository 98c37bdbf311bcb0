"""Dockerfile instructions applied to an image config: ``docker import -c`` / ``docker commit -c``.

Accepted as Docker accepts them there: ``CMD``, ``ENTRYPOINT``, ``ENV``, ``EXPOSE``,
``HEALTHCHECK``, ``LABEL``, ``ONBUILD``, ``STOPSIGNAL``, ``USER``, ``VOLUME``, ``WORKDIR``.
Arguments use the Dockerfile forms: JSON arrays (exec form) or shell form, ``KEY=VALUE``
pairs (quotes allowed) or the legacy ``KEY VALUE``.
"""

from __future__ import annotations

import json
import shlex

import msgspec

from ...api.errors import InvalidParameter
from ...api.models.containers import HealthConfig
from ...api.models.images import ImageConfig
from ..timeutil import parse_duration

ALLOWED = ("CMD", "ENTRYPOINT", "ENV", "EXPOSE", "HEALTHCHECK", "LABEL", "ONBUILD", "STOPSIGNAL", "USER", "VOLUME",
           "WORKDIR")
SHELL = ["/bin/sh", "-c"]


def apply_changes(config: ImageConfig, changes: list[str]) -> ImageConfig:
    """A copy of ``config`` with each instruction of ``changes`` applied in order; 400 on a bad one."""
    result = msgspec.structs.replace(config)
    for change in changes:
        text = change.strip()
        if not text:
            continue
        keyword, _, args = text.partition(" ")
        keyword = keyword.upper()
        args = args.strip()
        if keyword not in ALLOWED:
            raise InvalidParameter(f"{keyword} is not a valid change command")
        _APPLY[keyword](result, args)
    return result


def _json_list(args: str) -> list[str] | None:
    if not args.startswith("["):
        return None
    try:
        value = json.loads(args)
    except ValueError:
        return None
    return value if isinstance(value, list) and all(isinstance(v, str) for v in value) else None


def _command(args: str) -> list[str]:
    exec_form = _json_list(args)
    return exec_form if exec_form is not None else [*SHELL, args]


def _pairs(args: str, keyword: str) -> dict[str, str]:
    words = shlex.split(args, posix=True)
    if not words:
        raise InvalidParameter(f"{keyword} requires at least one argument")
    if "=" not in words[0]:  # legacy form: KEY VALUE...
        key, _, value = args.partition(" ")
        return {key: value.strip()}
    pairs = {}
    for word in words:
        key, sep, value = word.partition("=")
        if not sep or not key:
            raise InvalidParameter(f"{keyword} names must be KEY=VALUE, got {word!r}")
        pairs[key] = value
    return pairs


def _cmd(config: ImageConfig, args: str) -> None:
    config.Cmd = _command(args)


def _entrypoint(config: ImageConfig, args: str) -> None:
    config.Entrypoint = _command(args)


def _env(config: ImageConfig, args: str) -> None:
    env = list(config.Env or [])
    for key, value in _pairs(args, "ENV").items():
        env = [e for e in env if e.split("=", 1)[0] != key] + [f"{key}={value}"]
    config.Env = env


def _expose(config: ImageConfig, args: str) -> None:
    ports = dict(config.ExposedPorts) if isinstance(config.ExposedPorts, dict) else {}
    for port in args.split():
        ports[port if "/" in port else f"{port}/tcp"] = {}
    config.ExposedPorts = ports


def _label(config: ImageConfig, args: str) -> None:
    labels = dict(config.Labels or {})
    labels.update(_pairs(args, "LABEL"))
    config.Labels = labels


def _onbuild(config: ImageConfig, args: str) -> None:
    config.OnBuild = [*(config.OnBuild or []), args]


def _stopsignal(config: ImageConfig, args: str) -> None:
    config.StopSignal = args


def _user(config: ImageConfig, args: str) -> None:
    config.User = args


def _volume(config: ImageConfig, args: str) -> None:
    volumes = dict(config.Volumes or {})
    paths = _json_list(args) or args.split()
    for path in paths:
        volumes[path] = {}
    config.Volumes = volumes


def _workdir(config: ImageConfig, args: str) -> None:
    if args.startswith("/") or not config.WorkingDir:
        config.WorkingDir = args if args.startswith("/") else "/" + args
    else:
        config.WorkingDir = config.WorkingDir.rstrip("/") + "/" + args


def _healthcheck(config: ImageConfig, args: str) -> None:
    words = args.split()
    if words and words[0].upper() == "NONE":
        config.Healthcheck = HealthConfig(Test=["NONE"])
        return
    options: dict[str, int] = {}
    while words and words[0].startswith("--"):
        flag, _, value = words.pop(0)[2:].partition("=")
        field = {"interval": "Interval", "timeout": "Timeout", "start-period": "StartPeriod",
                 "start-interval": "StartInterval", "retries": "Retries"}.get(flag)
        if field is None:
            raise InvalidParameter(f"unknown flag: --{flag}")
        options[field] = int(value) if field == "Retries" else parse_duration(value)
    if not words or words[0].upper() != "CMD":
        raise InvalidParameter("HEALTHCHECK requires CMD or NONE")
    rest = args[args.upper().index("CMD") + 3:].strip()
    exec_form = _json_list(rest)
    test = ["CMD", *exec_form] if exec_form is not None else ["CMD-SHELL", rest]
    config.Healthcheck = HealthConfig(Test=test, **options)


_APPLY = {"CMD": _cmd, "ENTRYPOINT": _entrypoint, "ENV": _env, "EXPOSE": _expose, "HEALTHCHECK": _healthcheck,
          "LABEL": _label, "ONBUILD": _onbuild, "STOPSIGNAL": _stopsignal, "USER": _user, "VOLUME": _volume,
          "WORKDIR": _workdir}
