"""AWS-style service errors, rendered in the wire shape of the protocol that raised them."""

from __future__ import annotations


class AWSError(Exception):
    """A modelled service error: ``code`` is the AWS error type (``ClientException``...)."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
