"""Helpers shared by the tokenizer modules: building word part lists."""

from __future__ import annotations

from collections.abc import Callable

from .ast import Lit, Part, Quoted, Tilde, Word, WordLike

Flush = Callable[[list[str], list[Part]], None]
"""Moves pending characters into a part list: :func:`flush_lit` or :func:`flush_quoted`."""


def is_glob_text(text: str) -> bool:
    """True when unquoted ``text`` could be a pattern (``[`` only counts with a later ``]``)."""
    if "*" in text or "?" in text:
        return True
    i = text.find("[")
    return i >= 0 and "]" in text[i + 1:]


def plain_word(parts: list[Part], raw: str, brace: bool = False) -> WordLike:
    """A word as stored in the tree: a bare string when nothing in it needs expansion."""
    if len(parts) == 1 and type(parts[0]) is Lit and not brace:
        text = parts[0].text
        if not is_glob_text(text):
            return text
    return Word(parts, raw, brace)


class ArrayLiteral(Lit):
    """Marker part: the ``(a b c)`` of an array assignment (bash)."""

    __slots__ = ("elements",)

    def __init__(self, elements: list[WordLike]) -> None:
        super().__init__("")
        self.elements = elements


def split_tilde(parts: list[Part]) -> list[Part]:
    """Turn a leading unquoted ``~user`` into a :class:`Tilde` part."""
    first = parts[0]
    if type(first) is not Lit or not first.text.startswith("~"):
        return parts
    text = first.text
    slash = text.find("/")
    if slash < 0:
        if len(parts) > 1:
            return parts
        return [Tilde(text[1:])]
    rest: list[Part] = [Lit(text[slash:])] if slash < len(text) else []
    return [Tilde(text[1:slash]), *rest, *parts[1:]]


def flush_lit(lit: list[str], parts: list[Part]) -> None:
    """Move pending unquoted characters into ``parts`` (merged with a preceding literal)."""
    if lit:
        text = "".join(lit)
        lit.clear()
        if parts and type(parts[-1]) is Lit:
            parts[-1] = Lit(parts[-1].text + text)
        else:
            parts.append(Lit(text))


def flush_quoted(lit: list[str], parts: list[Part]) -> None:
    """Move pending characters into ``parts`` as quoted text."""
    if lit:
        parts.append(Quoted("".join(lit)))
        lit.clear()
