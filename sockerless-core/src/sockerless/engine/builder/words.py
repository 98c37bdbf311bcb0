"""Dockerfile words: variable expansion and quote removal, and ``key=value`` lists.

Follows the Dockerfile rules: ``$VAR``, ``${VAR}``, ``${VAR:-word}``, ``${VAR:+word}``,
``${VAR-word}``, ``${VAR+word}``, ``${VAR:?msg}``; single quotes keep their content
literally, double quotes allow expansion, the escape character escapes the next character.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ...api.errors import InvalidParameter

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Lexer:
    """Expands one Dockerfile word or a whitespace-separated list of them."""

    def __init__(self, env: Mapping[str, str], escape: str = "\\") -> None:
        self.env = env
        self.escape = escape

    def word(self, text: str) -> str:
        """The word with variables expanded and quotes removed (whitespace kept)."""
        return "".join(self._scan(text, split=False)[0])

    def words(self, text: str) -> list[str]:
        """Whitespace-separated words, each expanded and unquoted."""
        return self._scan(text, split=True)

    def _scan(self, text: str, *, split: bool) -> list[str]:
        words: list[str] = []
        current: list[str] = []
        started = False
        i, n = 0, len(text)
        while i < n:
            char = text[i]
            if split and char in " \t\n":
                if started:
                    words.append("".join(current))
                    current, started = [], False
                i += 1
                continue
            started = True
            if char == self.escape and i + 1 < n:
                current.append(text[i + 1])
                i += 2
            elif char == "'":
                end = text.find("'", i + 1)
                if end < 0:
                    raise InvalidParameter(f"unexpected end of statement while looking for matching single-quote: {text}")
                current.append(text[i + 1:end])
                i = end + 1
            elif char == '"':
                i = self._double(text, i + 1, current)
            elif char == "$":
                value, i = self._dollar(text, i + 1)
                if split:  # an unquoted expansion is split into words, as the shell does
                    pieces = value.split()
                    if value[:1].isspace() and current:
                        words.append("".join(current))
                        current = []
                    for piece in pieces[:-1]:
                        words.append("".join(current) + piece)
                        current = []
                    current.append(pieces[-1] if pieces else "")
                    if value[-1:].isspace() and pieces:
                        words.append("".join(current))
                        current, started = [], False
                    continue
                current.append(value)
            else:
                current.append(char)
                i += 1
        if started or not split:
            words.append("".join(current))
        return words

    def _double(self, text: str, i: int, out: list[str]) -> int:
        n = len(text)
        while i < n:
            char = text[i]
            if char == '"':
                return i + 1
            if char == self.escape and i + 1 < n and text[i + 1] in ('"', "$", self.escape):
                out.append(text[i + 1])
                i += 2
            elif char == "$":
                value, i = self._dollar(text, i + 1)
                out.append(value)
            else:
                out.append(char)
                i += 1
        raise InvalidParameter(f"unexpected end of statement while looking for matching double-quote: {text}")

    def _dollar(self, text: str, i: int) -> tuple[str, int]:
        if i < len(text) and text[i] == "{":
            end = _closing_brace(text, i + 1)
            return self._braced(text[i + 1:end]), end + 1
        match = _NAME.match(text, i)
        if not match:
            return "$", i
        return self.env.get(match.group(0), ""), match.end()

    def _braced(self, inner: str) -> str:
        match = _NAME.match(inner)
        if not match:
            raise InvalidParameter(f"missing ':' in substitution: ${{{inner}}}")
        name, rest = match.group(0), inner[match.end():]
        value = self.env.get(name)
        if not rest:
            return value or ""
        for op in (":-", ":+", ":?", "-", "+", "?"):
            if rest.startswith(op):
                word = self.word(rest[len(op):])
                unset_or_empty = not value if op.startswith(":") else value is None
                if op.endswith("-"):
                    return word if unset_or_empty else value or ""
                if op.endswith("+"):
                    return "" if unset_or_empty else word
                if unset_or_empty:
                    raise InvalidParameter(f"{name}: {word or 'is not allowed to be unset'}")
                return value or ""
        raise InvalidParameter(f"unsupported modifier ({rest[0]}) in substitution")


def _closing_brace(text: str, i: int) -> int:
    depth = 1
    while i < len(text):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise InvalidParameter(f"missing '}}' in substitution: {text}")


def key_values(text: str, lexer: Lexer, command: str) -> list[tuple[str, str]]:
    """``ENV``/``LABEL``/``ARG`` pairs: ``k=v k2="v 2"``, or the legacy ``ENV key value words``."""
    pieces = split_raw(text, lexer.escape)
    if not pieces:
        raise InvalidParameter(f"{command} requires at least one argument")
    if "=" not in pieces[0] and command in ("ENV", "LABEL"):
        key, _, value = text.strip().partition(" ")
        if not value.strip() and command == "ENV":
            raise InvalidParameter("ENV must have two arguments")
        return [(lexer.word(key), lexer.word(value.strip()))]
    pairs = []
    for piece in pieces:
        if "=" not in piece:
            raise InvalidParameter(f"Syntax error - can't find = in \"{piece}\". Must be of the form: name=value")
        key, _, value = piece.partition("=")
        if not key:
            raise InvalidParameter(f"{command} names can not be blank")
        pairs.append((lexer.word(key), lexer.word(value)))
    return pairs


def split_raw(text: str, escape: str) -> list[str]:
    """Split on unquoted whitespace, keeping quotes and escapes for the lexer."""
    pieces: list[str] = []
    current: list[str] = []
    quote = ""
    i = 0
    while i < len(text):
        char = text[i]
        if char == escape and i + 1 < len(text) and quote != "'":
            current.append(text[i:i + 2])
            i += 2
            continue
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char in " \t\n":
            if current:
                pieces.append("".join(current))
                current = []
            i += 1
            continue
        current.append(char)
        i += 1
    if current:
        pieces.append("".join(current))
    return pieces
