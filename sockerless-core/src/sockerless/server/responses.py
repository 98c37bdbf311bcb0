"""Responses: JSON bodies encoded with msgspec, Docker's error shape."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ..api import wire


class JSONResponse(Response):
    """A JSON body encoded with msgspec (models, dicts, lists)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return wire.encode(content) + b"\n"


def no_content() -> Response:
    """204."""
    return Response(status_code=204)


def error_body(message: str) -> bytes:
    """``{"message": "..."}``."""
    return wire.encode({"message": message}) + b"\n"
