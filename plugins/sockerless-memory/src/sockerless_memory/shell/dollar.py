"""The ``$`` expansions and backquotes of the tokenizer: ``${...}``, ``$((...))``, ``$(...)``, ``$'...'``."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .ast import Arith, CmdSub, DQuote, Param, Part, Quoted, Word
from .errors import ShellSyntaxError
from .wordparts import Flush, flush_lit, flush_quoted, split_tilde

if TYPE_CHECKING:
    from .lexer import Lexer

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DIGITS = re.compile(r"[0-9]+")
_SPECIAL_PARAMS = "@*#?-$!0"
_ESCAPES = {"a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "n": "\n", "r": "\r", "t": "\t",
            "v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?"}


class DollarMixin:
    """Parsing of the expansions that start with ``$`` (and of backquotes), for :class:`~.lexer.Lexer`."""

    def _dollar(self: Lexer, in_dq: bool) -> Part | None:
        """Parse the expansion at ``$`` (None: a literal dollar sign; ``pos`` then moved past it)."""
        n = self.ch(1)
        if n == "{":
            self.pos += 2
            return self._brace_param(in_dq)
        if n == "(":
            if self.ch(2) == "(":
                save = self.pos
                self.pos += 3
                expr = self._arith_body()
                if expr is not None:
                    return Arith(expr)
                if not self.bash:  # busybox always takes $(( as arithmetic
                    raise self.error("missing '))'")
                self.pos = save
            start = self.pos
            self.pos += 2
            assert self.subparse is not None
            body = self.subparse(self)
            return CmdSub(body, self.text[start:self.pos])
        if n == "'" and not in_dq:
            self.pos += 2
            return Quoted(self._ansi_c())
        if n == '"' and not in_dq:
            self.pos += 2
            return DQuote(self._dquoted())
        if n and (n.isalpha() or n == "_") and n.isascii():
            m = _NAME.match(self.text, self.pos + 1)
            assert m is not None
            self.pos = m.end()
            return Param(m.group())
        if n and (n.isdigit() or n in _SPECIAL_PARAMS):
            self.pos += 2
            return Param(n)
        self.pos += 1
        return None

    def _param_name(self: Lexer) -> str:
        c = self.ch()
        if not c:
            return ""
        if c.isdigit():
            m = _DIGITS.match(self.text, self.pos)
            assert m is not None
            self.pos = m.end()
            return m.group()
        if c in _SPECIAL_PARAMS:
            self.pos += 1
            return c
        m = _NAME.match(self.text, self.pos)
        if m is None:
            return ""
        self.pos = m.end()
        return m.group()

    def _bad_substitution(self: Lexer) -> ShellSyntaxError:
        return self.error("bad substitution")

    def _brace_param(self: Lexer, in_dq: bool) -> Part:
        """``${...}``; ``pos`` is just after the brace."""
        c = self.ch()
        if c == "#" and self.ch(1) != "}":
            save = self.pos
            self.pos += 1
            name = self._param_name()
            index = self._subscript() if name and self.bash and self.ch() == "[" else None
            if name and self.ch() == "}":
                self.pos += 1
                return Param(name, "len", index=index)
            self.pos = save
        if c == "!" and self.bash and self.ch(1) not in "}":
            self.pos += 1
            name = self._param_name()
            if not name or not (name[0].isalpha() or name[0] == "_"):
                raise self._bad_substitution()
            if self.ch() in "*@" and self.ch(1) == "}":
                self.pos += 2
                return Param(name, "names")
            if self.ch() == "[":
                index = self._subscript()
                if index in ("@", "*") and self.ch() == "}":
                    self.pos += 1
                    return Param(name, "keys", index=index)
                param = Param(name, index=index, indirect=True)
            else:
                param = Param(name, indirect=True)
            return self._param_op(param, in_dq)
        name = self._param_name()
        if not name:
            raise self._bad_substitution()
        param = Param(name)
        if self.bash and self.ch() == "[" and (name[0].isalpha() or name[0] == "_"):
            param.index = self._subscript()
        return self._param_op(param, in_dq)

    def _param_op(self: Lexer, param: Param, in_dq: bool) -> Param:
        c = self.ch()
        if c == "}":
            self.pos += 1
            return param
        if c == ":":
            n = self.ch(1)
            if n and n in "-=?+":
                self.pos += 2
                param.op, param.colon = n, True
                param.arg = self._default_word(in_dq)
                self.pos += 1
                return param
            self.pos += 1
            param.op = ":"
            param.arg = self._param_word(":}", True, False)
            if self.ch() == ":":
                self.pos += 1
                param.arg2 = self._param_word("}", True, False)
            self.pos += 1
            return param
        if c in "-=?+":
            self.pos += 1
            param.op = c
            param.arg = self._default_word(in_dq)
            self.pos += 1
            return param
        if c in "#%" or (c in "^," and c and self.bash):  # ${x#p} ${x%%p}..., bash's ${x^p} ${x,,p}...
            self.pos += 1
            param.op = c
            if self.ch() == c:
                self.pos += 1
                param.op = c + c
            param.arg = self._param_word("}", False, False)
            self.pos += 1
            return param
        if c == "/":
            self.pos += 1
            op = "/"
            n = self.ch()
            if n in "/#%" and n:
                op += n
                self.pos += 1
            param.op = op
            param.arg = self._param_word("/}", False, False)
            if self.ch() == "/":
                self.pos += 1
                param.arg2 = self._param_word("}", in_dq, False)
            self.pos += 1
            return param
        raise self._bad_substitution()

    def _default_word(self: Lexer, in_dq: bool) -> Word:
        """The word of ``${x-word}`` (and ``= ? +``): tilde expansion applies at its start."""
        word = self._param_word("}", in_dq, True)
        if word.parts and not in_dq:
            word.parts = split_tilde(word.parts)
        return word

    def _subscript(self: Lexer) -> Word | str:
        """``[index]`` of an array reference; ``@``/``*`` are returned as strings."""
        self.pos += 1
        if self.ch() in "@*" and self.ch(1) == "]":
            value = self.ch()
            self.pos += 2
            return value
        word = self._param_word("]", True, False, brackets=True)
        if self.ch() != "]":
            raise self._bad_substitution()
        self.pos += 1
        return word

    def _param_word(self: Lexer, stops: str, in_dq: bool, sq_literal: bool, *, brackets: bool = False) -> Word:
        """The word inside ``${x-word}`` and friends, up to an unnested character of ``stops``.

        Inside double quotes (``in_dq``) literal text is quoted, and single quotes are
        ordinary characters when ``sq_literal`` (POSIX: ``"${x-'a'}"`` gives ``'a'``).
        """
        start = self.pos
        parts: list[Part] = []
        lit: list[str] = []
        depth = 0
        flush = flush_quoted if in_dq else flush_lit
        while True:
            c = self.ch()
            if not c:
                raise self.error("missing '}'", eof=True)
            if depth == 0 and c in stops:
                break
            if c == "{" or (brackets and c == "["):
                depth += 1
            elif (c == "}" or (brackets and c == "]")) and depth:
                depth -= 1
            if c == "\\":
                n = self.ch(1)
                if n == "\n":
                    self.pos += 2
                    continue
                flush(lit, parts)
                if in_dq and n not in '$`"\\}':
                    parts.append(Quoted("\\"))
                    self.pos += 1
                    continue
                parts.append(Quoted(n))
                self.pos += 2
            elif (c == "'" and not (in_dq and sq_literal)) or c == '"':
                flush(lit, parts)
                parts.append(self._quoted())
            elif c == "$" or c == "`":
                self._expansion(in_dq, lit, parts, flush)
            else:
                lit.append(c)
                self.pos += 1
        flush(lit, parts)
        return Word(parts, self.text[start:self.pos])

    def _arith_body(self: Lexer) -> Word | None:
        """The expression of ``$((...))`` up to the closing ``))``; None if it is not arithmetic."""
        start = self.pos
        parts: list[Part] = []
        lit: list[str] = []
        depth = 0
        while True:
            c = self.ch()
            if not c:
                raise self.error("missing '))'", eof=True)
            if c == ")":
                if depth == 0:
                    if self.ch(1) == ")":
                        end = self.pos
                        self.pos += 2
                        break
                    return None
                depth -= 1
            elif c == "(":
                depth += 1
            if c == "\\":
                n = self.ch(1)
                if n == "\n":
                    self.pos += 2
                    continue
                lit.append(n if n in '$`"\\' else "\\" + n)
                self.pos += 2
            elif c == '"':
                flush_lit(lit, parts)
                parts.append(self._quoted())
            elif c == "$" or c == "`":
                self._expansion(True, lit, parts, flush_lit)
            else:
                lit.append(c)
                self.pos += 1
        flush_lit(lit, parts)
        return Word(parts, self.text[start:end])

    def arith_command(self: Lexer) -> Word | None:
        """``(( expr ))`` at the current position (bash); None (position kept) if it is not one."""
        save = self.pos
        if self.ch() != "(" or self.ch(1) != "(":
            return None
        self.pos += 2
        try:
            expr = self._arith_body()
        except ShellSyntaxError:
            expr = None
        if expr is None:
            self.pos = save
        return expr

    def _expansion(self: Lexer, in_dq: bool, lit: list[str], parts: list[Part], flush: Flush) -> None:
        """Add the ``$`` expansion or backquoted command at ``pos`` to ``parts`` (a lone ``$`` to ``lit``).

        ``flush`` moves the pending characters of ``lit`` into ``parts`` first (quoted or not).
        """
        if self.ch() == "`":
            flush(lit, parts)
            parts.append(self._backquote(in_dq))
            return
        part = self._dollar(in_dq)
        if part is None:
            lit.append("$")
        else:
            flush(lit, parts)
            parts.append(part)

    def _backquote(self: Lexer, in_dq: bool) -> CmdSub:
        start = self.pos
        line = self.line_at(start)
        self.pos += 1
        buf: list[str] = []
        while True:
            c = self.ch()
            if not c:
                raise self.error("EOF in backquote substitution", eof=True)
            if c == "`":
                self.pos += 1
                break
            if c == "\\":
                n = self.ch(1)
                if (n in "$`\\" and n) or (in_dq and n == '"'):
                    buf.append(n)
                    self.pos += 2
                    continue
                if n == "\n":
                    self.pos += 2
                    continue
            buf.append(c)
            self.pos += 1
        assert self.parse_string is not None
        body = self.parse_string("".join(buf), line)
        return CmdSub(body, self.text[start:self.pos])

    def _ansi_c(self: Lexer) -> str:
        """The body of ``$'...'`` with its escapes decoded; ``pos`` after the opening quote."""
        out: list[str] = []
        while True:
            c = self.ch()
            if not c:
                raise self.error("unterminated quoted string", eof=True)
            self.pos += 1
            if c == "'":
                break
            if c != "\\":
                out.append(c)
                continue
            n = self.ch()
            self.pos += 1
            if n in _ESCAPES:
                out.append(_ESCAPES[n])
            elif n in "01234567" and n:
                digits = n
                while len(digits) < 3 and self.ch() in "01234567" and self.ch():
                    digits += self.ch()
                    self.pos += 1
                out.append(chr(int(digits, 8) & 0xFF))
            elif n and (n == "x" or (n in "uU" and self.bash)):
                limit = {"x": 2, "u": 4, "U": 8}[n]
                digits = ""
                while len(digits) < limit and self.ch() and self.ch() in "0123456789abcdefABCDEF":
                    digits += self.ch()
                    self.pos += 1
                if not digits:
                    out.append("\\" + n)
                elif n == "x":
                    out.append(bytes([int(digits, 16)]).decode("utf-8", "surrogateescape"))
                else:
                    out.append(chr(min(int(digits, 16), 0x10FFFF)))
            elif n == "c" and self.ch():
                out.append(chr(ord(self.ch()) & 0x1F))
                self.pos += 1
            else:
                out.append("\\" + n)
        return "".join(out)
