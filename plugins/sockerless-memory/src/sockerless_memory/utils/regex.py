"""POSIX regular expressions (BRE and ERE, with the GNU extensions glibc accepts) as Python ``re``.

grep, sed, expr, find and awk describe patterns in POSIX syntax; this module translates
them into Python regular expressions over bytes, reproducing glibc's reading of the
corner cases: in a BRE ``*`` is literal at the start of an expression, ``^`` and ``$``
anchor only at its ends, ``\\+ \\? \\|`` are operators; in an ERE a ``{`` that does not start
a valid interval is literal and a repetition with nothing before it is ignored; inside a
bracket expression backslash is an ordinary character. ``.`` matches a newline (sed's
pattern space may hold several lines) and ``$`` matches only at the very end.

Python's engine is leftmost-first where POSIX is leftmost-longest; :func:`longest_match`
recovers the POSIX extent of a match when the expression has alternatives.
"""

from __future__ import annotations

import functools
import re

_CLASSES = {
    "alpha": "a-zA-Z",
    "digit": "0-9",
    "alnum": "0-9a-zA-Z",
    "upper": "A-Z",
    "lower": "a-z",
    "space": " \\t\\n\\r\\f\\v",
    "blank": " \\t",
    "punct": "".join(f"\\x{c:02x}" for c in range(0x21, 0x7F) if not chr(c).isalnum()),
    "print": "\\x20-\\x7e",
    "graph": "\\x21-\\x7e",
    "cntrl": "\\x00-\\x1f\\x7f",
    "xdigit": "0-9A-Fa-f",
}
"""POSIX character classes as the ranges of Python character sets (the C locale)."""

CLASS_MEMBERS = {
    name: bytes(c for c in range(256) if re.fullmatch(("[" + ranges + "]").encode(), bytes([c])))
    for name, ranges in _CLASSES.items()
}
"""Each POSIX class as the set of bytes it contains (``tr`` needs them in order)."""

_WORD = "[0-9A-Za-z_]"


class RegexError(ValueError):
    """A malformed expression; the message is glibc's ``regerror`` text."""


def _lit(ch: str) -> str:
    return re.escape(ch) if ch not in "\n" else "\\n"


def _class_char(ch: str) -> str:
    return f"\\x{ord(ch):02x}"


def parse_bracket(pattern: str, i: int) -> tuple[str, int]:
    """Translate the bracket expression whose ``[`` is at ``pattern[i - 1]``; returns (python set, next index)."""
    n = len(pattern)
    negate = False
    if i < n and pattern[i] == "^":
        negate = True
        i += 1
    items: list[str] = []
    first = True
    while True:
        if i >= n:
            raise RegexError("Unmatched [, [^, [:, [., or [=")
        ch = pattern[i]
        if ch == "]" and not first:
            i += 1
            break
        first = False
        if ch == "[" and i + 1 < n and pattern[i + 1] in ":=.":
            kind = pattern[i + 1]
            end = pattern.find(kind + "]", i + 2)
            if end < 0:
                raise RegexError("Unmatched [, [^, [:, [., or [=")
            name = pattern[i + 2:end]
            i = end + 2
            if kind == ":":
                if name not in _CLASSES:
                    raise RegexError("Invalid character class name")
                items.append(_CLASSES[name])
                continue
            if len(name) != 1:
                raise RegexError("Invalid collation character")
            start_char = name
        else:
            start_char = ch
            i += 1
        # a range: start-end, unless the '-' is the last character of the expression
        if i + 1 < n and pattern[i] == "-" and pattern[i + 1] != "]":
            end_char = pattern[i + 1]
            i += 2
            if end_char == "[" and i < n and pattern[i] in ".=":
                kind = pattern[i]
                close = pattern.find(kind + "]", i + 1)
                if close < 0:
                    raise RegexError("Unmatched [, [^, [:, [., or [=")
                end_char = pattern[i + 1:close]
                i = close + 2
                if len(end_char) != 1:
                    raise RegexError("Invalid collation character")
            if ord(end_char) < ord(start_char):
                raise RegexError("Invalid range end")
            items.append(_class_char(start_char) + "-" + _class_char(end_char))
        else:
            items.append(_class_char(start_char))
    body = "".join(items)
    return ("[^" if negate else "[") + body + "]", i


_INTERVAL_ERE = re.compile(r"\{(\d*)(,(\d*))?\}")
_INTERVAL_BRE = re.compile(r"\\\{(\d*)(,(\d*))?\\\}")


class _Translator:
    def __init__(self, pattern: str, extended: bool, sed_escapes: bool) -> None:
        self.p = pattern
        self.ere = extended
        self.sed_escapes = sed_escapes
        self.out: list[str] = []
        self.atom: int | None = None  # index in out where the last repeatable atom starts
        self.quantified = False
        self.groups_open: list[int] = []
        self.groups_done = 0
        self.has_alternation = False

    # -- output helpers ------------------------------------------------------------------
    def atom_piece(self, text: str) -> None:
        self.atom = len(self.out)
        self.quantified = False
        self.out.append(text)

    def anchor(self, text: str) -> None:
        self.out.append(text)
        self.atom = None

    def quantify(self, q: str) -> None:
        assert self.atom is not None
        if self.quantified:  # POSIX allows a** and a+?; Python needs the inner part grouped
            self.out[self.atom:] = ["(?:" + "".join(self.out[self.atom:]) + ")"]
        self.out.append(q)
        self.quantified = True

    def interval(self, low: str, comma: str | None, high: str | None) -> str:
        lo = int(low) if low else 0
        if comma is None:
            if not low:
                raise RegexError("Invalid content of \\{\\}")
            return f"{{{lo}}}"
        if high:
            if int(high) < lo:
                raise RegexError("Invalid content of \\{\\}")
            return f"{{{lo},{int(high)}}}"
        return f"{{{lo},}}"

    def escape(self, ch: str) -> bool:
        """Escapes shared by BRE and ERE; False when ``ch`` is an ordinary escaped character."""
        if ch.isdigit() and ch != "0":
            number = int(ch)
            if number > self.groups_done:
                raise RegexError("Invalid back reference")
            self.atom_piece(f"(?:\\{number})")
        elif ch == "<":
            self.anchor(f"\\b(?={_WORD})")
        elif ch == ">":
            self.anchor(f"\\b(?<={_WORD})")
        elif ch in "bB":
            self.anchor("\\" + ch)
        elif ch == "`":
            self.anchor("\\A")
        elif ch == "'":
            self.anchor("\\Z")
        elif ch in "wWsS":
            self.atom_piece("\\" + ch)
        elif self.sed_escapes and ch in "nt":
            self.atom_piece("\\n" if ch == "n" else "\\t")
        else:
            return False
        return True

    # -- main loop -------------------------------------------------------------------
    def run(self) -> str:
        p, n = self.p, len(self.p)
        i = 0
        at_start = True  # BRE: start of the expression, or after \( or \|
        while i < n:
            ch = p[i]
            i += 1
            if ch == "\\":
                if i >= n:
                    raise RegexError("Trailing backslash")
                nxt = p[i]
                i += 1
                if not self.ere and nxt == "(":
                    self.groups_open.append(len(self.out))
                    self.out.append("(")
                    self.atom = None
                    at_start = True
                    continue
                if not self.ere and nxt == ")":
                    self.close_group()
                    at_start = False
                    continue
                if not self.ere and nxt == "|":
                    self.alternate()
                    at_start = True
                    continue
                if not self.ere and nxt == "{":
                    m = _INTERVAL_BRE.match(p, i - 2)
                    if self.atom is None:
                        if at_start and m is None:
                            raise RegexError("Invalid preceding regular expression")
                        raise RegexError("Invalid preceding regular expression")
                    if m is None:
                        raise RegexError("Unmatched \\{" if "\\}" not in p[i:] else "Invalid content of \\{\\}")
                    self.quantify(self.interval(m.group(1), m.group(2), m.group(3)))
                    i = m.end()
                    at_start = False
                    continue
                if not self.ere and nxt in "+?":
                    if self.atom is None:
                        self.atom_piece(_lit(nxt))
                    else:
                        self.quantify(nxt)
                    at_start = False
                    continue
                if not self.escape(nxt):
                    self.atom_piece(_lit(nxt))
                at_start = False
                continue
            if ch == "[":
                text, i = parse_bracket(p, i)
                self.atom_piece(text)
                at_start = False
                continue
            if ch == ".":
                self.atom_piece(".")
                at_start = False
                continue
            if self.ere:
                i = self.ere_char(ch, i)
                continue
            # BRE
            if ch == "*":
                if at_start or self.atom is None:
                    self.atom_piece("\\*")
                else:
                    self.quantify("*")
                at_start = False
                continue
            if ch == "^":
                if at_start:
                    self.anchor("^")
                    continue  # a '*' right after a leading '^' is still literal
                self.atom_piece("\\^")
                continue
            if ch == "$":
                if i == n or p.startswith("\\)", i) or p.startswith("\\|", i):
                    self.anchor("\\Z")
                else:
                    self.atom_piece("\\$")
                at_start = False
                continue
            self.atom_piece(_lit(ch))
            at_start = False
        if self.groups_open:
            raise RegexError("Unmatched ( or \\(")
        return "".join(self.out)

    def ere_char(self, ch: str, i: int) -> int:
        p = self.p
        if ch == "(":
            self.groups_open.append(len(self.out))
            self.out.append("(")
            self.atom = None
        elif ch == ")":
            if not self.groups_open:
                self.atom_piece("\\)")
            else:
                self.close_group()
        elif ch == "|":
            self.alternate()
        elif ch in "*+?":
            if self.atom is not None:
                self.quantify(ch)
            # glibc ignores a repetition operator with nothing to repeat
        elif ch == "{":
            m = _INTERVAL_ERE.match(p, i - 1)
            if m is None or (not m.group(1) and m.group(2) is None):
                self.atom_piece("\\{")
            elif self.atom is None:
                raise RegexError("Invalid preceding regular expression")
            else:
                self.quantify(self.interval(m.group(1), m.group(2), m.group(3)))
                return m.end()
        elif ch == "^":
            self.anchor("^")
        elif ch == "$":
            self.anchor("\\Z")
        else:
            self.atom_piece(_lit(ch))
        return i

    def close_group(self) -> None:
        if not self.groups_open:
            raise RegexError("Unmatched ) or \\)")
        start = self.groups_open.pop()
        self.out.append(")")
        self.groups_done += 1
        self.atom = start
        self.quantified = False

    def alternate(self) -> None:
        self.out.append("|")
        self.atom = None
        self.has_alternation = True


def translate(pattern: str, *, extended: bool = False, sed_escapes: bool = False) -> tuple[str, bool]:
    """The Python ``re`` source for a POSIX expression (text of code points 0-255), and whether it has alternatives."""
    translator = _Translator(pattern, extended, sed_escapes)
    return translator.run(), translator.has_alternation


class Regex:
    """A compiled POSIX expression: ``search``/``match`` plus POSIX-extent helpers."""

    def __init__(self, source: bytes, compiled: re.Pattern, alternation: bool) -> None:
        self.source = source
        self.re = compiled
        self.groups = compiled.groups
        self.alternation = alternation
        pattern = compiled.pattern if isinstance(compiled.pattern, str) else compiled.pattern.decode("latin-1")
        # with no assertion looking past the match, fullmatch(endpos=) tests an extent exactly
        self.assertions = any(a in pattern for a in ("\\Z", "\\b", "\\B", "(?=", "(?!", "(?<"))

    def search(self, data, pos: int = 0):
        """The leftmost match (POSIX extent when the expression has alternatives)."""
        m = self.re.search(data, pos)
        if m is not None and self.alternation:
            return longest_match(self.re, data, m, self.assertions)
        return m

    def finditer(self, data: bytes):
        """Successive non-overlapping matches, as ``sed s///g`` and ``grep -o`` walk them."""
        pos = 0
        size = len(data)
        last_end = -1  # end of the previous non-empty match: no empty match may touch it
        while pos <= size:
            m = self.search(data, pos)
            if m is None:
                return
            if m.start() == m.end() == last_end:
                pos = m.end() + 1
                continue
            yield m
            if m.end() > m.start():
                last_end = pos = m.end()
            else:
                pos = m.end() + 1


@functools.lru_cache(maxsize=4096)
def _tail_pattern(source: str | bytes, flags: int, tail: int) -> re.Pattern:
    # (?:PAT) followed by exactly `tail` characters to the end: a match forced to end at a position
    if isinstance(source, bytes):
        return re.compile(f"(?:{source.decode('latin-1')})(?=(?s:.){{{tail}}}\\Z)".encode("latin-1"), flags)
    return re.compile(f"(?:{source})(?=(?s:.){{{tail}}}\\Z)", flags)


LONGEST_WINDOW = 256
"""How far past Python's (leftmost-first) match a longer POSIX match is looked for."""


def longest_match(compiled: re.Pattern, data, first: re.Match, assertions: bool = True) -> re.Match:
    """Among the matches starting where ``first`` starts, the longest (POSIX's rule)."""
    start = first.start()
    for end in range(min(len(data), first.end() + LONGEST_WINDOW), first.end(), -1):
        if assertions:
            m = _tail_pattern(compiled.pattern, compiled.flags, len(data) - end).match(data, start)
        else:
            m = compiled.fullmatch(data, start, end)
        if m is not None and m.end() == end:
            return m
    return first


@functools.lru_cache(maxsize=512)
def compile_regex(pattern: bytes, *, extended: bool = False, icase: bool = False, sed_escapes: bool = False) -> Regex:
    """Compile a POSIX BRE (or ERE) into a :class:`Regex`; raises :class:`RegexError`."""
    source, alternation = translate(pattern.decode("latin-1"), extended=extended, sed_escapes=sed_escapes)
    flags = re.DOTALL | (re.IGNORECASE if icase else 0)
    try:
        compiled = re.compile(source.encode("latin-1"), flags)
    except re.error as exc:  # something the translation let through that Python rejects
        raise RegexError(str(exc)) from None
    except OverflowError:
        raise RegexError("Regular expression too big") from None
    return Regex(pattern, compiled, alternation)


def literal_regex(text: bytes, *, icase: bool = False) -> Regex:
    """A :class:`Regex` matching ``text`` literally (``grep -F``)."""
    flags = re.DOTALL | (re.IGNORECASE if icase else 0)
    return Regex(text, re.compile(re.escape(text), flags), False)


def wrap(regex: Regex, prefix: bytes, suffix: bytes) -> Regex:
    """``regex`` with extra Python syntax around it (``grep -w``/``-x`` boundaries); groups keep their numbers."""
    compiled = re.compile(prefix + b"(?:" + regex.re.pattern + b")" + suffix, regex.re.flags)
    return Regex(regex.source, compiled, regex.alternation)
