"""``HostConfig.LogConfig``: the log drivers the core's log store can be (``json-file``, ``local``,
``none``), their options, and what they mean for storage and ``docker logs``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..api.errors import DockerError, InvalidParameter
from .records import ContainerRecord

COMMON_OPTS = {"max-file", "max-size", "compress", "mode", "max-buffer-size"}
DRIVER_OPTS = {
    "json-file": COMMON_OPTS | {"labels", "labels-regex", "env", "env-regex", "tag"},
    "local": COMMON_OPTS,
    "none": set(),
}
LOCAL_MAX_SIZE = 20 * 1024 * 1024
LOCAL_MAX_FILES = 5
_UNITS = {"": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "m": 1 << 20, "mb": 1 << 20, "g": 1 << 30, "gb": 1 << 30,
          "t": 1 << 40, "tb": 1 << 40}


def parse_size(text: str) -> int:
    """Docker's ``RAMInBytes``: ``10``, ``10k``, ``1.5m``, ``2g`` (binary units, case-insensitive)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", text)
    if not match or match.group(2).lower() not in _UNITS:
        raise ValueError(f"invalid size: '{text}'")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


@dataclass(frozen=True)
class LogSettings:
    """How a container's output is stored."""

    stored: bool = True
    max_size: int = -1
    """Bytes per log file before it rotates (-1: unlimited)."""
    max_files: int = 1


def validate(driver: str, options: dict[str, str]) -> None:
    """Refuse, at create, a driver or option the core cannot honour (as Docker refuses unknown ones)."""
    if driver not in DRIVER_OPTS:
        raise InvalidParameter(f"the {driver!r} log driver is not available in sockerless; "
                               "use json-file, local or none")
    for key in options:
        if key not in DRIVER_OPTS[driver]:
            raise InvalidParameter(f"unknown log opt '{key}' for {driver} log driver")
    settings_of(driver, options)


def settings_of(driver: str, options: dict[str, str]) -> LogSettings:
    """The storage settings of a driver and its options."""
    if driver == "none":
        return LogSettings(stored=False)
    default_size, default_files = (LOCAL_MAX_SIZE, LOCAL_MAX_FILES) if driver == "local" else (-1, 1)
    try:
        max_size = parse_size(options["max-size"]) if options.get("max-size") else default_size
    except ValueError as exc:
        raise InvalidParameter(f"failed to initialize logging driver: invalid value for max-size: "
                               f"{options['max-size']}: {exc}") from None
    text = options.get("max-file", "")
    if text and not (text.isdigit() and int(text) >= 1):
        raise InvalidParameter(f"failed to initialize logging driver: invalid value for max-file: {text}")
    max_files = int(text) if text else default_files
    return LogSettings(stored=True, max_size=max_size if max_size > 0 else -1, max_files=max_files)


def settings(record: ContainerRecord) -> LogSettings:
    """The storage settings of a container."""
    log = record.host_config.LogConfig
    return settings_of(log.Type or "json-file", dict(log.Config or {}))


class LogsNotReadable(DockerError):
    """Docker's answer to ``docker logs`` with a driver that keeps nothing."""

    status = 501


def require_readable(record: ContainerRecord) -> None:
    """``docker logs`` of a container whose driver keeps nothing is refused, as Docker does."""
    if not settings(record).stored:
        raise LogsNotReadable("configured logging driver does not support reading")


def details(record: ContainerRecord) -> bytes:
    """The ``details=1`` prefix: the ``labels``/``env`` attributes the log options select, sorted by key."""
    options = dict(record.host_config.LogConfig.Config or {})
    attrs: dict[str, str] = {}
    labels = record.config.Labels or {}
    env = dict(e.split("=", 1) for e in record.config.Env or [] if "=" in e)
    for source, values in (("labels", labels), ("env", env)):
        keys = {k.strip() for k in options.get(source, "").split(",") if k.strip()}
        pattern = options.get(f"{source}-regex")
        for key, value in values.items():
            if key in keys or (pattern and re.search(pattern, key)):
                attrs[key] = value
    return ",".join(f"{k}={attrs[k]}" for k in sorted(attrs)).encode() + b" "
