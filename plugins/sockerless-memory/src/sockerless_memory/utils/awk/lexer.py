"""Tokens of the AWK language.

The lexer is pulled by the parser one token at a time; a ``/`` where an operand is
expected is re-read as a regular expression literal (:meth:`Lexer.regex`), which is how
AWK's division/regex ambiguity is settled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KEYWORDS = {
    "BEGIN", "END", "function", "func", "if", "else", "while", "for", "do", "break", "continue", "next",
    "nextfile", "exit", "return", "delete", "getline", "print", "printf", "in",
}
BUILTINS = {
    "length", "substr", "index", "split", "sub", "gsub", "match", "sprintf", "sin", "cos", "atan2", "exp", "log",
    "sqrt", "int", "rand", "srand", "tolower", "toupper", "system", "close", "fflush", "and", "or", "xor",
    "lshift", "rshift", "compl", "systime", "strftime", "mktime",
}
_PUNCT = [
    "**=", "...", "+=", "-=", "*=", "/=", "%=", "^=", "==", "<=", ">=", "!=", "++", "--", "&&", "||", ">>", "!~", "**",
    "{", "}", "(", ")", "[", "]", ";", ",", "+", "-", "*", "/", "%", "^", "!", ">", "<", "|", "?", ":", "~", "$", "=",
]
_NUMBER = re.compile(r"0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "/": "/", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


class AwkSyntaxError(Exception):
    """A program that does not parse; ``line`` is its line number."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


@dataclass
class Token:
    """One token: its kind (``NUMBER``, ``STRING``, ``ERE``, ``NAME``, ``FUNC_NAME``, ``BUILTIN``, ``NEWLINE``, ``EOF``, a keyword or punctuation), value and line."""

    kind: str
    value: object
    line: int
    start: int


def unescape(text: str, *, regex: bool = False) -> str:
    """Backslash escapes of a string literal (in a regex, unknown escapes stay for the regex engine)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c != "\\" or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        e = text[i + 1]
        if e in "01234567":
            j = i + 1
            while j < n and j < i + 4 and text[j] in "01234567":
                j += 1
            out.append(chr(int(text[i + 1:j], 8) & 0xFF))
            i = j
            continue
        if regex and e in "\\/":
            out.append("\\\\" if e == "\\" else "/")
        elif regex and e not in "ntrafvb\"":
            out.append("\\" + e)
        elif e in _ESCAPES:
            out.append(_ESCAPES[e])
        else:
            out.append("\\" + e if regex else e)  # awk drops the backslash of an unknown escape
        i += 2
    return "".join(out)


class Lexer:
    """Splits program text into tokens."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1

    def _skip(self) -> None:
        text = self.text
        while self.pos < len(text):
            c = text[self.pos]
            if c in " \t\r":
                self.pos += 1
            elif c == "\\" and text.startswith("\n", self.pos + 1):
                self.pos += 2
                self.line += 1
            elif c == "\\" and text.startswith("\r\n", self.pos + 1):
                self.pos += 3
                self.line += 1
            elif c == "#":
                while self.pos < len(text) and text[self.pos] != "\n":
                    self.pos += 1
            else:
                return

    def next(self) -> Token:
        """The next token."""
        self._skip()
        text = self.text
        start = self.pos
        if self.pos >= len(text):
            return Token("EOF", None, self.line, start)
        c = text[self.pos]
        if c == "\n":
            self.pos += 1
            self.line += 1
            return Token("NEWLINE", None, self.line - 1, start)
        if c == '"':
            return self._string(start)
        m = _NUMBER.match(text, self.pos)
        if m and (c.isdigit() or c == "."):
            self.pos = m.end()
            literal = m.group(0)
            value = float(int(literal, 16)) if literal[:2].lower() == "0x" else float(literal)
            return Token("NUMBER", value, self.line, start)
        m = _NAME.match(text, self.pos)
        if m:
            self.pos = m.end()
            word = m.group(0)
            if word in KEYWORDS:
                return Token("func" if word in ("func", "function") else word, word, self.line, start)
            if word in BUILTINS:
                return Token("BUILTIN", word, self.line, start)
            if self.pos < len(text) and text[self.pos] == "(":
                return Token("FUNC_NAME", word, self.line, start)
            return Token("NAME", word, self.line, start)
        for punct in _PUNCT:
            if text.startswith(punct, self.pos):
                self.pos += len(punct)
                return Token(punct, punct, self.line, start)
        raise AwkSyntaxError(f"Unexpected character '{c}'", self.line)

    def _string(self, start: int) -> Token:
        text = self.text
        i = self.pos + 1
        buf = []
        while True:
            if i >= len(text) or text[i] == "\n":
                raise AwkSyntaxError("Unexpected end of string", self.line)
            c = text[i]
            if c == "\\" and i + 1 < len(text):
                if text[i + 1] == "\n":
                    i += 2
                    self.line += 1
                    continue
                buf.append(text[i:i + 2])
                i += 2
                continue
            if c == '"':
                break
            buf.append(c)
            i += 1
        self.pos = i + 1
        return Token("STRING", unescape("".join(buf)), self.line, start)

    def regex(self, token: Token) -> Token:
        """Re-read ``token`` (a ``/`` or ``/=``) as the start of a regular expression literal."""
        text = self.text
        i = token.start + 1
        buf = []
        in_bracket = False
        while True:
            if i >= len(text) or text[i] == "\n":
                raise AwkSyntaxError("Unexpected end of regex", token.line)
            c = text[i]
            if c == "\\" and i + 1 < len(text):
                buf.append(text[i:i + 2])
                i += 2
                continue
            if c == "[" and not in_bracket:
                in_bracket = True
                buf.append(c)
                i += 1
                if i < len(text) and text[i] == "^":
                    buf.append("^")
                    i += 1
                if i < len(text) and text[i] == "]":
                    buf.append("]")
                    i += 1
                continue
            if c == "]" and in_bracket:
                in_bracket = False
            elif c == "/" and not in_bracket:
                break
            buf.append(c)
            i += 1
        self.pos = i + 1
        return Token("ERE", unescape("".join(buf), regex=True), token.line, token.start)
