"""Quoting of values for output (``set -x`` traces, ``set``, ``export -p``) in busybox's style."""

from __future__ import annotations

import string

_SAFE = frozenset(string.ascii_letters + string.digits + "+,-./:@]^_")


def single_quote(text: str) -> str:
    """Always quoted: ``'text'`` with embedded quotes as ``'"'"'``."""
    out = ["'"]
    i, n = 0, len(text)
    while i < n:
        j = text.find("'", i)
        if j < 0:
            out.append(text[i:])
            break
        out.append(text[i:j])
        k = j
        while k < n and text[k] == "'":
            k += 1
        out.append("'\"" + text[j:k] + '"')
        i = k
        if i < n:
            out.append("'")
        else:
            return "".join(out)
    out.append("'")
    return "".join(out)


def trace_quote(text: str) -> str:
    """Quoted only when needed (``set -x``); the empty string stays empty, as busybox prints it."""
    if not text or all(c in _SAFE for c in text):
        return text
    return single_quote(text)
