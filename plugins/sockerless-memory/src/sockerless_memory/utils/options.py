"""Command-line option parsing in the style of busybox's ``getopt32`` on musl's ``getopt_long``.

A short-option spec is a string of letters; a letter followed by ``:`` takes a required
argument (attached, ``-n5``, or the next word, ``-n 5``), by ``::`` an optional one
(attached only). A leading ``+`` stops at the first operand (for commands that run another
command: ``env``, ``xargs``, ``nice``...); otherwise options and operands may be mixed, as
musl's ``getopt_long`` permutes. ``--`` ends the options, a lone ``-`` is an operand.

Long options are given as ``{"name": key}`` where ``name`` ends in ``=`` for a required
argument or ``=?`` for an optional one, and ``key`` is the short letter (or any name) under
which the option is recorded. A long option may be abbreviated to any unique prefix.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


class OptionError(Exception):
    """A malformed command line; the message is what follows ``NAME: `` on stderr."""


@dataclass
class Options:
    """The options found on a command line, in order."""

    seen: list[tuple[str, str | None]] = field(default_factory=list)
    _keys: set[str] = field(default_factory=set, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._keys.update(k for k, _ in self.seen)

    def __contains__(self, key: str) -> bool:
        return key in self._keys

    def count(self, key: str) -> int:
        """How many times ``key`` was given (``-vv`` counts 2)."""
        return sum(1 for k, _ in self.seen if k == key)

    def get(self, key: str, default: str | None = None) -> str | None:
        """The argument of the last ``key`` given, or ``default``."""
        for k, v in reversed(self.seen):
            if k == key:
                return v if v is not None else default
        return default

    def all(self, key: str) -> list[str]:
        """Arguments of every ``key`` given, in order (``grep -e A -e B``)."""
        return [v for k, v in self.seen if k == key and v is not None]

    def last_of(self, keys: Iterable[str]) -> str | None:
        """Which of ``keys`` was given last (for mutually overriding options such as ``-1``/``-l``)."""
        wanted = set(keys)
        for k, _ in reversed(self.seen):
            if k in wanted:
                return k
        return None

    def add(self, key: str, value: str | None = None) -> None:
        """Record an option (utilities that pre-process argv use it)."""
        self.seen.append((key, value))
        self._keys.add(key)


def _parse_short_spec(spec: str) -> tuple[dict[str, int], bool]:
    """Map each letter to 0 (flag), 1 (required argument) or 2 (optional argument)."""
    permute = True
    if spec.startswith("+"):
        permute = False
        spec = spec[1:]
    table: dict[str, int] = {}
    i = 0
    while i < len(spec):
        letter = spec[i]
        i += 1
        kind = 0
        if spec[i:i + 2] == "::":
            kind, i = 2, i + 2
        elif spec[i:i + 1] == ":":
            kind, i = 1, i + 1
        table[letter] = kind
    return table, permute


def _parse_long_spec(longopts: Mapping[str, str]) -> dict[str, tuple[str, int]]:
    table: dict[str, tuple[str, int]] = {}
    for name, key in longopts.items():
        if name.endswith("=?"):
            table[name[:-2]] = (key, 2)
        elif name.endswith("="):
            table[name[:-1]] = (key, 1)
        else:
            table[name] = (key, 0)
    return table


def _match_long(name: str, table: dict[str, tuple[str, int]]) -> tuple[str, tuple[str, int]]:
    if name in table:
        return name, table[name]
    candidates = [full for full in table if full.startswith(name)]
    # prefixes that all denote the same option are not ambiguous
    if candidates and len({table[c] for c in candidates}) == 1:
        return candidates[0], table[candidates[0]]
    if candidates:
        raise OptionError(f"option is ambiguous: {name}")
    raise OptionError(f"unrecognized option: {name}")


def getopt(
    args: list[str],
    spec: str,
    longopts: Mapping[str, str] | None = None,
) -> tuple[Options, list[str]]:
    """Parse ``args`` (without ``argv[0]``); returns (options, operands).

    Raises :class:`OptionError` with musl's wording for unknown options and missing arguments.
    """
    shorts, permute = _parse_short_spec(spec)
    longs = _parse_long_spec(longopts or {})
    opts = Options()
    operands: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            operands.extend(args[i:])
            break
        if arg.startswith("--") and not longs:
            raise OptionError(f"unrecognized option: {arg[2:].partition('=')[0]}")
        if arg.startswith("--"):
            name, eq, value = arg[2:].partition("=")
            full, (key, kind) = _match_long(name, longs)
            if kind == 0 and eq:
                raise OptionError(f"option does not take an argument: {full}")
            if kind == 1 and not eq:
                if i >= len(args):
                    raise OptionError(f"option requires an argument: {full}")
                value = args[i]
                i += 1
            opts.add(key, value if (eq or kind == 1) else None)
            continue
        if len(arg) < 2 or not arg.startswith("-"):
            if not permute:
                operands.append(arg)
                operands.extend(args[i:])
                break
            operands.append(arg)
            continue
        j = 1
        while j < len(arg):
            letter = arg[j]
            j += 1
            kind = shorts.get(letter)
            if kind is None:
                raise OptionError(f"unrecognized option: {letter}")
            if kind == 0:
                opts.add(letter)
                continue
            rest = arg[j:]
            if rest:
                opts.add(letter, rest)
            elif kind == 2:
                opts.add(letter, None)
            elif i < len(args):
                opts.add(letter, args[i])
                i += 1
            else:
                raise OptionError(f"option requires an argument: {letter}")
            break
    return opts, operands
