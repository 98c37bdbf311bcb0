"""Entry point of the ``sockerless-memory`` distribution: registers the ``memory`` backend."""

from __future__ import annotations

from sockerless.plugins.backend import BackendSpec
from sockerless.plugins.hookspecs import hookimpl


@hookimpl
def sockerless_register_backends() -> list[BackendSpec]:
    """The memory backend (the default)."""
    from .backend import MemoryBackend

    return [BackendSpec("memory", MemoryBackend, "containers in an in-process sandbox with its own shell and utilities")]
