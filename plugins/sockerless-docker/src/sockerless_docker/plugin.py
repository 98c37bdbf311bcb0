"""Entry point of the ``sockerless-docker`` distribution: registers the ``docker`` backend."""

from __future__ import annotations

from sockerless.plugins.backend import BackendSpec
from sockerless.plugins.hookspecs import hookimpl


@hookimpl
def sockerless_register_backends() -> list[BackendSpec]:
    """The passthrough backend."""
    from .backend import DockerBackend

    return [BackendSpec("docker", DockerBackend, "passthrough to a real Docker engine or Podman's Docker API")]
