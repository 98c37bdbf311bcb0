"""Docker Engine API versions served by Sockerless."""

from __future__ import annotations

import re

MIN_API_VERSION = "1.24"
MAX_API_VERSION = "1.45"
DEFAULT_API_VERSION = MAX_API_VERSION

_VERSION_PREFIX = re.compile(r"^/v([0-9.]+)(/.*)$")

ApiVersion = tuple[int, int]


def parse(version: str) -> ApiVersion:
    """``"1.41"`` -> ``(1, 41)``; raises ``ValueError`` for anything else."""
    major, _, minor = version.partition(".")
    if not major.isdigit() or (minor and not minor.isdigit()):
        raise ValueError(version)
    return int(major), int(minor or 0)


MIN = parse(MIN_API_VERSION)
MAX = parse(MAX_API_VERSION)


def split_path(path: str) -> tuple[str | None, str]:
    """Split ``/v1.41/containers/json`` into ``("1.41", "/containers/json")``.

    Paths without a version prefix come back as ``(None, path)``. A prefix such as
    ``/vabc/`` is not a version prefix (Docker answers it with 404).
    """
    match = _VERSION_PREFIX.match(path)
    if match is None:
        return None, path
    return match.group(1), match.group(2)


def check(version: str) -> str | None:
    """Docker's rejection message for an unsupported requested version, else ``None``."""
    try:
        wanted = _compare_key(version)
    except ValueError:
        return f"client version {version} is too old. Minimum supported API version is {MIN_API_VERSION}, please upgrade your client to a newer version"
    if wanted > _compare_key(MAX_API_VERSION):
        return f"client version {version} is too new. Maximum supported API version is {MAX_API_VERSION}"
    if wanted < _compare_key(MIN_API_VERSION):
        return f"client version {version} is too old. Minimum supported API version is {MIN_API_VERSION}, please upgrade your client to a newer version"
    return None


def _compare_key(version: str) -> tuple[int, ...]:
    # Docker compares dotted versions part by part, so 1.41.1 is newer than 1.41
    parts = version.split(".")
    if not all(p.isdigit() for p in parts):
        raise ValueError(version)
    return tuple(int(p) for p in parts)


def at_least(version: ApiVersion, minimum: str) -> bool:
    """True when the negotiated ``version`` is ``minimum`` or newer."""
    return version >= parse(minimum)
