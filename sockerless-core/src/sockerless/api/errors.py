"""Docker-style API errors: an HTTP status and a ``{"message": ...}`` body.

The engine raises these; the server turns them into responses. Messages follow the
wording of the Docker daemon, because clients and users match on them.
"""

from __future__ import annotations


class DockerError(Exception):
    """Base class: an error reported to the client with ``status``."""

    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidParameter(DockerError):
    """400: the request is malformed or a parameter is invalid."""

    status = 400


class Unauthorized(DockerError):
    """401: missing or wrong credentials."""

    status = 401


class Forbidden(DockerError):
    """403: the operation is not allowed."""

    status = 403


class NotFound(DockerError):
    """404: the object does not exist."""

    status = 404


class Conflict(DockerError):
    """409: the operation conflicts with the object's state."""

    status = 409


class NotModified(DockerError):
    """304: nothing to do (already started, already stopped)."""

    status = 304


class NotImplementedByBackend(DockerError):
    """501: the active backend cannot do this operation."""

    status = 501

    def __init__(self, backend: str, operation: str, detail: str = "") -> None:
        message = f'the "{backend}" backend does not support {operation}'
        if detail:
            message += f": {detail}"
        super().__init__(message)
        self.backend = backend
        self.operation = operation


class ServerError(DockerError):
    """500: something failed on our side."""

    status = 500


class Unavailable(DockerError):
    """503: a dependency (registry, cloud API) could not be reached."""

    status = 503


def no_such_container(ref: str) -> NotFound:
    """The 404 for an unknown container reference."""
    return NotFound(f"No such container: {ref}")


def no_such_image(ref: str) -> NotFound:
    """The 404 for an unknown image reference."""
    return NotFound(f"No such image: {ref}")


def no_such_exec(ref: str) -> NotFound:
    """The 404 for an unknown exec instance."""
    return NotFound(f"No such exec instance: {ref}")


def no_such_network(ref: str) -> NotFound:
    """The 404 for an unknown network."""
    return NotFound(f"network {ref} not found")


def no_such_volume(ref: str) -> NotFound:
    """The 404 for an unknown volume."""
    return NotFound(f"get {ref}: no such volume")
