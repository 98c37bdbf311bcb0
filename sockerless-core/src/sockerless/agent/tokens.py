"""Per-container agent tokens: made here, compared in constant time, never logged."""

from __future__ import annotations

import hmac
import secrets


def new_token() -> str:
    """A fresh random token (256 bits, URL-safe text)."""
    return secrets.token_urlsafe(32)


def tokens_match(presented: str, expected: str) -> bool:
    """Constant-time comparison; an empty expected token never matches."""
    if not expected:
        return False
    return hmac.compare_digest(presented.encode(), expected.encode())
