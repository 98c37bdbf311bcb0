"""Platforms (``os/arch[/variant]``) and picking one manifest out of an index."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from ...api.errors import InvalidParameter

_ARCH_ALIASES = {"x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64", "armhf": "arm", "armel": "arm", "i386": "386"}
_DEFAULT_VARIANTS = {"arm64": "v8", "arm": "v7"}


@dataclass(frozen=True)
class Platform:
    """A normalised platform, as containerd's ``platforms`` package normalises it."""

    os: str
    architecture: str
    variant: str = ""

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)

    @classmethod
    def parse(cls, text: str) -> Platform:
        """``linux``, ``linux/amd64``, ``linux/arm64/v8``, ``amd64`` (os defaults to linux)."""
        parts = [p.strip().lower() for p in text.split("/")]
        if not all(parts) or len(parts) > 3:
            raise InvalidParameter(f'"{text}": unknown operating system or architecture: invalid argument')
        if len(parts) == 1:
            if parts[0] in ("linux", "windows", "darwin", "freebsd"):
                return cls(parts[0], cls.host().architecture)
            return cls("linux", _arch(parts[0]))
        return cls(parts[0], _arch(parts[1]), parts[2] if len(parts) == 3 else "")

    @classmethod
    def host(cls) -> Platform:
        """This machine's platform (always ``linux``)."""
        return cls("linux", _arch(os.uname().machine))

    def matches_host(self) -> bool:
        """True when this is the host's os and architecture."""
        host = Platform.host()
        return self.os == host.os and self.architecture == host.architecture

    def matches(self, descriptor_platform: dict[str, Any]) -> bool:
        """True when an index entry's ``platform`` (or an image config) is this platform."""
        other_os = str(descriptor_platform.get("os") or "")
        other_arch = _arch(str(descriptor_platform.get("architecture") or ""))
        if other_os != self.os or other_arch != self.architecture:
            return False
        if not self.variant:
            return True
        other_variant = str(descriptor_platform.get("variant") or _DEFAULT_VARIANTS.get(other_arch, ""))
        return other_variant == (self.variant or _DEFAULT_VARIANTS.get(self.architecture, ""))


def _arch(name: str) -> str:
    return _ARCH_ALIASES.get(name, name)


def select_manifest(manifests: list[dict[str, Any]], wanted: Platform) -> dict[str, Any] | None:
    """The index entry for ``wanted``: exact variant first, then the default variant, skipping attestations."""
    candidates = [m for m in manifests if isinstance(m, dict) and isinstance(m.get("platform"), dict)
                  and m["platform"].get("os") != "unknown" and wanted.matches(m["platform"])]
    if not candidates:
        return None
    if not wanted.variant:
        default = _DEFAULT_VARIANTS.get(wanted.architecture, "")
        for entry in candidates:
            if (entry["platform"].get("variant") or default) == default:
                return entry
    return candidates[0]
