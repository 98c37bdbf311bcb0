"""Object ids: 64 hex characters, as Docker makes them."""

from __future__ import annotations

import secrets


def new_id() -> str:
    """A fresh random 256-bit id in hex; never all digits (Docker avoids those too)."""
    while True:
        value = secrets.token_hex(32)
        if not value[:12].isdigit():
            return value


def short(object_id: str) -> str:
    """The 12-character form."""
    return object_id.removeprefix("sha256:")[:12]
