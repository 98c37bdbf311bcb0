"""Query parameters and request bodies, read the way Docker reads them."""

from __future__ import annotations

from typing import TypeVar

from starlette.requests import Request

from ..api import wire
from ..api.errors import DockerError, InvalidParameter

T = TypeVar("T")

MAX_JSON_BODY = 16 * 1024 * 1024


class PayloadTooLarge(DockerError):
    """413: the request body exceeds what the endpoint accepts."""

    status = 413


def qbool(request: Request, name: str, default: bool = False) -> bool:
    """Docker's ``BoolValue``: absent is ``default``; ``""``, 0, no, false, none are false."""
    if name not in request.query_params:
        return default
    value = request.query_params[name].strip().lower()
    return value not in ("", "0", "no", "false", "none")


def qint(request: Request, name: str, default: int | None = None) -> int | None:
    """An integer parameter; 400 when it is not one."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise InvalidParameter(f"invalid value for {name}: {raw!r} is not an integer") from None


def qstr(request: Request, name: str, default: str = "") -> str:
    """A string parameter."""
    return request.query_params.get(name, default)


async def read_body(request: Request, limit: int = MAX_JSON_BODY) -> bytes:
    """The request body, refusing more than ``limit`` bytes without buffering them."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit:
        raise PayloadTooLarge(f"request body of {length} bytes exceeds the limit of {limit} bytes")
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"request body exceeds the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def check_json_content_type(request: Request, body: bytes) -> None:
    """Docker accepts a JSON body with no Content-Type or ``application/json`` only."""
    if not body:
        return
    ctype = request.headers.get("content-type", "")
    if ctype and ctype.split(";")[0].strip().lower() != "application/json":
        raise InvalidParameter(f"unsupported Content-Type header ({ctype}): must be 'application/json'")


async def json_body(request: Request, model: type[T], *, transform=None) -> T:
    """Read, check and decode a JSON body into ``model``."""
    body = await read_body(request)
    check_json_content_type(request, body)
    if not body.strip():
        return wire.convert({}, model)
    raw = wire.loads(body)
    if transform is not None:
        raw = transform(raw)
    return wire.convert(raw, model)
