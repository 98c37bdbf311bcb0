""".dockerignore patterns, with Docker's semantics.

One pattern per line; ``#`` starts a comment line; leading and trailing whitespace is
dropped; each pattern is cleaned like a path (``./a//b/`` is ``a/b``, a leading ``/`` is
dropped). ``*`` matches any run of characters but ``/``, ``?`` one character but ``/``,
``**`` any number of directories (also none), ``[...]`` a class, ``\\`` escapes. A
pattern also matches everything below a directory it matches. ``!`` makes a pattern an
exception that puts matching paths back. The last pattern that matches a path decides.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from ...api.errors import InvalidParameter


@dataclass(frozen=True)
class Pattern:
    """One compiled line."""

    text: str
    regex: re.Pattern[str]
    exclusion: bool


def _clean(path: str) -> str:
    cleaned = posixpath.normpath(path)
    cleaned = cleaned.lstrip("/")
    return "" if cleaned == "." else cleaned


def _compile(pattern: str) -> re.Pattern[str]:
    out = ["^"]
    i, n = 0, len(pattern)
    while i < n:
        char = pattern[i]
        if char == "*":
            if i + 1 < n and pattern[i + 1] == "*":
                i += 2
                if i < n and pattern[i] == "/":
                    i += 1
                    out.append("(.*/)?")  # **/ : zero or more directories
                else:
                    out.append(".*")
                continue
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                raise InvalidParameter(f"syntax error in .dockerignore pattern {pattern!r}: unterminated [")
            body = pattern[i + 1:end]
            if body.startswith("!") or body.startswith("^"):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = end
        elif char == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(char))
        i += 1
    out.append("$")
    return re.compile("".join(out), re.DOTALL)


class IgnoreMatcher:
    """Decides which context paths ``.dockerignore`` leaves out."""

    def __init__(self, lines: list[str]) -> None:
        self.patterns: list[Pattern] = []
        for raw in lines:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            exclusion = line.startswith("!")
            if exclusion:
                line = line[1:].strip()
            cleaned = _clean(line)
            if not cleaned:
                continue
            self.patterns.append(Pattern(cleaned, _compile(cleaned), exclusion))

    @classmethod
    def from_text(cls, text: str) -> IgnoreMatcher:
        """Parse the content of a ``.dockerignore`` file."""
        return cls(text.splitlines())

    @property
    def has_exclusions(self) -> bool:
        """True when some ``!`` pattern may put back a path below an ignored directory."""
        return any(p.exclusion for p in self.patterns)

    def ignored(self, path: str) -> bool:
        """True when the context path (relative, ``/``-separated) is left out."""
        path = _clean(path)
        if not path:
            return False
        parents = _parents(path)
        result = False
        for pattern in self.patterns:
            matched = pattern.regex.match(path) is not None
            if not matched:
                matched = any(pattern.regex.match(parent) for parent in parents)
            if matched:
                result = not pattern.exclusion
        return result


def _parents(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]
