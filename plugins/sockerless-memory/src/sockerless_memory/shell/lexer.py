"""The tokenizer: turns shell source into words (already split into parts) and operators.

The lexer is driven by the parser one token at a time, so input can arrive line by line
(interactive shells, scripts on stdin): when it runs out of text it asks ``reader`` for
another line. Command substitutions are parsed recursively through ``subparse`` (set by
the parser), here-document bodies are read when the newline that ends their command is
consumed.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .ast import DQuote, HereDoc, Lit, Node, Part, ProcSub, Quoted, Word, WordLike
from .dollar import DollarMixin
from .errors import ShellSyntaxError
from .wordparts import ArrayLiteral, flush_lit, flush_quoted, is_glob_text, plain_word, split_tilde

WORD, OP, NEWLINE, EOF, IO_NUMBER = "word", "op", "newline", "eof", "io"

_PLAIN = re.compile(r"[^ \t\n|&;<>()\\'\"$`]+")
_DQ_PLAIN = re.compile(r'[^"\\$`]+')
_ASSIGN_PREFIX = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\+?=$")
_BLANKS = " \t"
_OPERATOR_CHARS = "|&;<>()"
_REDIRECTIONS = frozenset({"<", ">", ">>", ">|", "<>", "<&", ">&", "<<", "<<-", "<<<", "&>", "&>>"})


class Token:
    """A token: ``kind`` is word/op/newline/eof/io; ``value`` the operator or plain word text."""

    __slots__ = ("end", "kind", "line", "start", "value", "word")

    def __init__(self, kind: str, value: str | None, word: WordLike | None, line: int, start: int, end: int) -> None:
        self.kind = kind
        self.value = value
        self.word = word
        self.line = line
        self.start = start
        self.end = end

    def __repr__(self) -> str:
        return f"Token({self.kind}, {self.value!r})"

    def describe(self) -> str:
        """How busybox names the token in ``unexpected ...`` messages."""
        if self.kind == EOF:
            return "end of file"
        if self.kind == NEWLINE:
            return "newline"
        if self.kind == OP:
            return "redirection" if self.value in _REDIRECTIONS else f'"{self.value}"'
        if self.kind == IO_NUMBER:
            return "redirection"
        return "word"


class Lexer(DollarMixin):
    """Shell tokenizer over a growing text buffer."""

    def __init__(
        self,
        text: str,
        reader: Callable[[], str | None] | None = None,
        *,
        bash: bool = False,
        line: int = 1,
    ) -> None:
        self.text = text
        self.pos = 0
        self.reader = reader
        self.bash = bash
        self.pending: list[HereDoc] = []
        self.subparse: Callable[[Lexer], Node | None] | None = None
        self.parse_string: Callable[[str, int], Node | None] | None = None
        self.eof = False
        self._line = line
        self._line_pos = 0

    # -- input ---------------------------------------------------------------------------
    def _more(self) -> bool:
        """Append another chunk of input; False at end of input."""
        if self.reader is None or self.eof:
            return False
        chunk = self.reader()
        if not chunk:
            self.eof = True
            return False
        self.text += chunk
        return True

    def ch(self, offset: int = 0) -> str:
        """The character at ``pos + offset`` ('' at end of input)."""
        i = self.pos + offset
        while i >= len(self.text):
            if not self._more():
                return ""
        return self.text[i]

    def line_at(self, pos: int) -> int:
        """The line number of a position (counted incrementally)."""
        if pos < self._line_pos:
            self._line -= self.text.count("\n", pos, self._line_pos)
        else:
            self._line += self.text.count("\n", self._line_pos, pos)
        self._line_pos = pos
        return self._line

    @property
    def line(self) -> int:
        """The current line number."""
        return self.line_at(min(self.pos, len(self.text)))

    def compact(self) -> None:
        """Forget consumed text (between top-level commands of a long input)."""
        if self.pos > 4096:
            self.line_at(self.pos)
            self.text = self.text[self.pos:]
            self._line_pos -= self.pos
            self.pos = 0

    def discard_line(self) -> None:
        """Drop the rest of the current input line (after a syntax error when interactive)."""
        self.pending.clear()
        i = self.text.find("\n", self.pos)
        self.pos = len(self.text) if i < 0 else i + 1

    def error(self, message: str, *, eof: bool = False) -> ShellSyntaxError:
        """A syntax error at the current line."""
        return ShellSyntaxError(message, self.line, eof=eof)

    # -- tokens ------------------------------------------------------------------------
    def token(self) -> Token:
        """The next token."""
        text = self.text
        while True:
            c = self.ch()
            text = self.text
            if c in _BLANKS and c:
                self.pos += 1
                continue
            if c == "\\" and self.ch(1) == "\n":
                self.pos += 2
                continue
            if c == "#":
                end = text.find("\n", self.pos)
                while end < 0 and self._more():
                    end = self.text.find("\n", self.pos)
                self.pos = len(self.text) if end < 0 else end
                continue
            break
        start = self.pos
        line = self.line_at(start)
        if c == "":
            if self.pending:
                self._read_heredocs()
            return Token(EOF, None, None, line, start, start)
        if c == "\n":
            self.pos += 1
            if self.pending:
                self._read_heredocs()
            return Token(NEWLINE, "\n", None, line, start, self.pos)
        if c in _OPERATOR_CHARS:
            op = self._operator()
            if op is not None:
                return Token(OP, op, None, line, start, self.pos)
        return self._word(start, line)

    def _operator(self) -> str | None:
        c, n = self.ch(), self.ch(1)
        bash = self.bash
        if c == "&":
            if n == "&":
                self.pos += 2
                return "&&"
            if n == ">":
                if self.ch(2) == ">":
                    self.pos += 3
                    return "&>>"
                self.pos += 2
                return "&>"
            self.pos += 1
            return "&"
        if c == "|":
            if n == "|":
                self.pos += 2
                return "||"
            if n == "&" and bash:
                self.pos += 2
                return "|&"
            self.pos += 1
            return "|"
        if c == ";":
            if n == ";":
                if bash and self.ch(2) == "&":
                    self.pos += 3
                    return ";;&"
                self.pos += 2
                return ";;"
            if n == "&" and bash:
                self.pos += 2
                return ";&"
            self.pos += 1
            return ";"
        if c == "<":
            if n == "<":
                third = self.ch(2)
                if third == "-":
                    self.pos += 3
                    return "<<-"
                if third == "<" and bash:
                    self.pos += 3
                    return "<<<"
                self.pos += 2
                return "<<"
            if n == "(" and bash:
                return None  # process substitution: a word
            if n in "&>":
                self.pos += 2
                return "<" + n
            self.pos += 1
            return "<"
        if c == ">":
            if n == "(" and bash:
                return None
            if n in ">&|":
                self.pos += 2
                return ">" + n
            self.pos += 1
            return ">"
        self.pos += 1
        return c  # ( or )

    # -- words -------------------------------------------------------------------------
    def _word(self, start: int, line: int) -> Token:
        parts: list[Part] = []
        self._read_word_parts(parts)
        raw = self.text[start:self.pos]
        if not parts:  # only line continuations: cannot happen, but keep the token sane
            parts.append(Lit(""))
        if len(parts) == 1 and type(parts[0]) is Lit:
            value = parts[0].text
            c = self.ch()
            if (c == "<" or c == ">") and value.isdigit():
                return Token(IO_NUMBER, value, None, line, start, self.pos)
        else:
            value = None
        parts = split_tilde(parts)
        brace = self.bash and "{" in raw and "}" in raw
        return Token(WORD, value, plain_word(parts, raw, brace), line, start, self.pos)

    def _read_word_parts(self, parts: list[Part]) -> None:
        lit: list[str] = []
        while True:
            c = self.ch()
            if not c:
                break
            if c == " " or c == "\t" or c == "\n":
                break
            if c in _OPERATOR_CHARS:
                if c == "(" and self.bash and not parts and _ASSIGN_PREFIX.match("".join(lit)):
                    flush_lit(lit, parts)
                    parts.append(self._array_literal())
                    continue
                if (c == "<" or c == ">") and self.bash and self.ch(1) == "(":
                    flush_lit(lit, parts)
                    parts.append(self._process_substitution(c))
                    continue
                break
            if c == "\\":
                n = self.ch(1)
                if n == "\n":
                    self.pos += 2
                    continue
                flush_lit(lit, parts)
                if not n:
                    parts.append(Quoted("\\"))  # a trailing backslash stays literal
                    self.pos += 1
                    continue
                parts.append(Quoted(n))
                self.pos += 2
            elif c == "'" or c == '"':
                flush_lit(lit, parts)
                parts.append(self._quoted())
            elif c == "$" or c == "`":
                self._expansion(False, lit, parts, flush_lit)
            else:
                m = _PLAIN.match(self.text, self.pos)
                if m is None:  # pragma: no cover - every other character is plain
                    lit.append(c)
                    self.pos += 1
                else:
                    lit.append(m.group())
                    self.pos = m.end()
        flush_lit(lit, parts)

    def _quoted(self) -> Part:
        """The single- or double-quoted string at ``pos``."""
        if self.ch() == "'":
            return Quoted(self._single_quoted())
        self.pos += 1
        return DQuote(self._dquoted())

    def _single_quoted(self) -> str:
        self.pos += 1
        start = self.pos
        while True:
            end = self.text.find("'", start)
            if end >= 0:
                break
            if not self._more():
                raise self.error("unterminated quoted string", eof=True)
        value = self.text[self.pos:end]
        self.pos = end + 1
        return value

    def _dquoted(self) -> list[Part]:
        """Parts of a double-quoted string; ``pos`` is just after the opening quote."""
        parts: list[Part] = []
        lit: list[str] = []
        while True:
            c = self.ch()
            if not c:
                raise self.error("unterminated quoted string", eof=True)
            if c == '"':
                self.pos += 1
                break
            if c == "\\":
                self._quoted_backslash(lit, '$`"\\')
            elif c == "$" or c == "`":
                self._expansion(True, lit, parts, flush_quoted)
            else:
                m = _DQ_PLAIN.match(self.text, self.pos)
                assert m is not None
                lit.append(m.group())
                self.pos = m.end()
        flush_quoted(lit, parts)
        return parts

    def _quoted_backslash(self, lit: list[str], escapable: str) -> None:
        """A backslash where it quotes only the characters of ``escapable`` (and joins lines)."""
        n = self.ch(1)
        if n == "\n":
            self.pos += 2
        elif n and n in escapable:
            lit.append(n)
            self.pos += 2
        else:
            lit.append("\\")
            self.pos += 1

    # -- $ expansions --------------------------------------------------------------------
    def _array_literal(self) -> Part:
        """``name=(a b c)`` (bash): returns a marker part holding the element words."""
        self.pos += 1
        elements: list[WordLike] = []
        while True:
            tok = self.token()
            if tok.kind == NEWLINE:
                continue
            if tok.kind == OP and tok.value == ")":
                break
            if tok.kind != WORD:
                raise ShellSyntaxError(f"unexpected {tok.describe()}", tok.line, eof=tok.kind == EOF)
            assert tok.word is not None
            elements.append(tok.word)
        return ArrayLiteral(elements)

    def _process_substitution(self, c: str) -> Part:
        start = self.pos
        self.pos += 2
        depth = 1
        while depth:
            ch = self.ch()
            if not ch:
                raise self.error("unexpected end of file (expecting \")\")", eof=True)
            depth += {"(": 1, ")": -1}.get(ch, 0)
            self.pos += 1
        return ProcSub(c, self.text[start:self.pos])

    def regex_word(self) -> Word:
        """The right side of ``=~`` in ``[[ ]]``: up to a blank outside parentheses."""
        while self.ch() in _BLANKS and self.ch():
            self.pos += 1
        start = self.pos
        parts: list[Part] = []
        lit: list[str] = []
        depth = 0
        while True:
            c = self.ch()
            if not c or c == "\n" or (depth == 0 and c in " \t"):
                break
            if depth == 0 and c in "&|;<>" and not lit and not parts:
                break
            if depth == 0 and c == "]" and self.ch(1) == "]" and self.ch(2) in " \t\n;&|)":
                break
            if c == "(":
                depth += 1
            elif c == ")":
                if depth == 0:
                    break
                depth -= 1
            if c == "\\":
                flush_lit(lit, parts)
                parts.append(Quoted(self.ch(1)))
                self.pos += 2
            elif c == "'" or c == '"':
                flush_lit(lit, parts)
                parts.append(self._quoted())
            elif c == "$" and self.ch(1) not in ")|" and self.ch(1):
                self._expansion(False, lit, parts, flush_lit)
            else:
                lit.append(c)
                self.pos += 1
        flush_lit(lit, parts)
        if not parts:
            raise self.error("unexpected argument to conditional binary operator")
        return Word(parts, self.text[start:self.pos])

    # -- here-documents ----------------------------------------------------------------
    def _read_heredocs(self) -> None:
        pending, self.pending = self.pending, []
        for doc in pending:
            lines: list[str] = []
            while True:
                line = self._raw_line()
                if line is None:
                    break
                if doc.strip_tabs:
                    line = line.lstrip("\t")
                if line.rstrip("\n") == doc.delim:
                    break
                lines.append(line)
            body = "".join(lines)
            doc.body = body if doc.quoted else heredoc_word(body, self)

    def _raw_line(self) -> str | None:
        """The next physical line including its newline (None at end of input)."""
        while True:
            end = self.text.find("\n", self.pos)
            if end >= 0:
                line = self.text[self.pos:end + 1]
                self.pos = end + 1
                return line
            if not self._more():
                if self.pos >= len(self.text):
                    return None
                line = self.text[self.pos:]
                self.pos = len(self.text)
                return line


def heredoc_word(body: str, outer: Lexer) -> Word | str:
    """Parse an unquoted here-document body: ``$``, backquotes and ``\\`` escapes are active."""
    lx = Lexer(body, bash=outer.bash)
    lx.subparse = outer.subparse
    lx.parse_string = outer.parse_string
    parts: list[Part] = []
    lit: list[str] = []
    while True:
        c = lx.ch()
        if not c:
            break
        if c == "\\":
            lx._quoted_backslash(lit, "$`\\")
        elif c == "$" or c == "`":
            lx._expansion(True, lit, parts, flush_quoted)
        else:
            j = lx.pos + 1
            text = lx.text
            while j < len(text) and text[j] not in "\\$`":
                j += 1
            lit.append(text[lx.pos:j])
            lx.pos = j
    flush_quoted(lit, parts)
    if not parts:
        return ""
    if len(parts) == 1 and type(parts[0]) is Quoted:
        return parts[0].text
    return Word(parts, body)


__all__ = ["EOF", "IO_NUMBER", "NEWLINE", "OP", "WORD", "ArrayLiteral", "Lexer", "Token", "heredoc_word", "is_glob_text",
           "plain_word", "split_tilde"]
