"""Exec wire models."""

from __future__ import annotations

import msgspec
from msgspec import UNSET, UnsetType


class ExecCreateRequest(msgspec.Struct, kw_only=True):
    """Body of ``POST /containers/{id}/exec``."""

    AttachStdin: bool = False
    AttachStdout: bool = False
    AttachStderr: bool = False
    ConsoleSize: list[int] | None = None
    DetachKeys: str = ""
    Tty: bool = False
    Env: list[str] | None = None
    Cmd: list[str] | None = None
    Privileged: bool = False
    User: str = ""
    WorkingDir: str = ""


class ExecStartRequest(msgspec.Struct, kw_only=True):
    """Body of ``POST /exec/{id}/start``."""

    Detach: bool = False
    Tty: bool = False
    ConsoleSize: list[int] | None = None


class ProcessConfig(msgspec.Struct, kw_only=True):
    """``ProcessConfig`` of exec inspect (lower-case names, as Docker has them)."""

    arguments: list[str] = msgspec.field(default_factory=list)
    entrypoint: str = ""
    privileged: bool = False
    tty: bool = False
    user: str | UnsetType = UNSET
