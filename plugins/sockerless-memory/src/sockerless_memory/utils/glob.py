"""Shell wildcard patterns (``fnmatch(3)``) as Python regular expressions: find -name, tar/rsync --exclude."""

from __future__ import annotations

import functools
import re

from .regex import RegexError, parse_bracket


def translate(pattern: str, *, pathname: bool = False) -> str:
    """Regex source for a wildcard: ``*``, ``?``, ``[...]`` (``!`` or ``^`` negates), ``\\`` escapes.

    With ``pathname`` (FNM_PATHNAME) the wildcards never match ``/``.
    """
    out = []
    i, n = 0, len(pattern)
    any_char = "[^/]" if pathname else "."
    while i < n:
        c = pattern[i]
        i += 1
        if c == "*":
            if pathname and pattern.startswith("*", i):  # rsync-style ** crosses directories
                while i < n and pattern[i] == "*":
                    i += 1
                out.append(".*")
            else:
                out.append(any_char + "*")
        elif c == "?":
            out.append(any_char)
        elif c == "[":
            body = pattern[i:]
            if body.startswith("!"):
                body = "^" + body[1:]
            try:
                text, used = parse_bracket(body, 0)
                out.append(text)
                i += used
            except RegexError:
                out.append(re.escape("["))
        elif c == "\\" and i < n:
            out.append(re.escape(pattern[i]))
            i += 1
        else:
            out.append(re.escape(c))
    return "".join(out)


@functools.lru_cache(maxsize=256)
def compile_glob(pattern: str, *, icase: bool = False, pathname: bool = False) -> re.Pattern[str]:
    """A compiled wildcard that must match a whole string."""
    return re.compile(r"(?s:" + translate(pattern, pathname=pathname) + r")\Z", re.IGNORECASE if icase else 0)


def fnmatch(pattern: str, name: str, *, icase: bool = False, pathname: bool = False) -> bool:
    """True when ``name`` matches the wildcard ``pattern``."""
    return compile_glob(pattern, icase=icase, pathname=pathname).match(name) is not None
