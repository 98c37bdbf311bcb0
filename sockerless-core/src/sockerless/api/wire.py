"""JSON on the wire, with the Go decoder's manners.

Docker decodes request bodies with Go's ``encoding/json``: ``null`` means "zero value",
unknown fields are ignored, member names match fields case-insensitively (docker-py sends
``detachKeys``), a string is accepted where a list of strings (``strslice``) is expected. :func:`decode` gives msgspec models the same treatment, and reports what
does not fit as Docker does (400, ``invalid JSON: ...``).
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

from .errors import InvalidParameter

T = TypeVar("T")

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder()


def encode(obj: Any) -> bytes:
    """Encode ``obj`` (models, dicts, lists) as compact JSON."""
    return _encoder.encode(obj)


def strip_nulls(value: Any) -> Any:
    """Drop ``null`` members of objects, recursively (Go: null leaves the zero value)."""
    if isinstance(value, dict):
        return {k: strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip_nulls(v) for v in value]
    return value


def fold_names(raw: Any, model: type) -> Any:
    """Rename members of a top-level object to ``model``'s field names, ignoring case, as Go does
    (an exact match wins; a name matching no field is left alone and ignored)."""
    if not isinstance(raw, dict) or not (isinstance(model, type) and issubclass(model, msgspec.Struct)):
        return raw
    fields = {f.encode_name.lower(): f.encode_name for f in msgspec.structs.fields(model)}
    folded: dict[str, Any] = {}
    for key, value in raw.items():
        name = fields.get(key.lower(), key)
        if name != key and name in raw:
            continue  # the exact spelling is present too: it wins
        folded[name] = value
    return folded


def loads(body: bytes) -> Any:
    """Parse JSON; malformed input is a 400 with Docker's wording."""
    if not body.strip():
        raise InvalidParameter("invalid JSON: got EOF while reading request body")
    try:
        return _decoder.decode(body)
    except msgspec.DecodeError as exc:
        raise InvalidParameter(f"invalid JSON: {exc}") from None


def convert(raw: Any, model: type[T], what: str = "request body") -> T:
    """Turn parsed JSON into ``model``, Go style; wrong types are a 400."""
    if raw is None:
        raw = {}
    try:
        return msgspec.convert(fold_names(strip_nulls(raw), model), model, strict=True)
    except msgspec.ValidationError as exc:
        raise InvalidParameter(f"invalid JSON: {what}: {exc}") from None


def decode(body: bytes, model: type[T], *, allow_empty: bool = True) -> T:
    """Parse a request body into ``model``; an empty body gives the model's defaults."""
    if allow_empty and not body.strip():
        return convert({}, model)
    return convert(loads(body), model)


def to_builtins(obj: Any) -> Any:
    """A model as plain dicts and lists (UNSET fields left out)."""
    return msgspec.to_builtins(obj)
