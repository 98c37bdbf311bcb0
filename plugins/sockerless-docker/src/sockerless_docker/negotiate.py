"""Which API version to speak to the engine for the version a client asked for.

Sockerless serves 1.24-1.45 whatever the engine speaks: a request made at a version the
engine does not know is forwarded at the engine's newest version (Debian's dockerd 20.10
and Podman 4 stop at 1.41), and :mod:`.adapt` bridges the differences that matter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sockerless.api import versions

Version = tuple[int, int]


@dataclass(frozen=True)
class EngineVersion:
    """What the engine said about itself in ``GET /version``."""

    api: Version
    min_api: Version
    details: dict[str, Any] = field(default_factory=dict)
    """The whole ``/version`` reply (``Version``, ``Components``, ...)."""

    @classmethod
    def from_reply(cls, reply: dict[str, Any]) -> EngineVersion:
        """Parse a ``/version`` body; an engine that names no API version is assumed at 1.24."""
        api = _parse(reply.get("ApiVersion"), versions.MIN)
        return cls(api=api, min_api=_parse(reply.get("MinAPIVersion"), api), details=reply)

    @property
    def is_podman(self) -> bool:
        """True for Podman's Docker-compatible service."""
        return any(str(c.get("Name", "")).lower() == "podman engine" for c in self.details.get("Components") or [])

    def forward(self, requested: Version | None) -> Version:
        """The version to put in the forwarded path: the client's, capped at the engine's newest
        (unversioned requests mean the newest Sockerless serves, so they are capped too)."""
        wanted = requested if requested is not None else versions.MAX
        return min(wanted, self.api)


def _parse(value: object, default: Version) -> Version:
    try:
        return versions.parse(str(value)) if value else default
    except ValueError:
        return default


def text(version: Version) -> str:
    """``(1, 41)`` -> ``"1.41"``."""
    return f"{version[0]}.{version[1]}"
