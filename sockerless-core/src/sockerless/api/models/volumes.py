"""Volume wire models."""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET, UnsetType


class VolumeCreateRequest(msgspec.Struct, kw_only=True):
    """Body of ``POST /volumes/create``."""

    Name: str = ""
    Driver: str = ""
    DriverOpts: dict[str, str] | None = None
    Labels: dict[str, str] | None = None
    ClusterVolumeSpec: dict[str, Any] | UnsetType = UNSET


class UsageData(msgspec.Struct, kw_only=True):
    """Disk usage of a volume (``-1`` when not computed)."""

    Size: int = -1
    RefCount: int = -1


class Volume(msgspec.Struct, kw_only=True):
    """A volume as ``GET /volumes/{name}`` shows it."""

    CreatedAt: str = ""
    Driver: str = "local"
    Labels: dict[str, str] | None = None
    Mountpoint: str = ""
    Name: str = ""
    Options: dict[str, str] | None = None
    Scope: str = "local"
    Status: dict[str, Any] | UnsetType = UNSET
    UsageData: UsageData | UnsetType = UNSET
