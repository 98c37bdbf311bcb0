"""Backslash escapes as ``echo -e``, ``printf`` and ``printf %b`` interpret them."""

from __future__ import annotations

_SIMPLE = {
    ord("a"): b"\a", ord("b"): b"\b", ord("e"): b"\x1b", ord("f"): b"\f", ord("n"): b"\n",
    ord("r"): b"\r", ord("t"): b"\t", ord("v"): b"\v", ord("\\"): b"\\",
}
_OCTAL = b"01234567"
_HEX = b"0123456789abcdefABCDEF"


def expand(data: bytes, *, zero_prefix: bool) -> tuple[bytes, bool]:
    """Interpret escapes in ``data``; returns (bytes, stopped) where ``stopped`` means ``\\c`` was met.

    With ``zero_prefix`` (``echo -e`` and ``%b``) both ``\\0NNN`` and ``\\NNN`` are octal;
    otherwise (a ``printf`` format) ``\\NNN`` takes up to three octal digits, a leading 0
    being one of them. Unknown escapes are kept with their backslash.
    """
    out = bytearray()
    i, n = 0, len(data)
    while i < n:
        c = data[i]
        if c != 0x5C or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        e = data[i + 1]
        i += 2
        if e in _SIMPLE:
            out += _SIMPLE[e]
        elif e == ord("c"):
            return bytes(out), True
        elif e in _OCTAL:
            start = i - 1
            limit = 3
            if zero_prefix and e == ord("0"):
                start, limit = i, 3
            j = start
            while j < n and j - start < limit and data[j] in _OCTAL:
                j += 1
            out.append(int(data[start:j] or b"0", 8) & 0xFF)
            i = j
        elif e == ord("x") and i < n and data[i] in _HEX:
            j = i
            while j < n and j - i < 2 and data[j] in _HEX:
                j += 1
            out.append(int(data[i:j], 16))
            i = j
        else:
            out += data[i - 2:i]
    return bytes(out), False
