"""The state of a build: its options, each stage's progress, and how a step fails."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...api.models.containers import HostConfig
from ...api.models.images import ImageConfig, ImageRecord

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
