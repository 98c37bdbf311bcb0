"""The plugin: registers the ``lambda`` backend (imports boto3 only when the backend is chosen)."""

from __future__ import annotations

from typing import Any

from sockerless.plugins.backend import BackendSpec
from sockerless.plugins.hookspecs import hookimpl


def _factory(context: Any) -> Any:
    from .backend import LambdaBackend

    return LambdaBackend(context)


@hookimpl
def sockerless_register_backends() -> list[BackendSpec]:
    return [BackendSpec("lambda", _factory, "AWS Lambda: each container is a container-image function run by the agent")]
