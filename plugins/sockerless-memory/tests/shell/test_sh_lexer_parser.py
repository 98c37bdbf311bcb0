"""Unit tests of the tokenizer and the parser."""

from __future__ import annotations

import pytest
from sockerless_memory.shell.ast import (
    AndOr,
    Arith,
    Case,
    CmdSub,
    CondBinary,
    CondCmd,
    DQuote,
    For,
    FuncDef,
    Group,
    HereDoc,
    If,
    ListNode,
    Lit,
    Loop,
    Param,
    Pipeline,
    Quoted,
    Simple,
    Subshell,
    Tilde,
    Word,
)
from sockerless_memory.shell.errors import ShellSyntaxError
from sockerless_memory.shell.lexer import EOF, IO_NUMBER, NEWLINE, OP, WORD, Lexer
from sockerless_memory.shell.parser import parse


def tokens(text: str, bash: bool = False) -> list[tuple[str, str | None]]:
    lx = Lexer(text, bash=bash)
    from sockerless_memory.shell.parser import Parser

    Parser(lx)  # installs the command-substitution hooks
    out = []
    while True:
        tok = lx.token()
        out.append((tok.kind, tok.value))
        if tok.kind == EOF:
            return out


def one(text: str, bash: bool = False):
    nodes = parse(text, bash=bash)
    assert len(nodes) == 1, nodes
    return nodes[0]


class TestLexer:
    def test_operators(self) -> None:
        assert tokens("a&&b||c;d&e|f") == [
            (WORD, "a"), (OP, "&&"), (WORD, "b"), (OP, "||"), (WORD, "c"), (OP, ";"), (WORD, "d"),
            (OP, "&"), (WORD, "e"), (OP, "|"), (WORD, "f"), (EOF, None),
        ]

    def test_redirection_operators(self) -> None:
        kinds = [t for t in tokens("<a >b >>c <>d >|e <&0 >&1 <<-x &>f") if t[0] == OP]
        assert [v for _, v in kinds] == ["<", ">", ">>", "<>", ">|", "<&", ">&", "<<-", "&>"]

    def test_io_number_only_directly_before_redirection(self) -> None:
        assert tokens("2>x")[0] == (IO_NUMBER, "2")
        assert tokens("2 >x")[0] == (WORD, "2")
        assert tokens("a2>x")[0] == (WORD, "a2")

    def test_comments_and_newlines(self) -> None:
        assert tokens("a # comment\nb") == [(WORD, "a"), (NEWLINE, "\n"), (WORD, "b"), (EOF, None)]
        assert tokens("a#notcomment")[0] == (WORD, "a#notcomment")

    def test_line_continuation(self) -> None:
        assert tokens("ec\\\nho hi")[:2] == [(WORD, "echo"), (WORD, "hi")]

    def test_bash_only_operators(self) -> None:
        assert (OP, "<<<") in tokens("cat <<< x", bash=True)
        assert (OP, "<<<") not in tokens("cat <<< x")
        assert (OP, ";&") in tokens("a ;& b", bash=True)

    def test_word_parts(self) -> None:
        word = one("echo a'b'\"c$x\"\\d").words[1]
        assert isinstance(word, Word)
        assert word.parts == [Lit("a"), Quoted("b"), DQuote([Quoted("c"), Param("x")]), Quoted("d")]

    def test_plain_words_are_strings(self) -> None:
        node = one("echo plain -n 42")
        assert node.words == ["echo", "plain", "-n", "42"]

    def test_glob_words_are_not_plain(self) -> None:
        node = one("echo *.c [ ]")
        assert isinstance(node.words[1], Word)
        assert node.words[2] == "[" and node.words[3] == "]"

    def test_parameter_forms(self) -> None:
        word = one("echo ${x:-d} ${#y} ${z##*/} ${1} $10").words
        assert word[1].parts[0] == Param("x", "-", Word([Lit("d")], "d"), colon=True)
        assert word[2].parts[0].op == "len"
        assert word[3].parts[0].op == "##"
        assert word[4].parts[0].name == "1"
        assert word[5].parts == [Param("1"), Lit("0")]

    def test_dollar_hash_forms(self) -> None:
        words = one("echo ${#} ${##} ${#-x}").words
        assert words[1].parts[0] == Param("#")
        assert words[2].parts[0].op == "len" and words[2].parts[0].name == "#"
        assert words[3].parts[0].name == "#" and words[3].parts[0].op == "-"

    def test_bad_substitution(self) -> None:
        with pytest.raises(ShellSyntaxError, match="bad substitution"):
            parse("echo ${}")
        with pytest.raises(ShellSyntaxError, match="bad substitution"):
            parse("echo ${x^^}")  # bash only
        parse("echo ${x^^}", bash=True)

    def test_ansi_c_quoting(self) -> None:
        assert one("echo $'a\\tb\\x41\\101'").words[1].parts == [Quoted("a\tbAA")]

    def test_command_substitution_nesting(self) -> None:
        word = one("echo $(echo $(echo x) `echo y`)").words[1]
        sub = word.parts[0]
        assert isinstance(sub, CmdSub) and isinstance(sub.body, Simple)
        inner = sub.body.words[1].parts[0]
        assert isinstance(inner, CmdSub)

    def test_arithmetic_expansion(self) -> None:
        part = one("echo $((1 + (2 * 3)))").words[1].parts[0]
        assert isinstance(part, Arith)
        assert part.expr.parts == [Lit("1 + (2 * 3)")]

    def test_arithmetic_needs_closing_parens(self) -> None:
        with pytest.raises(ShellSyntaxError, match="missing '\\)\\)'"):
            parse("echo $((1 + 2)")

    def test_bash_falls_back_to_command_substitution(self) -> None:
        part = one("echo $((echo a); (echo b))", bash=True).words[1].parts[0]
        assert isinstance(part, CmdSub)

    def test_tilde(self) -> None:
        assert one("echo ~ ~user/x a~").words[1:] == [Word([Tilde("")], "~"), Word([Tilde("user"), Lit("/x")], "~user/x"), "a~"]

    def test_unterminated_quotes(self) -> None:
        for text in ("echo 'abc", 'echo "abc'):
            with pytest.raises(ShellSyntaxError, match="unterminated quoted string"):
                parse(text)
        with pytest.raises(ShellSyntaxError, match="EOF in backquote"):
            parse("echo `abc")

    def test_incremental_reader(self) -> None:
        lines = iter(["echo a \\\n", "b\n", ""])
        lx = Lexer("", lambda: next(lines))
        from sockerless_memory.shell.parser import Parser

        node = Parser(lx).parse_command()
        assert node.words == ["echo", "a", "b"]


class TestParser:
    def test_simple_command_parts(self) -> None:
        node = one("A=1 B=$x cmd arg >out 2>&1 <in")
        assert [a.name for a in node.assigns] == ["A", "B"]
        assert node.words == ["cmd", "arg"]
        assert [(r.op, r.fd) for r in node.redirs] == [(">", None), (">&", 2), ("<", None)]

    def test_assignment_only_before_command_name(self) -> None:
        node = one("cmd A=1")
        assert node.assigns == [] and node.words == ["cmd", "A=1"]

    def test_lists_and_pipelines(self) -> None:
        node = one("a | b && ! c || d & e")
        assert isinstance(node, ListNode) and node.background == [True, False]
        andor = node.items[0]
        assert isinstance(andor, AndOr) and [op for op, _ in andor.rest] == ["&&", "||"]
        assert isinstance(andor.first, Pipeline) and len(andor.first.cmds) == 2
        assert andor.rest[0][1].negate

    def test_compound_commands(self) -> None:
        assert isinstance(one("{ a; b; }"), Group)
        assert isinstance(one("(a; b)"), Subshell)
        node = one("if a; then b; elif c; then d; else e; fi")
        assert isinstance(node, If) and len(node.branches) == 2 and node.orelse is not None
        assert isinstance(one("while a; do b; done"), Loop)
        assert one("until a; do b; done").until
        loop = one("for i in 1 2; do :; done")
        assert isinstance(loop, For) and loop.words == ["1", "2"]
        assert one("for i; do :; done").words is None
        assert one("for i do :; done").words is None

    def test_case(self) -> None:
        node = one("case $x in a|b) one;; (c) two;; *) ;; esac")
        assert isinstance(node, Case)
        assert [item.patterns for item in node.items][:2] == [["a", "b"], ["c"]]
        assert node.items[2].body is None

    def test_case_fallthrough_is_bash_only(self) -> None:
        node = one("case x in x) a;& y) b;; esac", bash=True)
        assert node.items[0].fallthrough
        with pytest.raises(ShellSyntaxError):
            parse("case x in x) a;& y) b;; esac")

    def test_functions(self) -> None:
        node = one("f() { echo; }")
        assert isinstance(node, FuncDef) and node.name == "f" and isinstance(node.body, Group)
        assert isinstance(one("function g { :; }"), FuncDef)
        assert one("f() echo hi").body.words == ["echo", "hi"]

    def test_reserved_words_only_in_command_position(self) -> None:
        node = one("echo if then fi")
        assert node.words == ["echo", "if", "then", "fi"]
        node = one("if echo fi; then :; fi")
        assert isinstance(node, If)

    def test_redirections_on_compound_commands(self) -> None:
        node = one("while read l; do :; done < file")
        assert node.redirs[0].op == "<"

    def test_heredocs(self) -> None:
        nodes = parse("cat <<A <<-'B'\nbody $x\nA\n\tlit $y\n\tB\necho next")
        first = nodes[0].redirs
        assert isinstance(first[0].target, HereDoc) and isinstance(first[0].target.body, Word)
        assert first[1].target.body == "lit $y\n" and first[1].target.quoted
        assert nodes[1].words == ["echo", "next"]

    def test_heredoc_in_command_substitution(self) -> None:
        sub = one("x=$(cat <<EOF\nin\nEOF\n)").assigns[0].value.parts[0]
        assert isinstance(sub, CmdSub) and sub.body.redirs[0].target.body == "in\n"

    def test_double_bracket(self) -> None:
        node = one("[[ -n $a && $b == x* || ! -f c ]]")
        assert isinstance(node, CondCmd)
        node = one("[[ $x =~ ^(a|b)+$ ]]")
        assert isinstance(node.expr, CondBinary) and node.expr.right.kind == "regex"

    def test_arrays_and_arith_command_in_bash(self) -> None:
        node = one("a=(1 2 $x)", bash=True)
        assert node.assigns[0].array is not None and len(node.assigns[0].array) == 3
        assert type(one("((x = 1 + 2))", bash=True)).__name__ == "ArithCmd"
        assert type(one("for ((i=0; i<3; i++)); do :; done", bash=True)).__name__ == "ForArith"

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("if true; then fi", 'unexpected "fi"'),
            ("if true; fi", 'unexpected "fi" (expecting "then")'),
            ("if true", 'unexpected end of file (expecting "then")'),
            ("while true; do done", 'unexpected "done"'),
            ("for x in a b c do echo; done", 'unexpected "done" (expecting "do")'),
            ("for 1 in a; do :; done", "bad for loop variable"),
            ("case x in a) ;; b c) ;; esac", 'unexpected word (expecting ")")'),
            ("echo >", "unexpected end of file"),
            ("echo > ;", 'unexpected ";"'),
            ("echo > >", "unexpected redirection"),
            ("{ echo", 'unexpected end of file (expecting "}")'),
            ("( echo", 'unexpected end of file (expecting ")")'),
            ("echo a; }", 'unexpected "}"'),
            ("| x", 'unexpected "|"'),
            ("echo a (", 'unexpected "("'),
            ("echo (", 'unexpected end of file (expecting ")")'),
            ("echo ( x", 'unexpected word (expecting ")")'),
        ],
    )
    def test_syntax_errors(self, text: str, message: str) -> None:
        with pytest.raises(ShellSyntaxError) as info:
            parse(text)
        assert info.value.message == f"syntax error: {message}"

    def test_line_numbers(self) -> None:
        nodes = parse("a\n\nb\nif x\nthen y\nfi")
        assert [n.line for n in nodes] == [1, 3, 4]
