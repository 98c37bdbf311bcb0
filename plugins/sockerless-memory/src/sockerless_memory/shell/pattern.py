"""Shell pattern matching (``case``, ``[[ == ]]``, ``${x#pat}``, globbing) via cached regexes.

Patterns arrive with quoted characters escaped by a backslash (see :func:`escape`), so
``"*"`` in a pattern position matches a literal star.
"""

from __future__ import annotations

import re

_CLASSES = {
    "alpha": "a-zA-Z",
    "digit": "0-9",
    "alnum": "a-zA-Z0-9",
    "upper": "A-Z",
    "lower": "a-z",
    "space": " \\t\\n\\r\\f\\v",
    "blank": " \\t",
    "punct": re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
    "print": " -~",
    "graph": "!-~",
    "cntrl": "\\x00-\\x1f\\x7f",
    "xdigit": "0-9A-Fa-f",
    "word": "a-zA-Z0-9_",
}
_SPECIAL = frozenset("*?[\\")
_cache: dict[str, re.Pattern[str]] = {}
_search_cache: dict[str, re.Pattern[str]] = {}


def escape(text: str) -> str:
    """Make ``text`` match itself literally inside a pattern."""
    if not any(c in _SPECIAL or c == "]" for c in text):
        return text
    return "".join("\\" + c if c in _SPECIAL or c == "]" else c for c in text)


def has_magic(pattern: str) -> bool:
    """True when the pattern contains an unescaped ``*``, ``?`` or bracket expression."""
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c == "*" or c == "?":
            return True
        if c == "[" and _bracket_end(pattern, i) > 0:
            return True
        i += 1
    return False


def unescape(pattern: str) -> str:
    """Remove the backslash escapes of a pattern (the literal text it stands for)."""
    if "\\" not in pattern:
        return pattern
    out, i, n = [], 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            out.append(pattern[i + 1])
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _bracket_end(pat: str, i: int) -> int:
    """Index just past the ``]`` closing the bracket expression at ``i``, or -1."""
    j = i + 1
    n = len(pat)
    if j < n and pat[j] in "!^":
        j += 1
    if j < n and pat[j] == "]":
        j += 1
    while j < n:
        c = pat[j]
        if c == "\\":
            j += 2
            continue
        if c == "[" and j + 1 < n and pat[j + 1] == ":":
            end = pat.find(":]", j + 2)
            if end >= 0:
                j = end + 2
                continue
        if c == "]":
            return j + 1
        j += 1
    return -1


def translate(pat: str) -> str:
    """The Python regex text for a shell pattern."""
    out: list[str] = []
    i, n = 0, len(pat)
    while i < n:
        c = pat[i]
        if c == "\\":
            if i + 1 < n:
                out.append(re.escape(pat[i + 1]))
                i += 2
            else:
                out.append("\\\\")
                i += 1
        elif c == "*":
            out.append(".*")
            i += 1
            while i < n and pat[i] == "*":
                i += 1
        elif c == "?":
            out.append(".")
            i += 1
        elif c == "[":
            end = _bracket_end(pat, i)
            if end < 0:
                out.append("\\[")
                i += 1
            else:
                out.append(_bracket(pat[i + 1:end - 1]))
                i = end
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)


def _bracket(body: str) -> str:
    negate = False
    if body and body[0] in "!^":
        negate = True
        body = body[1:]
    items: list[str] = []
    i, n = 0, len(body)
    while i < n:
        c = body[i]
        if c == "[" and i + 1 < n and body[i + 1] == ":":
            end = body.find(":]", i + 2)
            if end >= 0:
                items.append(_CLASSES.get(body[i + 2:end], ""))
                i = end + 2
                continue
        if c == "\\" and i + 1 < n:
            c = body[i + 1]
            i += 1
        i += 1
        if i + 1 < n and body[i] == "-" and body[i + 1] != "]":
            hi = body[i + 1]
            if hi == "\\" and i + 2 < n:
                hi = body[i + 2]
                i += 1
            i += 2
            if ord(hi) >= ord(c):
                items.append(_set_char(c) + "-" + _set_char(hi))
            continue
        items.append(_set_char(c))
    if not items:
        return "(?!)" if not negate else "."
    return "[" + ("^" if negate else "") + "".join(items) + "]"


def _set_char(c: str) -> str:
    return "\\" + c if c in "\\]^-[" else c


def compile_pattern(pat: str) -> re.Pattern[str]:
    """A regex that matches exactly the strings the whole pattern matches."""
    rx = _cache.get(pat)
    if rx is None:
        rx = re.compile("(?s:" + translate(pat) + r")\Z")
        if len(_cache) > 2048:
            _cache.clear()
        _cache[pat] = rx
    return rx


def compile_search(pat: str) -> re.Pattern[str]:
    """A regex for the pattern without the end anchor (``match`` at a position)."""
    rx = _search_cache.get(pat)
    if rx is None:
        rx = re.compile("(?s:" + translate(pat) + ")")
        if len(_search_cache) > 2048:
            _search_cache.clear()
        _search_cache[pat] = rx
    return rx


def match(pat: str, text: str) -> bool:
    """True when ``text`` matches the whole pattern."""
    return compile_pattern(pat).match(text) is not None


def remove_prefix(value: str, pat: str, longest: bool) -> str:
    """``${x#pat}`` / ``${x##pat}``."""
    rx = compile_pattern(pat)
    rng = range(len(value), -1, -1) if longest else range(len(value) + 1)
    for i in rng:
        if rx.match(value, 0, i):
            return value[i:]
    return value


def remove_suffix(value: str, pat: str, longest: bool) -> str:
    """``${x%pat}`` / ``${x%%pat}``."""
    rx = compile_pattern(pat)
    n = len(value)
    rng = range(n + 1) if longest else range(n, -1, -1)
    for i in rng:
        if rx.match(value, i, n):
            return value[:i]
    return value


def replace(value: str, pat: str, rep: str, mode: str) -> str:
    """``${x/pat/rep}`` (mode ``/``), ``//`` (all), ``/#`` (anchored at start), ``/%`` (at end)."""
    n = len(value)
    if mode == "/#":
        rx = compile_pattern(pat)
        for i in range(n, -1, -1):
            if rx.match(value, 0, i):
                return rep + value[i:]
        return value
    if mode == "/%":
        rx = compile_pattern(pat)
        for i in range(n + 1):
            if rx.match(value, i, n):
                return value[:i] + rep
        return value
    if not pat:
        return value
    rx = compile_search(pat)
    out: list[str] = []
    pos = 0
    while pos < n:
        m = _longest_at(rx, pat, value, pos)
        if m > pos:
            out.append(rep)
            pos = m
            if mode == "/":
                out.append(value[pos:])
                return "".join(out)
        else:
            out.append(value[pos])
            pos += 1
    return "".join(out)


def _longest_at(rx: re.Pattern[str], pat: str, value: str, pos: int) -> int:
    """End of the longest non-empty match starting at ``pos`` (``pos`` when none)."""
    m = rx.match(value, pos)
    if m is None:
        return pos
    if m.end() == len(value):
        return m.end()
    full = compile_pattern(pat)
    for end in range(len(value), m.end(), -1):  # a greedy regex match is not always the longest
        if full.match(value, pos, end):
            return end
    return m.end()
