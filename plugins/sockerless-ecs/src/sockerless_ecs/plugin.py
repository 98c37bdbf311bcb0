"""Entry point of the ``sockerless-ecs`` distribution: registers the ``ecs`` backend."""

from __future__ import annotations

from sockerless.plugins.backend import BackendSpec
from sockerless.plugins.hookspecs import hookimpl


@hookimpl
def sockerless_register_backends() -> list[BackendSpec]:
    """The ECS Fargate backend."""
    from .backend import EcsBackend

    return [BackendSpec("ecs", EcsBackend, "containers as AWS ECS Fargate tasks (the agent injected for exec and cp)")]
