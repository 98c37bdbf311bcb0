"""Image wire models."""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET, UnsetType

from .containers import HealthConfig


class ImageConfig(msgspec.Struct, kw_only=True):
    """``Config`` of an image (the OCI image config, in Docker's naming)."""

    Hostname: str = ""
    Domainname: str = ""
    User: str = ""
    AttachStdin: bool = False
    AttachStdout: bool = False
    AttachStderr: bool = False
    ExposedPorts: dict[str, dict[str, Any]] | UnsetType = UNSET
    Tty: bool = False
    OpenStdin: bool = False
    StdinOnce: bool = False
    Env: list[str] | None = None
    Cmd: list[str] | None = None
    Healthcheck: HealthConfig | UnsetType = UNSET
    ArgsEscaped: bool | UnsetType = UNSET
    Image: str = ""
    Volumes: dict[str, dict[str, Any]] | None = None
    WorkingDir: str = ""
    Entrypoint: list[str] | None = None
    OnBuild: list[str] | None = None
    Labels: dict[str, str] | None = None
    StopSignal: str | UnsetType = UNSET
    Shell: list[str] | UnsetType = UNSET


class RootFS(msgspec.Struct, kw_only=True):
    """``RootFS`` of an image: its layer diff IDs."""

    Type: str = "layers"
    Layers: list[str] = msgspec.field(default_factory=list)


class ImageRecord(msgspec.Struct, kw_only=True):
    """An image in the store (persisted), from which inspect and list are rendered."""

    Id: str
    RepoTags: list[str] = msgspec.field(default_factory=list)
    RepoDigests: list[str] = msgspec.field(default_factory=list)
    Parent: str = ""
    Comment: str = ""
    Created: str = ""
    Author: str = ""
    Config: ImageConfig = msgspec.field(default_factory=ImageConfig)
    Architecture: str = "amd64"
    Variant: str = ""
    Os: str = "linux"
    Size: int = 0
    Layers: list[str] = msgspec.field(default_factory=list)
    """Layer directories (relative to the layer store), lowest first."""
    Source: str = ""
    """Where the image came from (``builtin``, a registry, a load or a build)."""
    LastTagTime: str = ""
