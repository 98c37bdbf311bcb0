"""POSIX BRE/ERE translation to Python regular expressions."""

from __future__ import annotations

import pytest
from sockerless_memory.utils.glob import fnmatch
from sockerless_memory.utils.regex import RegexError, compile_regex


def first(pattern: bytes, data: bytes, *, ere: bool = False, icase: bool = False) -> bytes | None:
    m = compile_regex(pattern, extended=ere, icase=icase).search(data)
    return None if m is None else m.group(0)


@pytest.mark.parametrize(
    ("pattern", "ere", "data", "match"),
    [
        (rb"a\{2,3\}", False, b"aaaa", b"aaa"),
        (rb"a{2}", True, b"aaa", b"aa"),
        (rb"a{2}", False, b"a{2}", b"a{2}"),  # braces are literal in a BRE
        (rb"a\+", False, b"caaat", b"aaa"),
        (rb"a+", False, b"a+", b"a+"),
        (rb"\(ab\)*c", False, b"ababc", b"ababc"),
        (rb"(ab)*c", True, b"ababc", b"ababc"),
        (rb"*a", False, b"x*a", b"*a"),  # leading * is literal in a BRE
        (rb"*a", True, b"x*a", b"a"),  # ... and ignored in an ERE
        (rb"\(*a\)", False, b"*a", b"*a"),
        (rb"a^b", False, b"a^b", b"a^b"),
        (rb"a$b", False, b"a$b", b"a$b"),
        (rb"^ab", False, b"abab", b"ab"),
        (rb"b$", False, b"ab\n", None),  # $ only at the very end
        (rb"[]a]*", False, b"]a]b", b"]a]"),
        (rb"[^]a]", False, b"]ab", b"b"),
        (rb"[a\]]", False, b"\\]", b"\\]"),  # backslash is literal in brackets
        (rb"[[:digit:][:upper:]]\+", False, b"xA1B2y", b"A1B2"),
        (rb"[a-c-]*", False, b"ab-cd", b"ab-c"),
        (rb"\(a\)\1", False, b"xaay", b"aa"),
        (rb"(a|b)\1", True, b"abba", b"bb"),
        (rb"\<wo", False, b"hello world", b"wo"),
        (rb"lo\>", False, b"hello world", b"lo"),
        (rb"\bw\w*", False, b"a wide", b"wide"),
        (rb"a**", False, b"aaa", b"aaa"),
        (rb"a+?", True, b"aaa", b"aaa"),  # POSIX: (a+)? — not a lazy quantifier
        (rb"ab|abcd", True, b"abcd", b"abcd"),  # leftmost-longest
        (rb"(a|ab)(c|bcd)", True, b"abcd", b"abcd"),
        (rb"x\|*y", False, b"*y", b"*y"),
        (rb"a{,2}", True, b"aaa", b"aa"),
        (rb"a{1", True, b"a{1", b"a{1"),
        (rb".", False, b"\n", b"\n"),  # . matches a newline (sed's pattern space)
        (rb"HELLO", False, b"hello", None),
    ],
)
def test_matches(pattern: bytes, ere: bool, data: bytes, match: bytes | None) -> None:
    assert first(pattern, data, ere=ere) == match


def test_ignore_case() -> None:
    assert first(b"HeLLo", b"say hello", icase=True) == b"hello"


def test_sed_escapes() -> None:
    regex = compile_regex(rb"a\nb\tc", sed_escapes=True)
    assert regex.search(b"a\nb\tc") is not None


@pytest.mark.parametrize(
    ("pattern", "ere", "message"),
    [
        (rb"\(a", False, "Unmatched ( or \\("),
        (rb"a\)", False, "Unmatched ) or \\)"),
        (rb"[a", False, "Unmatched [, [^, [:, [., or [="),
        (rb"[[:foo:]]", False, "Invalid character class name"),
        (rb"a{2,1}", True, "Invalid content of \\{\\}"),
        (rb"a\{1", False, "Unmatched \\{"),
        (rb"\(a\)\2", False, "Invalid back reference"),
        (b"ab\\", False, "Trailing backslash"),
        (rb"[z-a]", False, "Invalid range end"),
    ],
)
def test_errors(pattern: bytes, ere: bool, message: str) -> None:
    with pytest.raises(RegexError) as info:
        compile_regex(pattern, extended=ere)
    assert str(info.value) == message


def test_global_iteration_skips_empty_match_after_match() -> None:
    regex = compile_regex(b"a*")
    assert [m.group(0) for m in regex.finditer(b"baaac")] == [b"", b"aaa", b""]


@pytest.mark.parametrize(
    ("pattern", "name", "result"),
    [("*.txt", "a.txt", True), ("[!a]*", "bc", True), ("[!a]*", "ab", False), ("a\\*", "a*", True),
     ("a\\*", "ab", False), ("[[:digit:]]x", "1x", True), ("?", "", False), ("[ab", "[ab", True)],
)
def test_wildcards(pattern: str, name: str, result: bool) -> None:
    assert fnmatch(pattern, name) is result


def test_wildcard_pathname_mode() -> None:
    assert fnmatch("a/*", "a/b/c")
    assert not fnmatch("a/*", "a/b/c", pathname=True)
    assert fnmatch("a/**", "a/b/c", pathname=True)
