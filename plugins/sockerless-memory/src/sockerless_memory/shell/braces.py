"""Brace expansion (bash): ``a{b,c}d``, ``{1..5}``, ``{a..e}``, ``{01..10..2}``."""

from __future__ import annotations

import re

from .ast import Lit, Part
from .lexer import split_tilde

_NUM_SEQ = re.compile(r"(-?\d+)\.\.(-?\d+)(?:\.\.(-?\d+))?\Z")
_CHAR_SEQ = re.compile(r"([A-Za-z])\.\.([A-Za-z])(?:\.\.(-?\d+))?\Z")
_LIMIT = 100_000

Item = object  # a one-character str (unquoted literal) or another Part


def expand_braces(parts: list[Part]) -> list[list[Part]]:
    """The words a word with brace expressions stands for (a list with itself when none)."""
    items: list[Item] = []
    for part in parts:
        if type(part) is Lit:
            items.extend(part.text)
        else:
            items.append(part)
    return [_rebuild(r) for r in _expand(items)]


def _expand(items: list[Item]) -> list[list[Item]]:
    for i, item in enumerate(items):
        if item != "{":
            continue
        close, commas = _match(items, i)
        if close < 0:
            continue
        inner = items[i + 1:close]
        if commas:
            alternatives = _split_commas(inner, commas, i + 1)
        else:
            seq = _sequence(inner)
            if seq is None:
                continue
            alternatives = [list(s) for s in seq]
        prefix = items[:i]
        suffixes = _expand(items[close + 1:])
        out: list[list[Item]] = []
        for alt in alternatives:
            for expanded in _expand(alt):
                for suffix in suffixes:
                    out.append(prefix + expanded + suffix)
                    if len(out) > _LIMIT:
                        return out
        return out
    return [items]


def _match(items: list[Item], start: int) -> tuple[int, list[int]]:
    """Index of the ``}`` matching ``items[start]`` and the positions of its top-level commas."""
    depth = 0
    commas: list[int] = []
    for j in range(start, len(items)):
        item = items[j]
        if item == "{":
            depth += 1
        elif item == "}":
            depth -= 1
            if depth == 0:
                return j, commas
        elif item == "," and depth == 1:
            commas.append(j)
    return -1, []


def _split_commas(inner: list[Item], commas: list[int], offset: int) -> list[list[Item]]:
    out: list[list[Item]] = []
    prev = 0
    for c in commas:
        out.append(inner[prev:c - offset])
        prev = c - offset + 1
    out.append(inner[prev:])
    return out


def _sequence(inner: list[Item]) -> list[str] | None:
    if not all(type(x) is str for x in inner):
        return None
    text = "".join(inner)  # type: ignore[arg-type]
    m = _NUM_SEQ.match(text)
    if m:
        first, last = int(m.group(1)), int(m.group(2))
        step = abs(int(m.group(3) or 1)) or 1
        width = 0
        for s in (m.group(1), m.group(2)):
            digits = s.lstrip("-")
            if len(digits) > 1 and digits[0] == "0":
                width = max(width, len(s))
        rng = range(first, last + 1, step) if first <= last else range(first, last - 1, -step)
        if len(rng) > _LIMIT:
            return None
        return [str(v).zfill(width) if width else str(v) for v in rng]
    m = _CHAR_SEQ.match(text)
    if m:
        first, last = ord(m.group(1)), ord(m.group(2))
        step = abs(int(m.group(3) or 1)) or 1
        rng = range(first, last + 1, step) if first <= last else range(first, last - 1, -step)
        return [chr(v) for v in rng]
    return None


def _rebuild(items: list[Item]) -> list[Part]:
    parts: list[Part] = []
    buf: list[str] = []
    for item in items:
        if type(item) is str:
            buf.append(item)
        else:
            if buf:
                parts.append(Lit("".join(buf)))
                buf = []
            parts.append(item)  # type: ignore[arg-type]
    if buf:
        parts.append(Lit("".join(buf)))
    return split_tilde(parts) if parts else []  # an empty alternative ({a,}) is no word at all
