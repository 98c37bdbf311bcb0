"""Recursive-descent parser for the POSIX shell grammar (plus the bash extensions).

The parser pulls tokens from a :class:`~.lexer.Lexer` with one token of look-ahead and
never looks past the newline that ends a top-level command, so an interactive shell or a
script read from a pipe runs each command as soon as it is complete.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .ast import (
    AndOr,
    ArithCmd,
    Assign,
    Case,
    CaseItem,
    CondBinary,
    CondCmd,
    CondExpr,
    CondLogic,
    CondUnary,
    CondWord,
    DQuote,
    For,
    ForArith,
    FuncDef,
    Group,
    HereDoc,
    If,
    ListNode,
    Lit,
    Loop,
    Node,
    Param,
    Part,
    Pipeline,
    Quoted,
    Redir,
    Simple,
    Subshell,
    Tilde,
    Word,
    WordLike,
)
from .errors import ShellSyntaxError
from .lexer import EOF, IO_NUMBER, NEWLINE, OP, WORD, ArrayLiteral, Lexer, Token, plain_word

RESERVED = frozenset({"if", "then", "else", "elif", "fi", "do", "done", "case", "esac", "while", "until",
                      "for", "in", "{", "}", "!", "function"})
REDIR_OPS = frozenset({"<", ">", ">>", ">|", "<>", "<&", ">&", "<<", "<<-", "<<<", "&>", "&>>"})
_LIST_END_OPS = frozenset({")", ";;", ";&", ";;&"})
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_ASSIGN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(\+?)=")
_COND_UNARY = frozenset(["-a", "-b", "-c", "-d", "-e", "-f", "-g", "-h", "-k", "-p", "-r", "-s", "-t", "-u", "-w", "-x", "-G", "-L", "-N", "-O", "-S", "-z", "-n", "-o", "-v"])
_COND_BINARY = frozenset(["==", "=", "!=", "=~", "<", ">", "-eq", "-ne", "-lt", "-le", "-gt", "-ge", "-nt", "-ot", "-ef"])

EMPTY = ListNode([], [])
"""What :meth:`Parser.parse_command` returns for a blank line."""


def is_name(text: str) -> bool:
    """True for a valid variable name."""
    return _NAME.match(text) is not None


class Parser:
    """Parses tokens from one lexer; nested command substitutions get parsers of their own."""

    def __init__(self, lexer: Lexer) -> None:
        self.lx = lexer
        self.tok: Token | None = None
        self.bash = lexer.bash
        lexer.subparse = _subparse
        if lexer.parse_string is None:
            lexer.parse_string = self._parse_backquoted
        self.aliases: Callable[[str], str | None] | None = None
        self._alias_active: list[tuple[str, int]] = []
        self._alias_blank = False

    # -- token access ----------------------------------------------------------------------
    def peek(self) -> Token:
        """The look-ahead token."""
        tok = self.tok
        if tok is None:
            tok = self.tok = self.lx.token()
        return tok

    def next(self) -> Token:
        """Consume and return the look-ahead token."""
        tok = self.peek()
        self.tok = None
        return tok

    def _is_word(self, tok: Token, value: str) -> bool:
        return tok.kind == WORD and tok.value == value

    def _is_op(self, tok: Token, value: str) -> bool:
        return tok.kind == OP and tok.value == value

    def unexpected(self, tok: Token, expecting: str | None = None) -> ShellSyntaxError:
        """``syntax error: unexpected X [(expecting Y)]`` as busybox words it."""
        desc = tok.describe()
        if tok.kind == WORD and tok.value in RESERVED | {"]]"}:
            desc = f'"{tok.value}"'
        message = f"unexpected {desc}"
        if expecting:
            message += f" (expecting {expecting})"
        return ShellSyntaxError(message, tok.line, eof=tok.kind == EOF)

    def expect_word(self, value: str) -> Token:
        """Consume reserved word ``value`` or fail."""
        tok = self.peek()
        if not self._is_word(tok, value):
            raise self.unexpected(tok, f'"{value}"')
        return self.next()

    def skip_newlines(self) -> None:
        """``linebreak``: any number of newlines."""
        while self.peek().kind == NEWLINE:
            self.next()

    # -- entry points ------------------------------------------------------------------
    def parse_command(self) -> Node | None:
        """One top-level command line: a list up to a newline. None at end of input, EMPTY for a blank line."""
        tok = self.peek()
        if tok.kind == EOF:
            return None
        if tok.kind == NEWLINE:
            self.next()
            return EMPTY
        items: list[Node] = []
        background: list[bool] = []
        while True:
            items.append(self.and_or())
            tok = self.peek()
            if tok.kind == OP and tok.value in ("&", ";"):
                self.next()
                background.append(tok.value == "&")
                tok = self.peek()
                if tok.kind == NEWLINE:
                    self.next()
                    break
                if tok.kind == EOF:
                    break
                continue
            background.append(False)
            if tok.kind == NEWLINE:
                self.next()
                break
            if tok.kind == EOF:
                break
            raise self.unexpected(tok)
        if len(items) == 1 and not background[0]:
            return items[0]
        return ListNode(items, background)

    def parse_all(self) -> list[Node]:
        """Every command of the input (``eval`` text, test helpers)."""
        nodes = []
        while True:
            node = self.parse_command()
            if node is None:
                return nodes
            if node is not EMPTY:
                nodes.append(node)

    def _parse_backquoted(self, text: str, line: int) -> Node | None:
        lexer = Lexer(text, bash=self.bash, line=line)
        lexer.parse_string = self._parse_backquoted
        parser = Parser(lexer)
        parser.aliases = self.aliases
        return as_list(parser.parse_all())

    # -- lists -------------------------------------------------------------------------
    def compound_list(self, stops: frozenset[str], *, allow_empty: bool = False,
                      expecting: str | None = None) -> Node | None:
        """A list of commands ended by a reserved word in ``stops`` or a closing operator."""
        self.skip_newlines()
        items: list[Node] = []
        background: list[bool] = []
        while True:
            tok = self.peek()
            if tok.kind == EOF or (tok.kind == OP and tok.value in _LIST_END_OPS):
                break
            if tok.kind == WORD and (tok.value in _CLOSERS or tok.value in stops):
                break
            items.append(self.and_or())
            tok = self.peek()
            if tok.kind == OP and tok.value in ("&", ";"):
                self.next()
                background.append(tok.value == "&")
            elif tok.kind == NEWLINE:
                self.next()
                background.append(False)
            else:
                background.append(False)
                break
            self.skip_newlines()
        if not items:
            if allow_empty:
                return None
            tok = self.peek()
            raise self.unexpected(tok, expecting if tok.kind == EOF else None)
        if len(items) == 1 and not background[0]:
            return items[0]
        return ListNode(items, background)

    def and_or(self) -> Node:
        """``pipeline (&& | ||) pipeline ...``."""
        first = self.pipeline()
        rest: list[tuple[str, Node]] = []
        while True:
            tok = self.peek()
            if tok.kind == OP and tok.value in ("&&", "||"):
                self.next()
                self.skip_newlines()
                rest.append((tok.value, self.pipeline()))
            else:
                break
        return AndOr(first, rest) if rest else first

    def pipeline(self) -> Node:
        """``[!] command | command ...``."""
        tok = self.peek()
        negate = False
        line = tok.line
        if self._is_word(tok, "!"):
            self.next()
            negate = True
            if self._is_word(self.peek(), "!") and not self.bash:
                raise self.unexpected(self.peek())
        cmds = [self.command()]
        while True:
            tok = self.peek()
            if tok.kind == OP and tok.value in ("|", "|&"):
                self.next()
                if tok.value == "|&":
                    _add_stderr_pipe(cmds[-1])
                self.skip_newlines()
                cmds.append(self.command())
            else:
                break
        if len(cmds) == 1 and not negate:
            return cmds[0]
        return Pipeline(cmds, negate, line)

    # -- commands ----------------------------------------------------------------------
    def command(self) -> Node:
        """A simple command, a compound command with its redirections, or a function definition."""
        tok = self.peek()
        if self.aliases is not None:
            while self._expand_alias(tok):
                tok = self.peek()
        if tok.kind == WORD and tok.value is not None:
            value = tok.value
            handler = _COMPOUND.get(value)
            if handler is not None:
                if value == "[[" or value == "function":
                    return handler(self)
                node = handler(self)
                node.redirs = self.redirect_list()
                return node
            if value in RESERVED:
                raise self.unexpected(tok)
        elif tok.kind == OP:
            if tok.value == "(":
                if self.bash and self.lx.text[tok.end:tok.end + 1] == "(":
                    node = self._arith_command(tok)
                    if node is not None:
                        return node
                node = self.subshell()
                node.redirs = self.redirect_list()
                return node
            if tok.value not in REDIR_OPS:
                raise self.unexpected(tok)
        elif tok.kind not in (WORD, IO_NUMBER):
            raise self.unexpected(tok)
        return self.simple_command()

    def _arith_command(self, tok: Token) -> Node | None:
        self.lx.pos = tok.start
        expr = self.lx.arith_command()
        if expr is None:
            self.lx.pos = tok.end
            return None
        self.tok = None
        return ArithCmd(expr, self.redirect_list(), tok.line)

    def redirect_list(self) -> list[Redir]:
        """Redirections after a compound command."""
        redirs: list[Redir] = []
        while True:
            tok = self.peek()
            if tok.kind == IO_NUMBER:
                self.next()
                redirs.append(self.redirect(int(tok.value or 0)))
            elif tok.kind == OP and tok.value in REDIR_OPS:
                redirs.append(self.redirect(None))
            else:
                return redirs

    def redirect(self, fd: int | None) -> Redir:
        """One redirection operator and its target."""
        op = self.next().value or ""
        tok = self.next()
        if tok.kind != WORD:
            raise self.unexpected(tok)
        word = tok.word
        assert word is not None
        if op in ("<<", "<<-"):
            delim, quoted = _heredoc_delim(word)
            doc = HereDoc(delim, op == "<<-", quoted)
            self.lx.pending.append(doc)
            return Redir(op, doc, fd)
        return Redir(op, word, fd)

    def simple_command(self) -> Node:
        """Assignments, words and redirections; or ``name() body``."""
        assigns: list[Assign] = []
        words: list[WordLike] = []
        redirs: list[Redir] = []
        line = self.peek().line
        while True:
            tok = self.peek()
            kind = tok.kind
            if kind == WORD:
                if not words:
                    assign = self._assignment(tok)
                    if assign is not None:
                        self.next()
                        assigns.append(assign)
                        continue
                    if self.aliases is not None and self._expand_alias(tok):
                        continue
                elif self._alias_blank:
                    self._alias_blank = False  # the word after an alias ending in a blank is checked too
                    if self._expand_alias(tok):
                        continue
                self.next()
                word = tok.word
                assert word is not None
                if type(word) is Word and any(type(p) is ArrayLiteral for p in word.parts):
                    if not words or words[0] not in _DECLARATIONS:
                        raise self.unexpected(Token(OP, "(", None, tok.line, 0, 0))
                    word = Word([Quoted(word.raw)], word.raw)  # the builtin parses "name=(...)" itself
                words.append(word)
                if len(words) == 1 and not assigns and not redirs:
                    nxt = self.peek()
                    if nxt.kind == OP and nxt.value == "(":
                        return self._function_body(tok)
            elif kind == IO_NUMBER:
                self.next()
                redirs.append(self.redirect(int(tok.value or 0)))
            elif kind == OP and tok.value in REDIR_OPS:
                redirs.append(self.redirect(None))
            else:
                break
        if not words and not assigns and not redirs:
            raise self.unexpected(self.peek())
        return Simple(assigns, words, redirs, line)

    def _expand_alias(self, tok: Token) -> bool:
        """Replace an alias name by its text in the input; True when it did."""
        if self.aliases is None or tok.kind != WORD or tok.value is None:
            return False
        name = tok.value
        active = [(n, end) for n, end in self._alias_active if end > tok.start]
        if any(n == name for n, _ in active):
            self._alias_active = active
            return False  # an alias does not expand inside its own expansion
        text = self.aliases(name)
        if text is None:
            self._alias_active = active
            return False
        lx = self.lx
        if lx._line_pos > tok.start:
            lx._line -= lx.text.count("\n", tok.start, lx._line_pos)
            lx._line_pos = tok.start
        lx.text = lx.text[:tok.start] + text + lx.text[tok.end:]
        lx.pos = tok.start
        delta = len(text) - (tok.end - tok.start)
        self._alias_active = [(n, end + delta) for n, end in active] + [(name, tok.start + len(text))]
        self._alias_blank = text.endswith((" ", "\t"))
        self.tok = None
        return True

    def _assignment(self, tok: Token) -> Assign | None:
        word = tok.word
        if type(word) is str:
            parts: list[Part] = [Lit(word)]
        else:
            assert isinstance(word, Word)
            parts = word.parts
        first = parts[0]
        if type(first) is not Lit:
            return None
        m = _ASSIGN.match(first.text)
        if m is None:
            return self._indexed_assignment(parts) if self.bash else None
        if m.group(2) and not self.bash:
            return None
        name = m.group(1)
        rest_text = first.text[m.end():]
        rest: list[Part] = ([Lit(rest_text)] if rest_text else []) + list(parts[1:])
        raw = word if type(word) is str else word.raw  # type: ignore[union-attr]
        if rest and type(rest[0]) is ArrayLiteral:
            if len(rest) > 1:
                raise self.unexpected(tok)
            return Assign(name, None, bool(m.group(2)), array=rest[0].elements, raw=raw)
        return Assign(name, _value_word(rest), bool(m.group(2)), raw=raw)

    def _indexed_assignment(self, parts: list[Part]) -> Assign | None:
        """``name[index]=value`` (bash)."""
        first = parts[0]
        assert type(first) is Lit
        m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)\[", first.text)
        if m is None:
            return None
        name = m.group(1)
        flat: list[Part] = [Lit(first.text[m.end():]), *parts[1:]] if first.text[m.end():] else list(parts[1:])
        for i, part in enumerate(flat):
            if type(part) is Lit:
                j = part.text.find("]=")
                append = False
                if j < 0:
                    j = part.text.find("]+=")
                    append = j >= 0
                if j >= 0:
                    index_parts = [*flat[:i], *([Lit(part.text[:j])] if j else [])]
                    value_text = part.text[j + (3 if append else 2):]
                    value_parts = ([Lit(value_text)] if value_text else []) + list(flat[i + 1:])
                    index = plain_word(index_parts, "") if index_parts else ""
                    return Assign(name, _value_word(value_parts), append, index=index)
        return None

    def _function_body(self, name_tok: Token) -> Node:
        name = name_tok.value
        if name is None or (not is_name(name) and not _function_name_ok(name)):
            raise self.unexpected(self.peek())
        self.next()  # (
        tok = self.next()
        if not self._is_op(tok, ")"):
            raise self.unexpected(tok, '")"')
        self.skip_newlines()
        start = name_tok.start
        body = self.command()
        if isinstance(body, FuncDef):
            raise self.unexpected(name_tok)
        return FuncDef(name, body, name_tok.line, self.lx.text[start:self.lx.pos].rstrip())

    # -- compound commands -----------------------------------------------------------------
    def brace_group(self) -> Group:
        """``{ list; }``."""
        line = self.next().line
        body = self.compound_list(_STOP_BRACE, expecting='"}"')
        self.expect_word("}")
        return Group(body, [], line)  # type: ignore[arg-type]

    def subshell(self) -> Subshell:
        """``( list )``."""
        line = self.next().line
        body = self.compound_list(_STOP_NONE, expecting='")"')
        tok = self.next()
        if not self._is_op(tok, ")"):
            raise self.unexpected(tok, '")"')
        return Subshell(body, [], line)  # type: ignore[arg-type]

    def if_clause(self) -> If:
        """``if ... fi``."""
        line = self.next().line
        branches = []
        while True:
            cond = self.compound_list(_STOP_THEN, expecting='"then"')
            self.expect_word("then")
            body = self.compound_list(_STOP_ELSE, expecting='"fi"')
            branches.append((cond, body))
            tok = self.next()
            if self._is_word(tok, "elif"):
                continue
            if self._is_word(tok, "else"):
                orelse = self.compound_list(_STOP_FI, expecting='"fi"')
                self.expect_word("fi")
                return If(branches, orelse, [], line)  # type: ignore[arg-type]
            if self._is_word(tok, "fi"):
                return If(branches, None, [], line)  # type: ignore[arg-type]
            raise self.unexpected(tok, '"fi"')

    def loop_clause(self) -> Loop:
        """``while``/``until`` loops."""
        tok = self.next()
        cond = self.compound_list(_STOP_DO, expecting='"do"')
        body = self._do_group()
        return Loop(cond, body, tok.value == "until", [], tok.line)  # type: ignore[arg-type]

    def _do_group(self) -> Node:
        self.expect_word("do")
        body = self.compound_list(_STOP_DONE, expecting='"done"')
        self.expect_word("done")
        return body  # type: ignore[return-value]

    def for_clause(self) -> Node:
        """``for name [in words]; do list; done`` and ``for ((;;))``."""
        line = self.next().line
        if self.bash and self.tok is None and self.lx.text[self.lx.pos:].lstrip(" \t").startswith("(("):
            while self.lx.ch() in " \t" and self.lx.ch():
                self.lx.pos += 1
            expr = self.lx.arith_command()
            if expr is not None:
                return self._for_arith(expr, line)
        tok = self.next()
        if tok.kind != WORD or tok.value is None or not is_name(tok.value):
            raise ShellSyntaxError("bad for loop variable", tok.line)
        var = tok.value
        words: list[WordLike] | None = None
        self.skip_newlines()
        tok = self.peek()
        if self._is_word(tok, "in"):
            self.next()
            words = []
            while True:
                tok = self.peek()
                if tok.kind != WORD:
                    break
                self.next()
                assert tok.word is not None
                words.append(tok.word)
            tok = self.peek()
            if self._is_op(tok, ";") or tok.kind == NEWLINE:
                self.next()
            elif not self._is_word(tok, "do"):
                raise self.unexpected(tok, '"do"')
            self.skip_newlines()
        elif self._is_op(tok, ";"):
            self.next()
            self.skip_newlines()
        body = self._do_group()
        return For(var, words, body, [], line)

    def _for_arith(self, expr: Word, line: int) -> ForArith:
        sections = _split_arith_for(expr)
        if sections is None:
            raise ShellSyntaxError("syntax error in for ((;;))", line)
        tok = self.peek()
        if self._is_op(tok, ";"):
            self.next()
        self.skip_newlines()
        if self._is_word(self.peek(), "{"):
            body: Node = self.brace_group()
        else:
            body = self._do_group()
        return ForArith(sections[0], sections[1], sections[2], body, [], line)

    def case_clause(self) -> Case:
        """``case word in pattern) list ;; ... esac``."""
        line = self.next().line
        tok = self.next()
        if tok.kind != WORD:
            raise self.unexpected(tok, "word")
        assert tok.word is not None
        word = tok.word
        self.skip_newlines()
        self.expect_word("in")
        self.skip_newlines()
        items: list[CaseItem] = []
        while True:
            tok = self.peek()
            if self._is_word(tok, "esac"):
                self.next()
                break
            if self._is_op(tok, "("):
                self.next()
            patterns: list[WordLike] = []
            while True:
                tok = self.next()
                if tok.kind != WORD:
                    raise self.unexpected(tok, "word")
                assert tok.word is not None
                patterns.append(tok.word)
                tok = self.next()
                if self._is_op(tok, "|"):
                    continue
                if self._is_op(tok, ")"):
                    break
                raise self.unexpected(tok, '")"')
            body = self.compound_list(_STOP_ESAC, allow_empty=True)
            tok = self.peek()
            item = CaseItem(patterns, body)
            items.append(item)
            if tok.kind == OP and tok.value in (";;", ";&", ";;&"):
                self.next()
                item.fallthrough = tok.value == ";&"
                item.test_next = tok.value == ";;&"
                self.skip_newlines()
                continue
            if self._is_word(tok, "esac"):
                self.next()
                break
            raise self.unexpected(tok, '";;"')
        return Case(word, items, [], line)

    def function_keyword(self) -> Node:
        """``function name [()] compound-command``."""
        self.next()
        tok = self.next()
        if tok.kind != WORD or tok.value is None:
            raise self.unexpected(tok, "word")
        if self._is_op(self.peek(), "("):
            self.next()
            close = self.next()
            if not self._is_op(close, ")"):
                raise self.unexpected(close, '")"')
        self.skip_newlines()
        start = tok.start
        body = self.command()
        return FuncDef(tok.value, body, tok.line, "function " + self.lx.text[start:self.lx.pos].rstrip())

    # -- [[ ]] -------------------------------------------------------------------------
    def cond_command(self) -> Node:
        """``[[ expression ]]``."""
        line = self.next().line
        expr = self._cond_or()
        tok = self.next()
        if not self._is_word(tok, "]]"):
            raise self.unexpected(tok, '"]]"')
        return CondCmd(expr, self.redirect_list(), line)

    def _cond_skip(self) -> Token:
        while self.peek().kind == NEWLINE:
            self.next()
        return self.peek()

    def _cond_or(self) -> CondExpr:
        left = self._cond_and()
        while self._is_op(self._cond_skip(), "||"):
            self.next()
            left = CondLogic("||", left, self._cond_and())
        return left

    def _cond_and(self) -> CondExpr:
        left = self._cond_not()
        while self._is_op(self._cond_skip(), "&&"):
            self.next()
            left = CondLogic("&&", left, self._cond_not())
        return left

    def _cond_not(self) -> CondExpr:
        tok = self._cond_skip()
        if self._is_word(tok, "!"):
            self.next()
            return CondLogic("!", self._cond_not())
        return self._cond_primary()

    def _cond_primary(self) -> CondExpr:
        tok = self._cond_skip()
        if self._is_op(tok, "("):
            self.next()
            expr = self._cond_or()
            close = self._cond_skip()
            if not self._is_op(close, ")"):
                raise self.unexpected(close, '")"')
            self.next()
            return expr
        if tok.kind != WORD:
            raise self.unexpected(tok)
        self.next()
        assert tok.word is not None
        if tok.value in _COND_UNARY:
            nxt = self.peek()
            if nxt.kind == WORD and nxt.value != "]]":
                self.next()
                assert nxt.word is not None
                return CondUnary(tok.value, CondWord(nxt.word))
        left = CondWord(tok.word)
        nxt = self.peek()
        op = nxt.value
        if (nxt.kind == WORD and op in _COND_BINARY) or (nxt.kind == OP and op in ("<", ">")):
            self.next()
            assert op is not None
            if op == "=~":
                return CondBinary(op, left, CondWord(self.lx.regex_word(), "regex"))
            right = self.next()
            if right.kind != WORD:
                raise self.unexpected(right)
            assert right.word is not None
            kind = "pattern" if op in ("==", "=", "!=") else "str"
            return CondBinary(op, left, CondWord(right.word, kind))
        return left


def _subparse(lexer: Lexer) -> Node | None:
    """Parse the body of ``$(...)`` from ``lexer`` (just after the parenthesis), consuming ``)``."""
    parser = Parser(lexer)
    body = parser.compound_list(_STOP_NONE, allow_empty=True)
    tok = parser.next()
    if not parser._is_op(tok, ")"):
        raise parser.unexpected(tok, '")"')
    return body


def as_list(nodes: list[Node]) -> Node | None:
    """One node for a sequence of commands (``None`` for none)."""
    if not nodes:
        return None
    if len(nodes) == 1:
        return nodes[0]
    return ListNode(nodes, [False] * len(nodes))


def _add_stderr_pipe(node: Node) -> None:
    """``a |& b``: ``a 2>&1 | b``."""
    redir = Redir(">&", "1", 2)
    if isinstance(node, Simple):
        node.redirs.append(redir)
    elif hasattr(node, "redirs"):
        node.redirs.append(redir)  # type: ignore[union-attr]


def _function_name_ok(name: str) -> bool:
    # busybox accepts names like "foo-bar" and "a.b" for functions
    return bool(name) and all(c.isalnum() or c in "_-.:" for c in name) and not name[0].isdigit()


def _heredoc_delim(word: WordLike) -> tuple[str, bool]:
    """The delimiter text of ``<<word`` and whether any part of it was quoted."""
    if type(word) is str:
        return word, False
    assert isinstance(word, Word)
    quoted = False
    out: list[str] = []
    for part in word.parts:
        if type(part) is Lit:
            out.append(part.text)
        elif type(part) is Quoted:
            quoted = True
            out.append(part.text)
        elif type(part) is DQuote:
            quoted = True
            out.append("".join(p.text if type(p) is Quoted else _raw_part(p) for p in part.parts))
        elif type(part) is Tilde:
            out.append("~" + part.user)
        else:
            out.append(_raw_part(part))
    return "".join(out), quoted


def _raw_part(part: Part) -> str:
    if type(part) is Param:
        return "$" + part.name if part.op is None and part.index is None else "${" + part.name + "}"
    return getattr(part, "text", "")


def _value_word(parts: list[Part]) -> WordLike:
    """An assignment value: tilde expansion after ``=`` and after each unquoted ``:``."""
    if not parts:
        return ""
    out: list[Part] = []
    for i, part in enumerate(parts):
        if type(part) is not Lit or "~" not in part.text:
            out.append(part)
            continue
        segments = part.text.split(":")
        for j, seg in enumerate(segments):
            if j:
                out.append(Lit(":"))
            at_start = (i == 0 and j == 0) or j > 0
            if at_start and seg.startswith("~"):
                slash = seg.find("/")
                followed_by_more = j == len(segments) - 1 and i + 1 < len(parts)
                if slash >= 0:
                    out.append(Tilde(seg[1:slash]))
                    out.append(Lit(seg[slash:]))
                    continue
                if not followed_by_more:
                    out.append(Tilde(seg[1:]))
                    continue
            if seg:
                out.append(Lit(seg))
    merged: list[Part] = []
    for part in out:
        if merged and type(part) is Lit and type(merged[-1]) is Lit:
            merged[-1] = Lit(merged[-1].text + part.text)
        else:
            merged.append(part)
    if len(merged) == 1 and type(merged[0]) is Lit:
        return merged[0].text  # assignments never glob: keep it a plain string
    return Word(merged, "")


def _split_arith_for(expr: Word) -> tuple[Word, Word, Word] | None:
    """Split the text of ``for ((a; b; c))`` at its two top-level semicolons."""
    sections: list[list[Part]] = [[]]
    for part in expr.parts:
        if type(part) is Lit and ";" in part.text:
            pieces = part.text.split(";")
            for k, piece in enumerate(pieces):
                if k:
                    sections.append([])
                if piece:
                    sections[-1].append(Lit(piece))
        else:
            sections[-1].append(part)
    if len(sections) != 3:
        return None
    return Word(sections[0], ""), Word(sections[1], ""), Word(sections[2], "")


_DECLARATIONS = frozenset({"declare", "typeset", "local", "export", "readonly"})
_CLOSERS = frozenset({"then", "else", "elif", "fi", "do", "done", "esac", "}"})
_STOP_NONE: frozenset[str] = frozenset()
_STOP_BRACE = frozenset({"}"})
_STOP_THEN = frozenset({"then"})
_STOP_ELSE = frozenset({"elif", "else", "fi"})
_STOP_FI = frozenset({"fi"})
_STOP_DO = frozenset({"do"})
_STOP_DONE = frozenset({"done"})
_STOP_ESAC = frozenset({"esac"})

_COMPOUND: dict[str, Callable[[Parser], Node]] = {
    "{": Parser.brace_group,
    "if": Parser.if_clause,
    "while": Parser.loop_clause,
    "until": Parser.loop_clause,
    "for": Parser.for_clause,
    "case": Parser.case_clause,
    "function": Parser.function_keyword,
    "[[": Parser.cond_command,
}


def parse(text: str, *, bash: bool = False) -> list[Node]:
    """Parse a whole program (for tests and ``eval``)."""
    return Parser(Lexer(text, bash=bash)).parse_all()
