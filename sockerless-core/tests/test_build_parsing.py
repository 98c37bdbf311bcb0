"""Dockerfile parsing, word expansion and .dockerignore matching."""

from __future__ import annotations

import pytest
from sockerless.api.errors import InvalidParameter
from sockerless.engine.builder.dockerfile import parse, split_stages
from sockerless.engine.builder.dockerignore import IgnoreMatcher
from sockerless.engine.builder.words import Lexer, key_values


def test_continuations_comments_and_original_text() -> None:
    df = parse("# syntax=docker/dockerfile:1\nFROM busybox\n# comment\nRUN echo a && \\\n# inside\n\n    echo   b\n")
    assert [i.command for i in df.instructions] == ["FROM", "RUN"]
    assert df.instructions[1].original == "RUN echo a &&     echo   b"
    assert df.instructions[1].line == 4


def test_escape_directive_and_json_forms() -> None:
    df = parse("# escape=`\nFROM busybox\nRUN dir c:\\ `\n  && echo x\nCMD [\"a\", \"b\"]\nCMD [not json\n")
    assert df.escape == "`"
    assert df.instructions[1].args == "dir c:\\   && echo x"
    assert df.instructions[2].json == ["a", "b"]
    assert df.instructions[3].json is None


def test_flags_heredocs_and_stages() -> None:
    df = parse("ARG V=1\nFROM --platform=linux/amd64 busybox AS one\nCOPY --from=one --chown=1:2 a b\n"
               "RUN <<EOF\necho hi\nEOF\nFROM one\n")
    meta, stages = split_stages(df)
    assert [m.command for m in meta] == ["ARG"]
    assert stages[0][0].flags == {"platform": "linux/amd64"}
    assert stages[0][1].flags == {"from": "one", "chown": "1:2"}
    assert stages[0][2].heredocs[0].content == "echo hi\n"
    assert len(stages) == 2


@pytest.mark.parametrize("text, message", [
    ("FROM busybox\nBOGUS x\n", "unknown instruction: BOGUS"),
    ("", "cannot be empty"),
    ("RUN x\n", "no build stage"),
    ("# escape=x\nFROM a\n", "invalid ESCAPE"),
    ("FROM a\nRUN <<EOF\nnever closed\n", "unterminated heredoc"),
])
def test_parse_errors(text: str, message: str) -> None:
    with pytest.raises(InvalidParameter, match=message):
        split_stages(parse(text))


def test_word_expansion() -> None:
    lexer = Lexer({"A": "1", "EMPTY": "", "P": "/x y"})
    assert lexer.word("$A-${A}") == "1-1"
    assert lexer.word("${UNSET:-d}${EMPTY:-e}${EMPTY-f}${A:+set}${UNSET:+no}") == "deset"
    assert lexer.word("'$A' \"$A\" \\$A") == "$A 1 $A"
    assert lexer.words("$P 'a b' c") == ["/x", "y", "a b", "c"]
    with pytest.raises(InvalidParameter, match="UNSET: needed"):
        lexer.word("${UNSET:?needed}")


def test_key_values() -> None:
    lexer = Lexer({"A": "1"})
    assert key_values('X="1 2"   Y=$A z=\'$A\'', lexer, "ENV") == [("X", "1 2"), ("Y", "1"), ("z", "$A")]
    assert key_values("KEY value with words", lexer, "ENV") == [("KEY", "value with words")]
    with pytest.raises(InvalidParameter, match="can't find ="):
        key_values("a=1 b", lexer, "LABEL")


def test_dockerignore_semantics() -> None:
    matcher = IgnoreMatcher.from_text("# comment\n*.log\n!keep.log\n/build\ndocs\n!docs/README.md\n**/tmp\n"
                                      "src/**/*.o\n")
    assert matcher.ignored("a.log") and not matcher.ignored("keep.log")
    assert not matcher.ignored("sub/a.log")  # * does not cross /
    assert matcher.ignored("build/out/x") and not matcher.ignored("src/build")
    assert matcher.ignored("docs/guide.md") and not matcher.ignored("docs/README.md")
    assert matcher.ignored("tmp") and matcher.ignored("a/b/tmp/c")
    assert matcher.ignored("src/x.o") and matcher.ignored("src/a/b/x.o") and not matcher.ignored("src/x.c")
    assert not matcher.ignored("Dockerfile")


def test_flags_are_only_parsed_where_they_belong() -> None:
    df = parse("FROM busybox\nCMD --help\n")
    assert df.instructions[1].flags == {"help": "true"}  # as dockerd's parser: the builder then refuses it
